-- Replaced by the priced, materialized schema (docs/schema.md).
DROP VIEW IF EXISTS clicks_minutely_mv
