-- Replaced by the priced, materialized schema (docs/schema.md).
DROP VIEW IF EXISTS leaderboard_mv
