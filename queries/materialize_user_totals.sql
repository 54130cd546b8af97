-- Works out again, whole, the all-time totals of the users {users}: the
-- rebate and count of their paid and settled orders, added up from their
-- days in user_days (keyed by user first, so read by key), which
-- Materialize has just worked out for the same orders. A user's days hold
-- every order of theirs, so the sum is the same as over their orders; it
-- reads a row per day the user ordered on rather than one per order.
-- settings: max_threads = 1 (the keys of one batch: one thread costs 5-15% less CPU than two, measured, and is no slower)
-- for: service (the ingester keeps the totals after each batch it stores)
INSERT INTO user_totals (user_id, rebate, orders, version)
SELECT user_id, sum(rebate), sum(orders), {version:UInt64}
FROM user_days FINAL
WHERE user_id IN {users:Array(UInt64)}
GROUP BY user_id
