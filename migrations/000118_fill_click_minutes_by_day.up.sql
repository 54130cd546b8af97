-- Copies every bucket of click_minutes, as it stands (FINAL) and with its version,
-- into the table sorted by day.
INSERT INTO click_minutes_by_day (merchant_id, minute, clicks, as_of, version)
SELECT merchant_id, minute, clicks, as_of, version
FROM click_minutes FINAL
