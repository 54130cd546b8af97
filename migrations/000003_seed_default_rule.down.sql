DELETE FROM rebate_rules WHERE merchant_id = 0 AND effective_from = toDateTime64(0, 3, 'UTC')
