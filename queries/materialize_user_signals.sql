-- Works out again, whole, the cancel_rate and velocity signals of the users
-- {users}, raised or not, with a newer version, at the thresholds
-- {cancel_share}, {cancel_min_orders} and {orders_per_hour}: one row of each
-- per user, from their days in user_days and the orders of two days in
-- user_prices (Materialize has just priced the same orders and worked out
-- their days; an order's state there is the one it priced):
--   cancel_rate  over the 30 days up to the user's latest placed_at (both
--                ends included), at least {cancel_min_orders} orders of which
--                more than {cancel_share} are void (cancelled or reversed);
--   velocity     more than {orders_per_hour} orders placed in one hour
--                [t, t + 1 h); the evidence is the busiest such hour, the
--                earliest of equals, which starts at an order's placed_at.
-- Both add up days, not orders, so a batch's cost follows the days its users
-- ordered on, not how many orders they ever placed: the whole days after the
-- first of the 30 add up (the last one holds the latest order), and only the
-- first day's orders are read, with the last day's for the latest placed_at,
-- each user's a range of user_prices' key (orders, sorted by merchant and
-- time, held them in most of its granules: measured in docs/benchmarks.md).
-- The busiest hour of all time is the busiest of the days' busiest hours.
-- Written here, not as a parameterized view (000094, dropped by 000102),
-- which cost about twice the CPU for the same SELECT.
-- settings: max_threads = 1 (the keys of one batch: one thread costs 5-15% less CPU than two, measured, and is no slower)
-- for: service (the ingester works out the signals each batch it stores touches)
INSERT INTO risk_signals (user_id, signal, ref, raised, at, window_start, window_end, merchant_id, product_id,
                          last_click, orders, voided, invitees, settled, version)
SELECT *, {version:UInt64}
FROM
(
    SELECT
        user_id,
        s.1 AS signal,
        '' AS ref,
        s.2 AS raised,
        s.3 AS at,
        s.4 AS window_start,
        s.5 AS window_end,
        toUInt64(0) AS merchant_id,
        toUInt64(0) AS product_id,
        toDateTime64(0, 3, 'UTC') AS last_click,
        s.6 AS orders,
        s.7 AS voided,
        toUInt32(0) AS invitees,
        toUInt32(0) AS settled
    FROM
    (
        -- The user's days: the 30 days up to the latest and the busiest hour of all.
        SELECT user_id, last_day,
            sumIf(placed, day > last_day - 30) AS mid, sumIf(voided, day > last_day - 30) AS mid_void,
            max(busiest) AS top, argMax(busiest_at, (busiest, -toUnixTimestamp64Milli(busiest_at))) AS top_at
        FROM
        (
            SELECT user_id, day, placed, voided, busiest, busiest_at, max(day) OVER (PARTITION BY user_id) AS last_day
            FROM user_days FINAL
            WHERE user_id IN {users:Array(UInt64)}
        )
        GROUP BY user_id, last_day
    ) AS d
    INNER JOIN
    (
        -- The orders of each user's first and last day of the window: the
        -- latest order, and those of the first day at most 30 days before it.
        SELECT user_id, any(last_placed) AS latest,
            countIf(toDate(placed_at) = toDate(last_placed) - 30 AND placed_at >= last_placed - toIntervalDay(30)) AS edge,
            countIf(toDate(placed_at) = toDate(last_placed) - 30 AND placed_at >= last_placed - toIntervalDay(30) AND state = 3) AS edge_void
        FROM
        (
            SELECT user_id, placed_at, state, max(placed_at) OVER (PARTITION BY user_id) AS last_placed
            FROM user_prices FINAL
            WHERE user_id IN {users:Array(UInt64)} AND (user_id, toDate(placed_at)) IN
                  (SELECT user_id, arrayJoin([last, last - 30])
                   FROM (SELECT user_id, max(day) AS last FROM user_days
                         WHERE user_id IN {users:Array(UInt64)} GROUP BY user_id))
        )
        GROUP BY user_id
    ) AS e USING (user_id)
    ARRAY JOIN
    [
        ('cancel_rate', mid + edge >= {cancel_min_orders:UInt32} AND mid_void + edge_void > (mid + edge) * {cancel_share:Decimal(9, 4)},
         latest, latest - toIntervalDay(30), latest, toUInt32(mid + edge), toUInt32(mid_void + edge_void)),
        ('velocity', top > {orders_per_hour:UInt32},
         top_at, top_at, top_at + toIntervalHour(1), top, toUInt32(0))
    ] AS s
)
