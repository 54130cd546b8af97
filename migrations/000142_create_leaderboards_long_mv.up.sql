-- Works out the long windows' leaderboards (7d, 30d and all) every 30 s
-- (REBATE_LEADERBOARD_LONG_REFRESH) into leaderboards_long, as 000139's
-- query did with every window: the 7d and 30d windows add up whole days of
-- user_days and read priced orders only for today and for the partial first
-- day; all-time reads user_totals, less any order placed after as_of. These
-- windows read, group and rank every user of 30 days and of all time: at
-- 30 M events most of a second of CPU, which the short windows no longer
-- pay every 2 s. At the lowest OS priority, as 000139.
-- rebuild: none (a refreshable view: its first refresh works the long windows out whole)
CREATE MATERIALIZED VIEW IF NOT EXISTS leaderboards_long_mv
REFRESH EVERY 30 SECOND
TO leaderboards_long
AS
WITH
    now64(3, 'UTC') AS as_of,
    toDateTime64(toStartOfDay(as_of), 3, 'UTC') AS today,
    1 AS PAID, 2 AS SETTLED
SELECT period, rank, user_id, rebate, as_of
FROM
(
    SELECT
        period,
        toUInt64(row_number() OVER (PARTITION BY period ORDER BY rebate DESC, user_id ASC)) AS rank,
        user_id,
        rebate
    FROM
    (
        SELECT period, user_id, sum(part_rebate) AS rebate, sum(part_orders) AS orders
        FROM
        (
            -- Today's orders: the last part of 7d and 30d.
            SELECT user_id, period, part_rebate, part_orders
            FROM
            (
                SELECT user_id, sum(rebate) AS today_rebate, toInt64(count()) AS today_orders
                FROM order_prices FINAL
                WHERE placed_at >= today AND placed_at < as_of + INTERVAL 1 MILLISECOND AND
                      state IN (PAID, SETTLED)
                GROUP BY user_id
            )
            ARRAY JOIN [today_rebate, today_rebate] AS part_rebate, [today_orders, today_orders] AS part_orders, ['7d', '30d'] AS period
            UNION ALL
            -- Whole days strictly inside each window.
            SELECT user_id, '7d', rebate, toInt64(orders)
            FROM user_days FINAL
            WHERE day > toDate(as_of - INTERVAL 7 DAY) AND day < toDate(today)
            UNION ALL
            SELECT user_id, '30d', rebate, toInt64(orders)
            FROM user_days FINAL
            WHERE day > toDate(as_of - INTERVAL 30 DAY) AND day < toDate(today)
            UNION ALL
            -- The partial first day of each window.
            SELECT user_id, '7d', rebate, toInt64(1)
            FROM order_prices FINAL
            WHERE placed_at >= as_of - INTERVAL 7 DAY AND placed_at < toDateTime64(toStartOfDay(as_of - INTERVAL 7 DAY) + INTERVAL 1 DAY, 3, 'UTC') AND
              state IN (PAID, SETTLED)
            UNION ALL
            SELECT user_id, '30d', rebate, toInt64(1)
            FROM order_prices FINAL
            WHERE placed_at >= as_of - INTERVAL 30 DAY AND placed_at < toDateTime64(toStartOfDay(as_of - INTERVAL 30 DAY) + INTERVAL 1 DAY, 3, 'UTC') AND
              state IN (PAID, SETTLED)
            UNION ALL
            -- All time, less what was placed after as_of.
            SELECT user_id, 'all', rebate, toInt64(orders) FROM user_totals FINAL
            UNION ALL
            SELECT user_id, 'all', -rebate, toInt64(-1)
            FROM order_prices FINAL
            WHERE placed_at >= as_of + INTERVAL 1 MILLISECOND AND placed_at < toDateTime64('2100-01-01 00:00:00', 3, 'UTC') AND
              state IN (PAID, SETTLED)
        )
        GROUP BY period, user_id
        HAVING orders > 0
    )
    UNION ALL
    SELECT arrayJoin(['7d', '30d', 'all']) AS period, 0 AS rank, 0 AS user_id, toDecimal128(0, 2) AS rebate
)
SETTINGS os_thread_priority = 19
