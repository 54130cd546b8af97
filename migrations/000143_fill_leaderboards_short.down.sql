-- Nothing to undo: the copy goes with its table (000140's down); the
-- rollback fills the table leaderboards was in 000148's down.
SELECT 1
