-- Works out again, whole, the days {buckets} (user, day of placed_at) of the
-- users {users} from order_prices: the rebate and count of their paid and
-- settled orders; every order and the void ones; the busiest hour starting
-- at one of the day's orders; the balance's figures (rebates and counts by
-- state, the inviter's referral earnings by state, the newest event time).
-- Every order of a day is grouped, void ones too, so a day whose orders all
-- turned void is written with zeros, never left stale. An hour starting late
-- in a day ends the next, so the orders of the first hour after each day are
-- read too (they count, but are not grouped). The caller names the day
-- before an order's hour as well when the hour crosses midnight
-- (materialize.go).
-- settings: max_threads = 1 (the keys of one batch: one thread costs 5-15% less CPU than two, measured, and is no slower)
-- for: service (the ingester keeps the days after each batch it stores)
INSERT INTO user_days (day, user_id, rebate, orders, placed, voided, busiest, busiest_at,
                       pending, confirmed, paid, settled, inviter_id,
                       referral_pending, referral_confirmed, referral_void, last_event_at, balanced, version)
WITH 1 AS PAID, 2 AS SETTLED, 3 AS VOID
SELECT day, user_id,
    sumIf(rebate, state IN (PAID, SETTLED)), countIf(state IN (PAID, SETTLED)),
    count(), countIf(state = VOID),
    toUInt32(max(in_hour)), argMax(placed_at, (in_hour, -toUnixTimestamp64Milli(placed_at))),
    sumIf(rebate, state = PAID), sumIf(rebate, state = SETTLED), countIf(state = PAID), countIf(state = SETTLED),
    max(inviter_id), sumIf(referral, state = PAID), sumIf(referral, state = SETTLED), sumIf(referral, state = VOID),
    max(ts), 1,
    {version:UInt64}
FROM
(
    SELECT user_id, placed_at, toDate(placed_at) AS day, state, rebate, inviter_id, referral, ts,
        count() OVER (PARTITION BY user_id ORDER BY toUnixTimestamp64Milli(placed_at)
                      RANGE BETWEEN CURRENT ROW AND 3599999 FOLLOWING) AS in_hour
    FROM order_prices FINAL
    WHERE (toDate(placed_at), merchant_id, placed_at, order_id) IN
          (SELECT toDate(placed_at), merchant_id, placed_at, order_id FROM user_orders
           WHERE user_id IN {users:Array(UInt64)} AND
                 ((user_id, toDate(placed_at)) IN {buckets:Array(Tuple(UInt64, Date))} OR
                  (user_id, toDate(placed_at - INTERVAL 1 HOUR)) IN {buckets:Array(Tuple(UInt64, Date))}))
)
WHERE (user_id, day) IN {buckets:Array(Tuple(UInt64, Date))}
GROUP BY day, user_id
