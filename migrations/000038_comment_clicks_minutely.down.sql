ALTER TABLE clicks_minutely
    MODIFY COMMENT '',
    COMMENT COLUMN minute '',
    COMMENT COLUMN merchant_id '',
    COMMENT COLUMN clicks '',
    COMMENT COLUMN max_ts ''
