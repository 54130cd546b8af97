-- for: service
-- Appends a version of a published endpoint (deleted = 1 ends it): the
-- name's highest version plus one, so its history is every row it ever had.
INSERT INTO published_queries (name, version, deleted, sql, description, params, cache_ttl_ms, author)
SELECT {name:String}, (SELECT max(version) FROM published_queries WHERE name = {name:String}) + 1,
    {deleted:UInt8}, {sql:String}, {description:String}, {params:String}, {cache_ttl_ms:UInt32}, {author:String}
