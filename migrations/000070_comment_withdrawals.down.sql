ALTER TABLE withdrawals
    MODIFY COMMENT '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN withdrawal_id '',
    COMMENT COLUMN state '',
    COMMENT COLUMN amount '',
    COMMENT COLUMN ts ''
