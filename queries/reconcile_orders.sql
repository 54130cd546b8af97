-- Reconciles every order's facts, as the event log says they are (owner,
-- merchant, product, amounts and placed_at of its first stored event, the
-- highest-ranked state of its events), with its row in each table that
-- holds them: orders (the facts), order_prices (the priced orders every
-- figure reads), user_prices (the same, sorted by user) and user_orders
-- (each user's order keys; state and amounts not kept there): a row per
-- table that differs or misses it. Orders with
-- an event since {since} only. The price itself (tier, rule, cap, referral)
-- is not worked out again here: the oracle's property tests check it.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
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
    from_log AS (
        SELECT
            order_id,
            argMin(user_id, stored) AS user_id,
            argMin(merchant_id, stored) AS merchant_id,
            argMin(product_id, stored) AS product_id,
            argMin(amount, stored) AS amount,
            argMin(commission, stored) AS commission,
            argMin(placed_at, stored) AS placed_at,
            toUInt8(max(multiIf(type = 'order_paid', 1, type = 'order_settled', 2, 3))) AS state
        FROM once
        GROUP BY order_id
    ),
    wanted AS (
        SELECT tbl, order_id, user_id, merchant_id,
            -- compared as tuples, printed only when they differ; user_orders
            -- keeps the keys only
            [if(tbl = 'user_orders', (toUInt8(0), user_id, merchant_id, toUInt64(0), toDecimal64(0, 2), toDecimal64(0, 2), placed_at),
                (state, user_id, merchant_id, product_id, toDecimal64(amount, 2), toDecimal64(commission, 2), placed_at))] AS rows
        FROM from_log
        ARRAY JOIN ['orders', 'order_prices', 'user_prices', 'user_orders'] AS tbl
    ),
    stored_rows AS (
        SELECT 'orders' AS tbl, order_id, user_id, merchant_id, state, product_id, amount, commission, placed_at
        FROM orders FINAL WHERE order_id IN active
        UNION ALL
        SELECT 'order_prices', order_id, user_id, merchant_id, state, product_id, amount, commission, placed_at
        FROM order_prices FINAL WHERE order_id IN active
        UNION ALL
        SELECT 'user_prices', order_id, user_id, merchant_id, state, product_id, amount, commission, placed_at
        FROM user_prices FINAL WHERE order_id IN active
        UNION ALL
        SELECT 'user_orders', order_id, user_id, merchant_id, toUInt8(0), toUInt64(0), toDecimal64(0, 2), toDecimal64(0, 2), placed_at
        FROM user_orders FINAL WHERE order_id IN active
    ),
    found AS (
        -- more than one row of an order in a table is a difference too
        SELECT tbl, order_id, any(user_id) AS owner, any(merchant_id) AS seller,
            arraySort(groupArray((state, user_id, merchant_id, product_id, toDecimal64(amount, 2), toDecimal64(commission, 2), placed_at))) AS rows
        FROM stored_rows
        GROUP BY tbl, order_id
    )
SELECT
    if(w.order_id != '', w.tbl, f.tbl) AS figure,
    if(w.order_id != '', w.user_id, f.owner) AS user_id,
    if(w.order_id != '', w.merchant_id, f.seller) AS merchant_id,
    concat('order ', if(w.order_id != '', w.order_id, f.order_id)) AS detail,
    arrayStringConcat(arrayMap(r -> format('{}user {} merchant {} product {} amount {} commission {} placed {}',
        if(r.1 = 0, '', concat(['paid', 'settled', 'void'][r.1], ' ')), toString(r.2), toString(r.3), toString(r.4), toString(r.5),
        toString(r.6), toString(r.7)), w.rows), '; ') AS expected,
    arrayStringConcat(arrayMap(r -> format('{}user {} merchant {} product {} amount {} commission {} placed {}',
        if(r.1 = 0, '', concat(['paid', 'settled', 'void'][r.1], ' ')), toString(r.2), toString(r.3), toString(r.4), toString(r.5),
        toString(r.6), toString(r.7)), f.rows), '; ') AS found
FROM wanted AS w
FULL OUTER JOIN found AS f ON w.tbl = f.tbl AND w.order_id = f.order_id
WHERE w.rows != f.rows
ORDER BY user_id, detail, figure
