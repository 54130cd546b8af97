-- Reconciles the leaderboards as of their last refreshes (the as_of each
-- period carries on its rank-0 row: the short windows' and the long
-- windows' views refresh apart, so two moments) with a ranking worked out
-- again without the day buckets the refreshes add up: for each window
-- ending at its as_of (1h, 24h, 7d, 30d, all), users with a paid or settled
-- order placed in it, by the sum of those orders' rebates descending, ties
-- by user ascending. Only events stored by that window's as_of count (each
-- order's owner, placed_at and state from its events); each order's rebate
-- is the one stored in order_prices. A row per rank whose user or rebate
-- differs. An order repriced after a refresh differs until the next one:
-- the service refreshes the leaderboards before this check
-- (ops Reconciler), and its recheck leaves out the rest.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
    boards AS (
        SELECT toString(period) AS period, as_of,
            multiIf(period = '1h', 3600, period = '24h', 86400, period = '7d', 604800, period = '30d', 2592000, 0) AS seconds
        FROM leaderboards
        WHERE rank = 0
    ),
    once AS (
        SELECT *, (ingested_at, kafka_partition, kafka_offset) AS stored
        FROM events
        WHERE type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed')
          AND ingested_at <= (SELECT max(as_of) FROM boards)
        ORDER BY event_id, ingested_at, kafka_partition, kafka_offset
        LIMIT 1 BY event_id
    ),
    -- Each order as the events stored by each board's moment make it.
    from_log AS (
        SELECT
            m.as_of AS moment,
            order_id,
            argMin(user_id, stored) AS user_id,
            argMin(placed_at, stored) AS placed_at,
            max(multiIf(type = 'order_paid', 1, type = 'order_settled', 2, 3)) AS state
        FROM once
        CROSS JOIN (SELECT DISTINCT as_of FROM boards) AS m
        WHERE once.ingested_at <= m.as_of
        GROUP BY moment, order_id
    ),
    sums AS (
        -- state as of the board: an order voided after as_of still counts
        SELECT b.period AS period, o.user_id AS user_id, sum(toInt64(p.rebate * 100)) AS cents
        FROM from_log AS o
        LEFT JOIN (SELECT order_id, rebate FROM order_prices FINAL) AS p ON p.order_id = o.order_id
        INNER JOIN boards AS b ON b.as_of = o.moment
        WHERE o.state IN (1, 2) AND o.placed_at <= b.as_of
          AND (b.seconds = 0 OR o.placed_at >= b.as_of - toIntervalSecond(b.seconds))
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
