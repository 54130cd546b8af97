-- What invitations and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE invitations
    MODIFY COMMENT 'The users each member invited: members keyed by inviter, for GET /v1/users/{id}/referrals. Read with FINAL.',
    COMMENT COLUMN inviter_id 'The inviter.',
    COMMENT COLUMN user_id 'A user they invited.',
    COMMENT COLUMN joined_at 'When that user joined (UTC).',
    COMMENT COLUMN first 'Ranks the earliest join highest.'
