-- for: service
-- The tables and views of the service's database and what they mean (their
-- comments), for docs/tables.md and GET /v1/schema; not the table a
-- refreshable view's refresh fills and exchanges (.tmp.inner_id.…), which
-- comes and goes with each refresh.
SELECT name, engine, comment, create_table_query, dependencies_table
FROM system.tables
WHERE database = currentDatabase() AND NOT is_temporary AND NOT startsWith(name, '.tmp.')
ORDER BY name
