-- The identity each order or withdrawal ({kind}: order or withdrawal) of
-- {ids} was first stored with: user, merchant, product, amount, commission,
-- placed_at and the event that fixed it. The ingester checks the events of
-- every batch against it (the rules of identity, docs/events.md).
-- for: service (an ingester's lookup, not an analyst's query)
SELECT
    id,
    argMax(user_id, first) AS user_id,
    argMax(merchant_id, first) AS merchant_id,
    argMax(product_id, first) AS product_id,
    argMax(amount, first) AS amount,
    argMax(commission, first) AS commission,
    argMax(placed_at, first) AS placed_at,
    argMax(event_id, first) AS event_id
FROM identities
WHERE kind = {kind:Enum8('order' = 1, 'withdrawal' = 2)} AND id IN {ids:Array(String)}
GROUP BY id
