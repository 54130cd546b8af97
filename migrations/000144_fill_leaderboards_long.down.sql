-- Nothing to undo: the copy goes with its table (000141's down); the
-- rollback fills the table leaderboards was in 000147's down.
SELECT 1
