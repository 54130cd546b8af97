-- The per-user order signals (docs/events.md, Fraud signals) of the users
-- {users} (every user with orders when empty), one row of each per user,
-- raised or not, from their orders as they stand (orders FINAL):
--   cancel_rate  over the 30 days up to the user's latest placed_at (both
--                ends included), at least {cancel_min_orders} orders of which
--                more than {cancel_share} are void (cancelled or reversed);
--   velocity     more than {orders_per_hour} orders placed in one hour
--                [t, t + 1 h); the evidence is the busiest such hour, the
--                earliest of equals, which starts at an order's placed_at.
-- clickhouse.Materialize writes them to risk_signals for the users whose
-- orders a batch touched, with the thresholds of its settings bound here.
CREATE VIEW IF NOT EXISTS user_signals AS
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
    SELECT
        user_id,
        any(last_placed) AS latest,
        toUInt32(countIf(placed_at >= last_placed - toIntervalDay(30))) AS recent,
        toUInt32(countIf(placed_at >= last_placed - toIntervalDay(30) AND state = 3)) AS recent_void,
        toUInt32(max(in_hour)) AS busiest,
        argMax(placed_at, (in_hour, -toUnixTimestamp64Milli(placed_at))) AS busiest_at
    FROM
    (
        SELECT
            user_id, placed_at, state,
            max(placed_at) OVER (PARTITION BY user_id) AS last_placed,
            count() OVER (PARTITION BY user_id ORDER BY toUnixTimestamp64Milli(placed_at)
                          RANGE BETWEEN CURRENT ROW AND 3599999 FOLLOWING) AS in_hour
        FROM orders FINAL
        WHERE empty({users:Array(UInt64)})
           OR (merchant_id, placed_at, order_id) IN
              (SELECT merchant_id, placed_at, order_id FROM user_orders WHERE user_id IN {users:Array(UInt64)})
    )
    GROUP BY user_id
)
ARRAY JOIN
[
    ('cancel_rate', recent >= {cancel_min_orders:UInt32} AND recent_void > recent * {cancel_share:Decimal(9, 4)},
     latest, latest - toIntervalDay(30), latest, recent, recent_void),
    ('velocity', busiest > {orders_per_hour:UInt32},
     busiest_at, busiest_at, busiest_at + toIntervalHour(1), busiest, toUInt32(0))
] AS s
