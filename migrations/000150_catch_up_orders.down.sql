-- Nothing to undo: the copy left the table sorted by day as the writes
-- made it; the fill's down catches up the other way.
SELECT 1
