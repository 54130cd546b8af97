-- Reconciles the per-minute figures from {since} on (distinct clicks by ts;
-- count, GMV, commission and rebate of orders that are not void, by
-- placed_at), computed from the event log by the rules of docs/events.md,
-- with what list_minutely_kpis reads (clicks_minutely, orders_by_time): a
-- row per minute and figure that differs.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
    (SELECT arraySort(r -> r.1, groupArray((effective_from, share))) FROM rebate_rules FINAL WHERE merchant_id = 0) AS default_rules,
    toStartOfMinute({since:DateTime64(3, 'UTC')}) AS first_minute,
    once AS (
        SELECT *, (ingested_at, kafka_partition, kafka_offset) AS stored
        FROM events
        WHERE (type = 'click' AND ts >= first_minute)
           OR (type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed') AND placed_at >= first_minute)
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
        SELECT toStartOfMinute(placed_at) AS minute, count() AS e_orders, sum(toInt64(amount * 100)) AS e_gmv,
            sum(toInt64(commission * 100)) AS e_commission, sum(cents) AS e_rebate
        FROM
        (
            SELECT
                o.placed_at AS placed_at, o.amount AS amount, o.commission AS commission,
                arrayFilter(r -> r.1 <= o.placed_at, r.history) AS own,
                arrayFilter(r -> r.1 <= o.placed_at, default_rules) AS fallback,
                multiIf(notEmpty(own), own[-1].2, notEmpty(fallback), fallback[-1].2, toDecimal32(0, 4)) AS share,
                intDiv(toInt64(o.commission * 100) * toInt64(share * 10000), 10000) AS cents
            FROM orders AS o
            LEFT JOIN rules AS r ON r.merchant_id = o.merchant_id
            WHERE o.state != 3
        )
        GROUP BY minute
    ),
    expected_clicks AS (
        SELECT toStartOfMinute(ts) AS minute, count() AS e_clicks FROM once WHERE type = 'click' GROUP BY minute
    ),
    found_orders AS (
        SELECT toStartOfMinute(placed_at) AS minute, count() AS f_orders, sum(toInt64(amount * 100)) AS f_gmv,
            sum(toInt64(commission * 100)) AS f_commission, sum(toInt64(rebate * 100)) AS f_rebate
        FROM orders_by_time FINAL
        WHERE placed_at >= first_minute AND state != 3
        GROUP BY minute
    ),
    found_clicks AS (
        SELECT toDateTime64(minute, 3, 'UTC') AS minute, toUInt64(uniqExactMerge(clicks)) AS f_clicks
        FROM clicks_minutely
        WHERE minute >= first_minute
        GROUP BY minute
    )
SELECT figure, toUInt64(0) AS user_id, toUInt64(0) AS merchant_id, concat('minute ', toString(minute)) AS detail, expected, found
FROM
(
    SELECT
        minute,
        ['clicks', 'orders', 'gmv', 'commission', 'rebate'] AS figures,
        [toString(e_clicks), toString(e_orders), toString(toDecimal128(e_gmv, 2) / 100),
         toString(toDecimal128(e_commission, 2) / 100), toString(toDecimal128(e_rebate, 2) / 100)] AS expected_values,
        [toString(f_clicks), toString(f_orders), toString(toDecimal128(f_gmv, 2) / 100),
         toString(toDecimal128(f_commission, 2) / 100), toString(toDecimal128(f_rebate, 2) / 100)] AS found_values
    FROM expected_orders
    FULL OUTER JOIN expected_clicks USING (minute)
    FULL OUTER JOIN found_orders USING (minute)
    FULL OUTER JOIN found_clicks USING (minute)
)
ARRAY JOIN figures AS figure, expected_values AS expected, found_values AS found
WHERE expected != found
ORDER BY detail, figure
