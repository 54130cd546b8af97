ALTER TABLE user_tiers
    MODIFY COMMENT '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN ts '',
    COMMENT COLUMN event_id '',
    COMMENT COLUMN tier ''
