-- for: service
-- The columns of the service's tables and views, in order, with their
-- types and comments.
SELECT table, name, type, comment
FROM system.columns
WHERE database = currentDatabase()
ORDER BY table, position
