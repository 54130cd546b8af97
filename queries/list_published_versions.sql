-- for: service
-- Every version of a published endpoint, oldest first, deletions included.
SELECT version, deleted, sql, description, params, cache_ttl_ms, author, created_at
FROM published_queries
WHERE name = {name:String}
ORDER BY version, created_at
