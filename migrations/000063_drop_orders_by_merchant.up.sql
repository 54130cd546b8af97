-- Replaced by the priced, materialized schema (docs/schema.md).
DROP TABLE IF EXISTS orders_by_merchant
