DROP VIEW IF EXISTS order_changes_mv
