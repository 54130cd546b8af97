-- What rebate_rules and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE rebate_rules
    MODIFY COMMENT 'Rebate rules: the share of commission paid back for a merchant’s orders placed from effective_from (until effective_to for a promotion), for one tier or every tier, with an optional cap per order and the inviter’s referral share; merchant 0 is the default. docs/events.md, Rules, says which rule an order gets. Re-putting a (merchant, effective_from, tier, effective_to) replaces it: read with FINAL.',
    COMMENT COLUMN merchant_id 'The merchant; 0 is the default rule for every merchant.',
    COMMENT COLUMN tier_key '0: every tier; n: tier n - 1 only.',
    COMMENT COLUMN effective_from 'Orders placed from this time on (UTC) may get this rule. Never in the past when put.',
    COMMENT COLUMN effective_to 'The epoch: no end (a standing rule); otherwise the exclusive end of a promotion.',
    COMMENT COLUMN share 'The share of commission paid back as rebate (0..1, 4 decimals).',
    COMMENT COLUMN cap 'The largest rebate of one order (yuan); NULL: no cap.',
    COMMENT COLUMN referral_share 'The share of commission the user’s inviter earns (0..1, 4 decimals).',
    COMMENT COLUMN created_at 'When it was put; the newest wins for the same key.'
