-- The leaderboards' query as 000139 left it: every window, every 2 s.
ALTER TABLE leaderboards_mv MODIFY QUERY
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
            -- The last day's orders: the 1h and 24h windows, and today's part of 7d and 30d.
            SELECT user_id, period, part_rebate, part_orders
            FROM
            (
                SELECT user_id,
                       [sumIf(rebate, placed_at >= as_of - INTERVAL 1 HOUR), sum(rebate),
                        sumIf(rebate, placed_at >= today), sumIf(rebate, placed_at >= today)] AS rebates,
                       [toInt64(countIf(placed_at >= as_of - INTERVAL 1 HOUR)), toInt64(count()),
                        toInt64(countIf(placed_at >= today)), toInt64(countIf(placed_at >= today))] AS counts
                FROM order_prices FINAL
            WHERE placed_at >= as_of - INTERVAL 24 HOUR AND placed_at < as_of + INTERVAL 1 MILLISECOND AND
                  state IN (PAID, SETTLED)
                GROUP BY user_id
            )
            ARRAY JOIN rebates AS part_rebate, counts AS part_orders, ['1h', '24h', '7d', '30d'] AS period
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
    SELECT arrayJoin(['1h', '24h', '7d', '30d', 'all']) AS period, 0 AS rank, 0 AS user_id, toDecimal128(0, 2) AS rebate
)
SETTINGS os_thread_priority = 19
