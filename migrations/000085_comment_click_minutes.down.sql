ALTER TABLE click_minutes
    MODIFY COMMENT '',
    COMMENT COLUMN merchant_id '',
    COMMENT COLUMN minute '',
    COMMENT COLUMN clicks '',
    COMMENT COLUMN as_of '',
    COMMENT COLUMN version ''
