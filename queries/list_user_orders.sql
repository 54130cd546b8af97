-- A user's orders, newest placed_at first, order_id descending on ties, each
-- with its rebate (order_prices). Pages continue strictly
-- after the (before_placed_at, before_order_id) of the last row seen; the
-- first page passes a time after every order.
-- settings: max_threads = 1 (a point lookup: one thread answers sooner than several would start)
SELECT order_id, state, amount, commission, rebate, placed_at, merchant_id, product_id, ts AS as_of
FROM order_prices FINAL
WHERE (toDate(placed_at), merchant_id, placed_at, order_id) IN
      (SELECT toDate(placed_at), merchant_id, placed_at, order_id FROM user_orders WHERE user_id = {user_id:UInt64})
  AND (placed_at, order_id) < ({before_placed_at:DateTime64(3, 'UTC')}, {before_order_id:String})
ORDER BY placed_at DESC, order_id DESC
LIMIT {limit:UInt32}
