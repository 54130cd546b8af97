ALTER TABLE merchant_minutes
    MODIFY COMMENT '',
    COMMENT COLUMN merchant_id '',
    COMMENT COLUMN minute '',
    COMMENT COLUMN orders '',
    COMMENT COLUMN gmv '',
    COMMENT COLUMN commission '',
    COMMENT COLUMN rebate '',
    COMMENT COLUMN as_of '',
    COMMENT COLUMN version ''
