INSERT INTO merchant_minutes_by_day (merchant_id, minute, orders, gmv, commission, rebate, as_of, version)
SELECT merchant_id, minute, orders, gmv, commission, rebate, as_of, version
FROM merchant_minutes FINAL
