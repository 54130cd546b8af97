-- What user_tiers and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE user_tiers
    MODIFY COMMENT 'Every member tier change. An order’s tier is its user’s latest tier with ts <= placed_at (ties by the greater event_id); 0 without one. Read with FINAL.',
    COMMENT COLUMN user_id 'The member.',
    COMMENT COLUMN ts 'When the tier took effect (UTC).',
    COMMENT COLUMN event_id 'The event; of changes at the same ts the greater id wins.',
    COMMENT COLUMN tier 'The tier from ts on (0..9).'
