-- What rebate_rules and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE rebate_rules
    MODIFY COMMENT 'Rebate rules: the share of commission paid back for a merchant’s orders placed at or after effective_from, until the next rule; merchant 0 is the default. Re-putting a (merchant, effective_from) replaces its share: read with FINAL.',
    COMMENT COLUMN merchant_id 'The merchant; 0 is the default rule for merchants without one.',
    COMMENT COLUMN effective_from 'Orders placed from this time on (UTC) get this share. Never in the past when put.',
    COMMENT COLUMN share 'The share of commission paid back as rebate (0..1, 4 decimals).',
    COMMENT COLUMN created_at 'When it was put; the newest wins for the same merchant and effective_from.'
