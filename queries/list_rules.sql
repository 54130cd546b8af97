-- Every rebate rule in force or scheduled: merchant (0 is the default),
-- effective_from and share.
SELECT merchant_id, effective_from, share
FROM rebate_rules FINAL
ORDER BY merchant_id, effective_from
