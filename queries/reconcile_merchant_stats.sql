-- Reconciles every merchant's all-time figures as get_merchant_stats adds
-- them up (the per-minute buckets merchant_minutes and click_minutes) with
-- the same figures from the event log: distinct clicks (each event_id once;
-- also against clicks, the table the click buckets are counted from), and
-- count, GMV and commission of the orders that are not void (state and
-- amounts from each order's events), with their rebates as stored in
-- order_prices. A row per figure that differs. Merchants with an event
-- since {since} only. Pricing is the oracle's property tests' to check.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
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
    from_log AS (
        SELECT
            order_id,
            argMin(merchant_id, stored) AS merchant_id,
            argMin(amount, stored) AS amount,
            argMin(commission, stored) AS commission,
            max(multiIf(type = 'order_paid', 1, type = 'order_settled', 2, 3)) AS state
        FROM once
        WHERE type != 'click'
        GROUP BY order_id
    ),
    expected_orders AS (
        SELECT o.merchant_id AS merchant_id, count() AS e_orders, sum(toInt64(o.amount * 100)) AS e_gmv,
            sum(toInt64(o.commission * 100)) AS e_commission, sum(toInt64(p.rebate * 100)) AS e_rebate
        FROM from_log AS o
        LEFT JOIN (SELECT order_id, rebate FROM order_prices FINAL WHERE merchant_id IN active) AS p ON p.order_id = o.order_id
        WHERE o.state != 3
        GROUP BY merchant_id
    ),
    expected_clicks AS (
        SELECT merchant_id, count() AS e_clicks FROM once WHERE type = 'click' GROUP BY merchant_id
    ),
    found_orders AS (
        SELECT merchant_id, sum(orders) AS f_orders, sum(toInt64(gmv * 100)) AS f_gmv,
            sum(toInt64(commission * 100)) AS f_commission, sum(toInt64(rebate * 100)) AS f_rebate
        FROM merchant_minutes FINAL
        WHERE merchant_id IN active
        GROUP BY merchant_id
    ),
    found_clicks AS (
        SELECT merchant_id, sum(clicks) AS f_clicks FROM click_minutes FINAL WHERE merchant_id IN active GROUP BY merchant_id
    ),
    stored_clicks AS (
        SELECT merchant_id, count() AS s_clicks FROM clicks FINAL WHERE merchant_id IN active GROUP BY merchant_id
    )
SELECT figure, toUInt64(0) AS user_id, merchant_id, 'all time' AS detail, expected, found
FROM
(
    SELECT
        merchant_id,
        ['clicks', 'clicks_stored', 'orders', 'gmv', 'commission', 'rebate'] AS figures,
        [toString(e_clicks), toString(e_clicks), toString(e_orders), toString(toDecimal128(e_gmv, 2) / 100),
         toString(toDecimal128(e_commission, 2) / 100), toString(toDecimal128(e_rebate, 2) / 100)] AS expected_values,
        [toString(f_clicks), toString(s_clicks), toString(f_orders), toString(toDecimal128(f_gmv, 2) / 100),
         toString(toDecimal128(f_commission, 2) / 100), toString(toDecimal128(f_rebate, 2) / 100)] AS found_values
    FROM expected_orders
    FULL OUTER JOIN expected_clicks USING (merchant_id)
    FULL OUTER JOIN found_orders USING (merchant_id)
    FULL OUTER JOIN found_clicks USING (merchant_id)
    FULL OUTER JOIN stored_clicks USING (merchant_id)
)
ARRAY JOIN figures AS figure, expected_values AS expected, found_values AS found
WHERE expected != found
ORDER BY merchant_id, figure
