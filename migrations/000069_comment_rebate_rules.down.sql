ALTER TABLE rebate_rules
    MODIFY COMMENT '',
    COMMENT COLUMN merchant_id '',
    COMMENT COLUMN tier_key '',
    COMMENT COLUMN effective_from '',
    COMMENT COLUMN effective_to '',
    COMMENT COLUMN share '',
    COMMENT COLUMN cap '',
    COMMENT COLUMN referral_share '',
    COMMENT COLUMN created_at ''
