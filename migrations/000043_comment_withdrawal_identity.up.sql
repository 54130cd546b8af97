-- What withdrawal_identity and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE withdrawal_identity
    MODIFY COMMENT 'What every event of a withdrawal must agree on (one user, one amount), as its first stored event fixed it. One row per withdrawal once parts merge (read with FINAL).',
    COMMENT COLUMN withdrawal_id 'The withdrawal.',
    COMMENT COLUMN user_id 'Its user.',
    COMMENT COLUMN amount 'Its amount (yuan).',
    COMMENT COLUMN event_id 'The event that fixed the identity.',
    COMMENT COLUMN first 'A version ranking the earliest stored event highest, so merges keep it.'
