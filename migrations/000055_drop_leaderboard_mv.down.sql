-- Recomputes every leaderboard from the order state every 2 seconds.
-- A user ranks in a window with at least one paid or settled order placed in
-- it; by rebate descending, ties by user_id. Summing over per-order state is
-- what makes it exact (voids after settlement, duplicates); doing it on a
-- schedule is what makes it cheap to read: a ranking over every user and
-- every order cannot be both exact and incremental in a view.
CREATE MATERIALIZED VIEW IF NOT EXISTS leaderboard_mv
REFRESH EVERY 2 SECOND
TO leaderboard
AS
WITH now64(3, 'UTC') AS as_of
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
        SELECT
            user_id,
            [sumIf(rebate, placed_at >= as_of - INTERVAL 1 HOUR),
             sumIf(rebate, placed_at >= as_of - INTERVAL 24 HOUR),
             sumIf(rebate, placed_at >= as_of - INTERVAL 7 DAY),
             sumIf(rebate, placed_at >= as_of - INTERVAL 30 DAY),
             sum(rebate)] AS sums,
            [countIf(placed_at >= as_of - INTERVAL 1 HOUR),
             countIf(placed_at >= as_of - INTERVAL 24 HOUR),
             countIf(placed_at >= as_of - INTERVAL 7 DAY),
             countIf(placed_at >= as_of - INTERVAL 30 DAY),
             count()] AS counts
        FROM orders_by_user FINAL
        WHERE state IN (1, 2) AND placed_at <= as_of
        GROUP BY user_id
    )
    ARRAY JOIN
        sums AS rebate,
        counts AS orders,
        ['1h', '24h', '7d', '30d', 'all'] AS period
    WHERE orders > 0
    UNION ALL
    SELECT arrayJoin(['1h', '24h', '7d', '30d', 'all']) AS period, 0 AS rank, 0 AS user_id, toDecimal128(0, 2) AS rebate
)
