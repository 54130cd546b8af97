CREATE MATERIALIZED VIEW IF NOT EXISTS products_mv TO products AS
SELECT
    product_id,
    argMaxState(tuple(merchant_id, price, stock, commission_rate, ts), tuple(ts, event_id)) AS latest
FROM events
WHERE type = 'product_updated'
GROUP BY product_id
