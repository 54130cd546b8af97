-- A product's latest update: by ts, ties by the greater event_id.
-- settings: max_threads = 1 (a point lookup: one thread answers sooner than several would start)
SELECT
    product_id,
    latest.1 AS merchant_id,
    latest.2 AS price,
    latest.3 AS stock,
    latest.4 AS commission_rate,
    latest.5 AS updated_at
FROM
(
    SELECT product_id, argMaxMerge(latest) AS latest
    FROM products
    WHERE product_id = {product_id:UInt64}
    GROUP BY product_id
)
