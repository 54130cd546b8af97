-- Reconciles every product's latest update (the product_updated event with
-- the greatest ts, ties by the greater event_id, each event_id counted as
-- its first stored copy) with what get_product reads (products): a row per
-- product that differs or is missing. Products updated since {since} only.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
    active AS (
        SELECT DISTINCT product_id FROM events WHERE type = 'product_updated' AND ts >= {since:DateTime64(3, 'UTC')}
    ),
    once AS (
        SELECT *
        FROM events
        WHERE type = 'product_updated' AND product_id IN active
        ORDER BY event_id, ingested_at, kafka_partition, kafka_offset
        LIMIT 1 BY event_id
    ),
    wanted_rows AS (
        SELECT product_id, any(merchant_id) AS seller,
            format('merchant {} price {} stock {} commission_rate {} updated {}', toString(merchant_id), toString(price),
                toString(stock), toString(commission_rate), toString(ts)) AS row
        FROM
        (
            SELECT * FROM once ORDER BY product_id, ts DESC, event_id DESC LIMIT 1 BY product_id
        )
        GROUP BY product_id, row
    ),
    stored_rows AS (
        SELECT product_id, latest.1 AS seller,
            format('merchant {} price {} stock {} commission_rate {} updated {}', toString(latest.1), toString(latest.2),
                toString(latest.3), toString(latest.4), toString(latest.5)) AS row
        FROM (SELECT product_id, argMaxMerge(latest) AS latest FROM products WHERE product_id IN active GROUP BY product_id)
    )
SELECT
    'product' AS figure,
    toUInt64(0) AS user_id,
    if(e.product_id != 0, e.seller, f.seller) AS merchant_id,
    concat('product ', toString(if(e.product_id != 0, e.product_id, f.product_id))) AS detail,
    e.row AS expected,
    f.row AS found
FROM wanted_rows AS e
FULL OUTER JOIN stored_rows AS f ON e.product_id = f.product_id
WHERE expected != found
ORDER BY merchant_id, detail
