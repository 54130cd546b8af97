-- Copies every bucket of merchant_minutes, as it stands (FINAL) and with its version,
-- into the table sorted by day.
INSERT INTO merchant_minutes_by_day (merchant_id, minute, orders, gmv, commission, rebate, as_of, version)
SELECT merchant_id, minute, orders, gmv, commission, rebate, as_of, version
FROM merchant_minutes FINAL
