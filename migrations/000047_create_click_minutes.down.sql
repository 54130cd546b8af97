DROP TABLE IF EXISTS click_minutes
