-- Reconciles the per-minute buckets from {since} on, merchant by merchant,
-- with the same buckets worked out again: merchant_minutes (count, GMV,
-- commission and rebate of the orders not void, by placed_at) from the
-- priced orders (order_prices), and click_minutes (distinct clicks by ts)
-- from the event log, each event_id once. A row per merchant, minute and
-- figure that differs.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
    toStartOfMinute({since:DateTime64(3, 'UTC')}) AS first_minute,
    -- Event times are compared with a DateTime64 bound only (get_merchant_stats.sql says why).
    toDateTime64(first_minute, 3, 'UTC') AS first_minute_at,
    clicks_once AS (
        SELECT merchant_id, ts
        FROM events
        WHERE type = 'click' AND ts >= first_minute_at
        ORDER BY event_id, ingested_at, kafka_partition, kafka_offset
        LIMIT 1 BY event_id
    ),
    expected_orders AS (
        SELECT merchant_id, toDateTime(toStartOfMinute(placed_at), 'UTC') AS minute, countIf(state != 3) AS e_orders,
            sumIf(toInt64(amount * 100), state != 3) AS e_gmv, sumIf(toInt64(commission * 100), state != 3) AS e_commission,
            sumIf(toInt64(rebate * 100), state != 3) AS e_rebate
        FROM order_prices FINAL
        WHERE placed_at >= first_minute_at
        GROUP BY merchant_id, minute
    ),
    expected_clicks AS (
        SELECT merchant_id, toDateTime(toStartOfMinute(ts), 'UTC') AS minute, count() AS e_clicks
        FROM clicks_once GROUP BY merchant_id, minute
    ),
    found_orders AS (
        SELECT merchant_id, minute, orders AS f_orders, toInt64(gmv * 100) AS f_gmv,
            toInt64(commission * 100) AS f_commission, toInt64(rebate * 100) AS f_rebate
        FROM merchant_minutes FINAL
        WHERE minute >= first_minute
    ),
    found_clicks AS (
        SELECT merchant_id, minute, clicks AS f_clicks FROM click_minutes FINAL WHERE minute >= first_minute
    )
SELECT figure, toUInt64(0) AS user_id, merchant_id, concat('minute ', toString(minute)) AS detail, expected, found
FROM
(
    SELECT
        merchant_id, minute,
        ['clicks', 'orders', 'gmv', 'commission', 'rebate'] AS figures,
        [toString(e_clicks), toString(e_orders), toString(toDecimal128(e_gmv, 2) / 100),
         toString(toDecimal128(e_commission, 2) / 100), toString(toDecimal128(e_rebate, 2) / 100)] AS expected_values,
        [toString(f_clicks), toString(f_orders), toString(toDecimal128(f_gmv, 2) / 100),
         toString(toDecimal128(f_commission, 2) / 100), toString(toDecimal128(f_rebate, 2) / 100)] AS found_values
    FROM expected_orders
    FULL OUTER JOIN expected_clicks USING (merchant_id, minute)
    FULL OUTER JOIN found_orders USING (merchant_id, minute)
    FULL OUTER JOIN found_clicks USING (merchant_id, minute)
)
ARRAY JOIN figures AS figure, expected_values AS expected, found_values AS found
WHERE expected != found
ORDER BY merchant_id, detail, figure
