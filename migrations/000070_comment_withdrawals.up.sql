-- What withdrawals and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE withdrawals
    MODIFY COMMENT 'Withdrawals, one row per withdrawal once parts merge (read with FINAL): the row with the highest state.',
    COMMENT COLUMN user_id 'The user withdrawing.',
    COMMENT COLUMN withdrawal_id 'The withdrawal.',
    COMMENT COLUMN state '1 requested (frozen from the balance), 2 failed (released), 3 completed (withdrawn). The highest state seen wins.',
    COMMENT COLUMN amount 'The amount withdrawn, in yuan.',
    COMMENT COLUMN ts 'The time of the event that set this state (UTC, milliseconds).'
