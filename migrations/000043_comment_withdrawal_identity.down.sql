ALTER TABLE withdrawal_identity
    MODIFY COMMENT '',
    COMMENT COLUMN withdrawal_id '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN amount '',
    COMMENT COLUMN event_id '',
    COMMENT COLUMN first ''
