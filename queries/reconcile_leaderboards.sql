-- Reconciles the leaderboards as of their last refresh (the as_of each
-- period carries) with a ranking computed from the event log by the rules
-- of docs/events.md: for each window ending at as_of, users with a paid or
-- settled order placed in it, by the sum of those orders' rebates
-- descending, ties by user ascending; only events stored by as_of count. A
-- row per rank whose user or rebate differs.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
    (SELECT arraySort(r -> r.1, groupArray((effective_from, share))) FROM rebate_rules FINAL WHERE merchant_id = 0) AS default_rules,
    boards AS (
        SELECT toString(period) AS period, as_of,
            multiIf(period = '1h', 3600, period = '24h', 86400, period = '7d', 604800, period = '30d', 2592000, 0) AS seconds
        FROM leaderboard
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
    rules AS (
        SELECT merchant_id, arraySort(r -> r.1, groupArray((effective_from, share))) AS history
        FROM rebate_rules FINAL
        GROUP BY merchant_id
    ),
    orders AS (
        SELECT
            order_id,
            argMin(user_id, stored) AS user_id,
            argMin(merchant_id, stored) AS merchant_id,
            argMin(commission, stored) AS commission,
            argMin(placed_at, stored) AS placed_at,
            max(multiIf(type = 'order_paid', 1, type = 'order_settled', 2, 3)) AS state,
            max(ingested_at) AS last_stored
        FROM once
        GROUP BY order_id
    ),
    priced AS (
        SELECT
            o.user_id AS user_id, o.placed_at AS placed_at, o.state AS state, o.last_stored AS last_stored,
            arrayFilter(r -> r.1 <= o.placed_at, r.history) AS own,
            arrayFilter(r -> r.1 <= o.placed_at, default_rules) AS fallback,
            multiIf(notEmpty(own), own[-1].2, notEmpty(fallback), fallback[-1].2, toDecimal32(0, 4)) AS share,
            intDiv(toInt64(o.commission * 100) * toInt64(share * 10000), 10000) AS cents
        FROM orders AS o
        LEFT JOIN rules AS r ON r.merchant_id = o.merchant_id
    ),
    sums AS (
        -- state as of the board: an order voided after as_of still counts
        SELECT b.period AS period, p.user_id AS user_id, sum(p.cents) AS cents
        FROM priced AS p
        CROSS JOIN boards AS b
        WHERE p.state IN (1, 2) AND p.placed_at <= b.as_of
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
        FROM leaderboard
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
