-- leaderboards_mv works out the short windows only (1h and 24h, every 2 s,
-- REBATE_LEADERBOARD_REFRESH), reading the last day's priced orders, so its
-- cost follows the traffic, not the history; and copies the long windows
-- (7d, 30d, all) as leaderboards_long_mv's last refresh left them (000142),
-- each with its own as_of. Reads keep one table. The refresh's clock is
-- named refreshed_at, not as_of: a WITH alias named like a column of a
-- table the query reads (leaderboards_long.as_of) would stand for it.
-- At the lowest OS priority, as 000139.
-- rebuild: none (a refreshable view: its next refresh works the short windows out whole)
ALTER TABLE leaderboards_mv MODIFY QUERY
SELECT period, rank, user_id, rebate, as_of
FROM
(
    WITH
        now64(3, 'UTC') AS refreshed_at,
        1 AS PAID, 2 AS SETTLED
    SELECT period, rank, user_id, rebate, refreshed_at AS as_of
    FROM
    (
        SELECT
            period,
            toUInt64(row_number() OVER (PARTITION BY period ORDER BY rebate DESC, user_id ASC)) AS rank,
            user_id,
            rebate
        FROM
        (
            SELECT user_id, period, part_rebate AS rebate
            FROM
            (
                SELECT user_id,
                       [sumIf(rebate, placed_at >= refreshed_at - INTERVAL 1 HOUR), sum(rebate)] AS rebates,
                       [toInt64(countIf(placed_at >= refreshed_at - INTERVAL 1 HOUR)), toInt64(count())] AS counts
                FROM order_prices FINAL
                WHERE placed_at >= refreshed_at - INTERVAL 24 HOUR AND placed_at < refreshed_at + INTERVAL 1 MILLISECOND AND
                      state IN (PAID, SETTLED)
                GROUP BY user_id
            )
            ARRAY JOIN rebates AS part_rebate, counts AS part_orders, ['1h', '24h'] AS period
            WHERE part_orders > 0
        )
        UNION ALL
        SELECT arrayJoin(['1h', '24h']) AS period, 0 AS rank, 0 AS user_id, toDecimal128(0, 2) AS rebate
    )
)
UNION ALL
-- The long windows, each as of its own refresh.
SELECT period, rank, user_id, rebate, as_of FROM leaderboards_long
SETTINGS os_thread_priority = 19
