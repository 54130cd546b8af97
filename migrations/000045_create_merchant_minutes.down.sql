DROP TABLE IF EXISTS merchant_minutes
