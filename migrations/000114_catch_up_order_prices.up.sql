-- What was written to the table sorted by merchant between the fill and the
-- swap (000113), by an ingester or a rule put (a reprice), goes to the table
-- sorted by day too: the newest version wins, so copying again is harmless,
-- and a row written since the swap, newer, still wins.
-- Not deduplicated (a replicated table remembers the blocks of a fill that a
-- rollback truncated) and not limited in partitions (a month's each).
INSERT INTO order_prices (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts, tier, rebate, inviter_id, referral, version)
SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts, tier, rebate, inviter_id, referral, version
FROM order_prices_by_day FINAL
SETTINGS insert_deduplicate = 0, throw_on_max_partitions_per_insert_block = 0
