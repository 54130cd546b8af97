-- Works out again, whole, the all-time totals of the users {users}: the
-- rebate and count of their paid and settled orders, from order_prices.
-- for: service (the ingester keeps the totals after each batch it stores)
INSERT INTO user_totals (user_id, rebate, orders, version)
WITH 1 AS PAID, 2 AS SETTLED
SELECT user_id, sumIf(rebate, state IN (PAID, SETTLED)), countIf(state IN (PAID, SETTLED)), toUnixTimestamp64Nano(now64(9))
FROM order_prices FINAL
WHERE (merchant_id, placed_at, order_id) IN
      (SELECT merchant_id, placed_at, order_id FROM user_orders WHERE user_id IN {users:Array(UInt64)})
GROUP BY user_id
