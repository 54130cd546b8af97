-- Nothing to do going up; going down, as 000147, for the short windows.
-- rebuild: none (nothing changes)
SELECT 1
