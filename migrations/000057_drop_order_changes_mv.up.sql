-- Replaced by the priced, materialized schema (docs/schema.md).
DROP VIEW IF EXISTS order_changes_mv
