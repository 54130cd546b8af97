DROP TABLE IF EXISTS clicks_minutely
