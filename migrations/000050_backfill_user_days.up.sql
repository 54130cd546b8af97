-- The buckets of what was stored before the table existed.
INSERT INTO user_days (day, user_id, rebate, orders, version)
SELECT toDate(placed_at) AS day, user_id, sumIf(rebate, state IN (1, 2)), countIf(state IN (1, 2)), toUnixTimestamp64Nano(now64(9))
FROM order_prices FINAL
GROUP BY day, user_id
