DROP VIEW IF EXISTS clicks_minutely_mv
