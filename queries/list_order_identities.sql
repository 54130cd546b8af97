-- The identity each of the orders {ids} was first stored with: user,
-- merchant, product, amount, commission, placed_at and the event that fixed
-- it. The ingester checks the order events of every batch against it.
-- for: service (an ingester's lookup, not an analyst's query)
SELECT
    order_id,
    argMax(user_id, first) AS user_id,
    argMax(merchant_id, first) AS merchant_id,
    argMax(product_id, first) AS product_id,
    argMax(amount, first) AS amount,
    argMax(commission, first) AS commission,
    argMax(placed_at, first) AS placed_at,
    argMax(event_id, first) AS event_id
FROM order_identity
WHERE order_id IN {ids:Array(String)}
GROUP BY order_id
