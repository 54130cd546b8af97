-- Replaced by the priced, materialized schema (docs/schema.md).
DROP VIEW IF EXISTS orders_by_time_mv
