-- Every rebate rule in force or scheduled: merchant (0 is the default), tier
-- (tier_key 0: every tier; n: tier n - 1), effective_from, effective_to (the
-- epoch: no end; otherwise a promotion), share, cap (NULL: none) and
-- referral share, in the order they were put.
SELECT merchant_id, tier_key, effective_from, effective_to, share, cap, referral_share
FROM rebate_rules FINAL
ORDER BY created_at, merchant_id, effective_from
