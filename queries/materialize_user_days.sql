-- Works out again, whole, the days {buckets} (user, day of placed_at) of the
-- users {users}: the rebate and count of their paid and settled orders, from
-- order_prices. Every order of a day is grouped, void ones too, so a day
-- whose orders all turned void is written with zeros, never left stale.
-- for: service (the ingester keeps the days after each batch it stores)
INSERT INTO user_days (day, user_id, rebate, orders, version)
WITH 1 AS PAID, 2 AS SETTLED
SELECT toDate(placed_at) AS day, user_id, sumIf(rebate, state IN (PAID, SETTLED)), countIf(state IN (PAID, SETTLED)),
    toUnixTimestamp64Nano(now64(9))
FROM order_prices FINAL
WHERE (merchant_id, placed_at, order_id) IN
      (SELECT merchant_id, placed_at, order_id FROM user_orders
       WHERE user_id IN {users:Array(UInt64)} AND (user_id, toDate(placed_at)) IN {buckets:Array(Tuple(UInt64, Date))})
GROUP BY day, user_id
