-- Copies the orders priced before user_prices_mv (000130) existed; what was
-- written since is in user_prices already, through the view. A row copied
-- twice is the same version twice: FINAL keeps one. Every version is
-- copied, not FINAL's: a copy then needs no merge of order_prices first.
-- Deduplication off: a replicated table remembers the blocks of a fill
-- that a rollback truncated.
INSERT INTO user_prices (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts,
                         tier, rebate, inviter_id, referral, version)
SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts,
       tier, rebate, inviter_id, referral, version
FROM order_prices
SETTINGS insert_deduplicate = 0
