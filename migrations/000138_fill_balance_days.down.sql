-- Nothing to undo: 000137's down drops the columns this filled; the days'
-- other columns are the same figures as before.
SELECT 1
