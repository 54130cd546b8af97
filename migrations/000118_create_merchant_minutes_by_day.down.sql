DROP TABLE IF EXISTS merchant_minutes_by_day
