INSERT INTO click_minutes_by_day (merchant_id, minute, clicks, as_of, version)
SELECT merchant_id, minute, clicks, as_of, version
FROM click_minutes FINAL
