-- The orders of the (user, product) pairs {pairs} (of the users {users})
-- placed at or after {since}, by the key of orders, with their user: those
-- a batch's clicks may change the no-click signal of (since: its first
-- click; a click clears the next 24 hours and is the latest click of every
-- later order). Each user's orders are a range of user_prices' key; an
-- order's versions share its user, product and key, so no FINAL. An order
-- stored but not priced yet (by another ingester) is not found: that one
-- prices it, then works its signal out, after this batch's clicks were
-- stored, so the newest row holds both.
-- settings: max_threads = 1 (the keys of one batch: one thread costs 5-15% less CPU than two, measured, and is no slower)
-- for: service (the ingester works out the signals each batch it stores touches)
SELECT DISTINCT merchant_id, placed_at, order_id, user_id
FROM user_prices
WHERE user_id IN {users:Array(UInt64)} AND placed_at >= {since:DateTime64(3, 'UTC')}
  AND (user_id, product_id) IN {pairs:Array(Tuple(UInt64, UInt64))}
