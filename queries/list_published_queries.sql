-- for: service
-- The endpoints published at run time as they stand: each name's highest
-- version, unless that version deleted it (two replicas putting the same
-- name at once may both write a version; the later created_at is served).
SELECT name, version, sql, description, params, cache_ttl_ms, author, created_at
FROM published_queries
WHERE (name, version) IN (SELECT name, max(version) FROM published_queries GROUP BY name)
  AND deleted = 0
ORDER BY name, created_at
