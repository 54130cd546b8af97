TRUNCATE TABLE IF EXISTS merchant_minutes
