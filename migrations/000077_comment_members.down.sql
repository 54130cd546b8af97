ALTER TABLE members
    MODIFY COMMENT '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN inviter_id '',
    COMMENT COLUMN joined_at '',
    COMMENT COLUMN event_id '',
    COMMENT COLUMN first ''
