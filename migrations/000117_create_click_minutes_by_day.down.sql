DROP TABLE IF EXISTS click_minutes_by_day
