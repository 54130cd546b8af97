-- What members and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE members
    MODIFY COMMENT 'Members: who invited each user (0: nobody) and when they joined, the earliest join winning. Read with FINAL.',
    COMMENT COLUMN user_id 'The member.',
    COMMENT COLUMN inviter_id 'Who invited them; 0 for nobody. Fixed by their first join.',
    COMMENT COLUMN joined_at 'When they joined (UTC): the earliest join’s ts.',
    COMMENT COLUMN event_id 'The join event.',
    COMMENT COLUMN first 'Ranks the earliest join highest, whatever the arrival order.'
