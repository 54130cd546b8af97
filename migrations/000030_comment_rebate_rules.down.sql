ALTER TABLE rebate_rules
    MODIFY COMMENT '',
    COMMENT COLUMN merchant_id '',
    COMMENT COLUMN effective_from '',
    COMMENT COLUMN share '',
    COMMENT COLUMN created_at ''
