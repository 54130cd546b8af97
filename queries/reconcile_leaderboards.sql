-- Reconciles the leaderboards as of their last refresh (the as_of each
-- period carries on its rank-0 row) with a ranking worked out again from
-- the priced orders (order_prices), without the day buckets the refresh
-- adds up: for each window ending at as_of (1h, 24h, 7d, 30d, all), users
-- with a paid or settled order placed in it, by the sum of those orders'
-- rebates descending, ties by user ascending. A row per rank whose user or
-- rebate differs. An order that changed after the refresh differs until
-- the next one (every 2 s): the reconciler's recheck leaves that out.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
    boards AS (
        SELECT toString(period) AS period, as_of,
            multiIf(period = '1h', 3600, period = '24h', 86400, period = '7d', 604800, period = '30d', 2592000, 0) AS seconds
        FROM leaderboards
        WHERE rank = 0
    ),
    sums AS (
        SELECT b.period AS period, p.user_id AS user_id, sum(toInt64(p.rebate * 100)) AS cents
        FROM (SELECT user_id, placed_at, rebate FROM order_prices FINAL WHERE state IN (1, 2)) AS p
        CROSS JOIN boards AS b
        WHERE p.placed_at <= b.as_of
          AND (b.seconds = 0 OR p.placed_at >= b.as_of - toIntervalSecond(b.seconds))
        GROUP BY period, user_id
    ),
    wanted_rows AS (
        SELECT period, rank, ranked.2 AS user_id, -ranked.1 AS cents
        FROM
        (
            SELECT period, arraySort(groupArray((-cents, user_id))) AS ranking
            FROM sums
            GROUP BY period
        )
        ARRAY JOIN ranking AS ranked, arrayEnumerate(ranking) AS rank
    ),
    stored_rows AS (
        SELECT toString(period) AS period, rank, user_id, toInt64(rebate * 100) AS cents
        FROM leaderboards
        WHERE rank > 0
    )
SELECT
    'rank' AS figure,
    if(e.period != '', e.user_id, f.user_id) AS user_id,
    toUInt64(0) AS merchant_id,
    format('{} rank {}', if(e.period != '', e.period, f.period), toString(if(e.period != '', e.rank, f.rank))) AS detail,
    if(e.period != '', format('user {} rebate {}', toString(e.user_id), toString(toDecimal128(e.cents, 2) / 100)), '') AS expected,
    if(f.period != '', format('user {} rebate {}', toString(f.user_id), toString(toDecimal128(f.cents, 2) / 100)), '') AS found
FROM wanted_rows AS e
FULL OUTER JOIN stored_rows AS f ON e.period = f.period AND e.rank = f.rank
WHERE expected != found
ORDER BY detail
