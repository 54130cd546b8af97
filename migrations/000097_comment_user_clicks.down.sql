ALTER TABLE user_clicks
    MODIFY COMMENT '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN product_id '',
    COMMENT COLUMN ts '',
    COMMENT COLUMN event_id ''
