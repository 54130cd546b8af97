-- A user's orders, newest placed_at first, order_id descending on ties, each
-- with its rebate (user_prices: the user's are one range of its key). Pages continue strictly
-- after the (before_placed_at, before_order_id) of the last row seen; the
-- first page passes a time after every order.
-- settings: max_threads = 1 (a point lookup: one thread answers sooner than several would start)
SELECT order_id, state, amount, commission, rebate, placed_at, merchant_id, product_id, ts AS as_of
FROM user_prices FINAL
WHERE user_id = {user_id:UInt64}
  AND (placed_at, order_id) < ({before_placed_at:DateTime64(3, 'UTC')}, {before_order_id:String})
ORDER BY placed_at DESC, order_id DESC
LIMIT {limit:UInt32}
