-- for: service
-- The columns of the service's tables and views, in order, with their
-- types and comments (not those of a refresh's own table: list_schema_tables).
SELECT table, name, type, comment
FROM system.columns
WHERE database = currentDatabase() AND NOT startsWith(table, '.tmp.')
ORDER BY table, position
