ALTER TABLE invitations
    MODIFY COMMENT '',
    COMMENT COLUMN inviter_id '',
    COMMENT COLUMN user_id '',
    COMMENT COLUMN joined_at '',
    COMMENT COLUMN first ''
