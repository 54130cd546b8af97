-- The buckets of what was stored before the table existed.
INSERT INTO merchant_minutes (merchant_id, minute, orders, gmv, commission, rebate, as_of, version)
SELECT merchant_id, toStartOfMinute(placed_at) AS minute, countIf(state != 3), sumIf(amount, state != 3),
       sumIf(commission, state != 3), sumIf(rebate, state != 3), max(ts), toUnixTimestamp64Nano(now64(9))
FROM order_prices FINAL
GROUP BY merchant_id, minute
