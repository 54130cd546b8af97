-- Works out the short windows' leaderboards (1h and 24h) every 2 s
-- (REBATE_LEADERBOARD_REFRESH) into leaderboards_short. A user ranks in a
-- window with at least one paid or settled order placed in it; by rebate
-- descending, ties by user_id. It reads the last day's priced orders only,
-- so its cost follows the traffic, not the history. It runs at the lowest
-- OS priority, as the service's writes do (000139).
-- rebuild: none (a refreshable view: its first refresh works both leaderboards out whole)
CREATE MATERIALIZED VIEW IF NOT EXISTS leaderboards_mv
REFRESH EVERY 2 SECOND
TO leaderboards_short
AS
WITH
    now64(3, 'UTC') AS as_of,
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
        SELECT user_id, period, part_rebate AS rebate
        FROM
        (
            SELECT user_id,
                   [sumIf(rebate, placed_at >= as_of - INTERVAL 1 HOUR), sum(rebate)] AS rebates,
                   [toInt64(countIf(placed_at >= as_of - INTERVAL 1 HOUR)), toInt64(count())] AS counts
            FROM order_prices FINAL
            WHERE placed_at >= as_of - INTERVAL 24 HOUR AND placed_at < as_of + INTERVAL 1 MILLISECOND AND
                  state IN (PAID, SETTLED)
            GROUP BY user_id
        )
        ARRAY JOIN rebates AS part_rebate, counts AS part_orders, ['1h', '24h'] AS period
        WHERE part_orders > 0
    )
    UNION ALL
    SELECT arrayJoin(['1h', '24h']) AS period, 0 AS rank, 0 AS user_id, toDecimal128(0, 2) AS rebate
)
SETTINGS os_thread_priority = 19
