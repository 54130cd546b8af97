-- Not deduplicated (a replicated table remembers the blocks of a fill that a
-- rollback truncated) and not limited in partitions (a month's each).
INSERT INTO order_prices_by_day (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts, tier, rebate, inviter_id, referral, version)
SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts, tier, rebate, inviter_id, referral, version
FROM order_prices FINAL
SETTINGS insert_deduplicate = 0, throw_on_max_partitions_per_insert_block = 0
