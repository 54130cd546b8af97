-- Reconciles every order, as the event log says it is (owner, amounts and
-- placed_at of its first stored event, highest-ranked state, rebate =
-- floor(commission x share of the rule in force at placed_at)), with its
-- row in each of the three order tables the figures read (orders_by_user,
-- orders_by_time, orders_by_merchant): a row per table that differs or
-- misses it. Orders with an event since {since} only.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
    (SELECT arraySort(r -> r.1, groupArray((effective_from, share))) FROM rebate_rules FINAL WHERE merchant_id = 0) AS default_rules,
    active AS (
        SELECT DISTINCT order_id FROM events
        WHERE type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed') AND ts >= {since:DateTime64(3, 'UTC')}
    ),
    once AS (
        SELECT *, (ingested_at, kafka_partition, kafka_offset) AS stored
        FROM events
        WHERE type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed') AND order_id IN active
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
            argMin(amount, stored) AS amount,
            argMin(commission, stored) AS commission,
            argMin(placed_at, stored) AS placed_at,
            max(multiIf(type = 'order_paid', 1, type = 'order_settled', 2, 3)) AS state
        FROM once
        GROUP BY order_id
    ),
    wanted_rows AS (
        SELECT
            o.order_id AS order_id,
            o.user_id AS user_id,
            o.merchant_id AS merchant_id,
            arrayFilter(r -> r.1 <= o.placed_at, r.history) AS own,
            arrayFilter(r -> r.1 <= o.placed_at, default_rules) AS fallback,
            multiIf(notEmpty(own), own[-1].2, notEmpty(fallback), fallback[-1].2, toDecimal32(0, 4)) AS share,
            intDiv(toInt64(o.commission * 100) * toInt64(share * 10000), 10000) AS cents,
            -- compared as tuples, printed only when they differ
            [(o.state, o.user_id, o.merchant_id, o.amount, o.commission, cents, o.placed_at)] AS rows
        FROM orders AS o
        LEFT JOIN rules AS r ON r.merchant_id = o.merchant_id
    ),
    stored_rows AS (
        SELECT 'orders_by_user' AS tbl, order_id, user_id, merchant_id, state, amount, commission, rebate, placed_at
        FROM orders_by_user FINAL WHERE order_id IN active
        UNION ALL
        SELECT 'orders_by_time', order_id, user_id, merchant_id, state, amount, commission, rebate, placed_at
        FROM orders_by_time FINAL WHERE order_id IN active
        UNION ALL
        SELECT 'orders_by_merchant', order_id, user_id, merchant_id, state, amount, commission, rebate, placed_at
        FROM orders_by_merchant FINAL WHERE order_id IN active
    ),
    found_rows AS (
        -- more than one row of an order in a table is a difference too
        SELECT tbl, order_id, any(user_id) AS owner, any(merchant_id) AS seller,
            groupArray((state, user_id, merchant_id, amount, commission, toInt64(rebate * 100), placed_at)) AS rows
        FROM stored_rows
        GROUP BY tbl, order_id
    ),
    wanted AS (
        SELECT tbl, order_id, user_id, merchant_id, rows
        FROM wanted_rows
        ARRAY JOIN ['orders_by_user', 'orders_by_time', 'orders_by_merchant'] AS tbl
    )
SELECT
    tbl AS figure,
    if(w.order_id != '', w.user_id, f.owner) AS user_id,
    if(w.order_id != '', w.merchant_id, f.seller) AS merchant_id,
    concat('order ', if(w.order_id != '', w.order_id, f.order_id)) AS detail,
    arrayStringConcat(arrayMap(r -> format('{} user {} merchant {} amount {} commission {} rebate {} placed {}',
        ['paid', 'settled', 'void'][r.1], toString(r.2), toString(r.3), toString(r.4), toString(r.5),
        toString(toDecimal128(r.6, 2) / 100), toString(r.7)), w.rows), '; ') AS expected,
    arrayStringConcat(arrayMap(r -> format('{} user {} merchant {} amount {} commission {} rebate {} placed {}',
        ['paid', 'settled', 'void'][r.1], toString(r.2), toString(r.3), toString(r.4), toString(r.5),
        toString(toDecimal128(r.6, 2) / 100), toString(r.7)), f.rows), '; ') AS found
FROM wanted AS w
FULL OUTER JOIN found_rows AS f ON w.tbl = f.tbl AND w.order_id = f.order_id
WHERE w.rows != f.rows
ORDER BY user_id, detail, figure
