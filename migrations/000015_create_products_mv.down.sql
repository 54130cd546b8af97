DROP VIEW IF EXISTS products_mv
