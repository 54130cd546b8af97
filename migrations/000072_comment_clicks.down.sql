ALTER TABLE clicks
    MODIFY COMMENT '',
    COMMENT COLUMN merchant_id '',
    COMMENT COLUMN ts '',
    COMMENT COLUMN event_id '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN product_id ''
