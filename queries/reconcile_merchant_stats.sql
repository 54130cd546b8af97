-- Reconciles every merchant's all-time figures (distinct clicks; count,
-- GMV, commission and rebate of orders that are not void), computed from
-- the event log by the rules of docs/events.md, with what
-- get_merchant_stats reads (clicks, orders_by_merchant): a row per figure
-- that differs. Merchants with an event since {since} only.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
    (SELECT arraySort(r -> r.1, groupArray((effective_from, share))) FROM rebate_rules FINAL WHERE merchant_id = 0) AS default_rules,
    active AS (
        SELECT DISTINCT merchant_id FROM events
        WHERE type IN ('click', 'order_paid', 'order_settled', 'order_cancelled', 'order_reversed') AND ts >= {since:DateTime64(3, 'UTC')}
    ),
    once AS (
        SELECT *, (ingested_at, kafka_partition, kafka_offset) AS stored
        FROM events
        WHERE type IN ('click', 'order_paid', 'order_settled', 'order_cancelled', 'order_reversed') AND merchant_id IN active
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
            argMin(merchant_id, stored) AS merchant_id,
            argMin(amount, stored) AS amount,
            argMin(commission, stored) AS commission,
            argMin(placed_at, stored) AS placed_at,
            max(multiIf(type = 'order_paid', 1, type = 'order_settled', 2, 3)) AS state
        FROM once
        WHERE type != 'click'
        GROUP BY order_id
    ),
    expected_orders AS (
        SELECT merchant_id, count() AS e_orders, sum(toInt64(amount * 100)) AS e_gmv,
            sum(toInt64(commission * 100)) AS e_commission, sum(cents) AS e_rebate
        FROM
        (
            SELECT
                o.merchant_id AS merchant_id, o.amount AS amount, o.commission AS commission,
                arrayFilter(r -> r.1 <= o.placed_at, r.history) AS own,
                arrayFilter(r -> r.1 <= o.placed_at, default_rules) AS fallback,
                multiIf(notEmpty(own), own[-1].2, notEmpty(fallback), fallback[-1].2, toDecimal32(0, 4)) AS share,
                intDiv(toInt64(o.commission * 100) * toInt64(share * 10000), 10000) AS cents
            FROM orders AS o
            LEFT JOIN rules AS r ON r.merchant_id = o.merchant_id
            WHERE o.state != 3
        )
        GROUP BY merchant_id
    ),
    expected_clicks AS (
        SELECT merchant_id, count() AS e_clicks FROM once WHERE type = 'click' GROUP BY merchant_id
    ),
    found_orders AS (
        SELECT merchant_id, count() AS f_orders, sum(toInt64(amount * 100)) AS f_gmv,
            sum(toInt64(commission * 100)) AS f_commission, sum(toInt64(rebate * 100)) AS f_rebate
        FROM orders_by_merchant FINAL
        WHERE merchant_id IN active AND state != 3
        GROUP BY merchant_id
    ),
    found_clicks AS (
        SELECT merchant_id, count() AS f_clicks FROM clicks FINAL WHERE merchant_id IN active GROUP BY merchant_id
    )
SELECT figure, toUInt64(0) AS user_id, merchant_id, 'all time' AS detail, expected, found
FROM
(
    SELECT
        merchant_id,
        ['clicks', 'orders', 'gmv', 'commission', 'rebate'] AS figures,
        [toString(e_clicks), toString(e_orders), toString(toDecimal128(e_gmv, 2) / 100),
         toString(toDecimal128(e_commission, 2) / 100), toString(toDecimal128(e_rebate, 2) / 100)] AS expected_values,
        [toString(f_clicks), toString(f_orders), toString(toDecimal128(f_gmv, 2) / 100),
         toString(toDecimal128(f_commission, 2) / 100), toString(toDecimal128(f_rebate, 2) / 100)] AS found_values
    FROM expected_orders
    FULL OUTER JOIN expected_clicks USING (merchant_id)
    FULL OUTER JOIN found_orders USING (merchant_id)
    FULL OUTER JOIN found_clicks USING (merchant_id)
)
ARRAY JOIN figures AS figure, expected_values AS expected, found_values AS found
WHERE expected != found
ORDER BY merchant_id, figure
