ALTER TABLE user_totals
    MODIFY COMMENT '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN rebate '',
    COMMENT COLUMN orders '',
    COMMENT COLUMN version ''
