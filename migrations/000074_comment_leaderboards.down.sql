ALTER TABLE leaderboards
    MODIFY COMMENT '',
    COMMENT COLUMN period '',
    COMMENT COLUMN rank '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN rebate '',
    COMMENT COLUMN as_of ''
