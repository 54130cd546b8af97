-- Nothing to undo: the copy goes with its table (000140's down).
SELECT 1
