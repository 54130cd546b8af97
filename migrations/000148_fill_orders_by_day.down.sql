-- After the swap back (the swap's down), what was written to the table
-- sorted by day since the rollback's copy goes to the table sorted by
-- merchant too (the highest state wins, so copying again is harmless); the
-- create's down drops it.
-- Not deduplicated: a replicated table remembers the blocks of a fill that a
-- rollback truncated.
INSERT INTO orders (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts)
SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts
FROM orders_by_day FINAL
SETTINGS insert_deduplicate = 0
