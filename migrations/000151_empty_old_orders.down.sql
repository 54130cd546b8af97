-- Not deduplicated: a replicated table remembers the blocks of a fill that a
-- rollback truncated.
INSERT INTO orders_by_day (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts)
SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts
FROM orders FINAL
SETTINGS insert_deduplicate = 0
