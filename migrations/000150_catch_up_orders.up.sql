-- What was written to the table sorted by merchant between the fill and the
-- swap (000149), by an ingester, goes to the table sorted by day too: the
-- highest state wins, so copying again is harmless, and a state stored
-- since the swap, if higher, still wins.
-- Not deduplicated: a replicated table remembers the blocks of a fill that a
-- rollback truncated.
INSERT INTO orders (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts)
SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts
FROM orders_by_day FINAL
SETTINGS insert_deduplicate = 0
