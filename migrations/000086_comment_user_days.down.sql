ALTER TABLE user_days
    MODIFY COMMENT '',
    COMMENT COLUMN day '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN rebate '',
    COMMENT COLUMN orders '',
    COMMENT COLUMN version ''
