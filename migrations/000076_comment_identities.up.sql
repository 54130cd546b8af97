-- What identities and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE identities
    MODIFY COMMENT 'What every event of an order or a withdrawal must agree on, as its first stored event fixed it: the ingester keeps a disagreeing event out of every figure (docs/events.md, Semantics). Read with FINAL.',
    COMMENT COLUMN kind 'order or withdrawal.',
    COMMENT COLUMN id 'The order_id or withdrawal_id.',
    COMMENT COLUMN user_id 'Its one user.',
    COMMENT COLUMN merchant_id 'An order’s merchant (0 for a withdrawal).',
    COMMENT COLUMN product_id 'An order’s product (0 for a withdrawal).',
    COMMENT COLUMN amount 'What the user paid, or the amount withdrawn (yuan).',
    COMMENT COLUMN commission 'An order’s commission (yuan); 0 for a withdrawal.',
    COMMENT COLUMN placed_at 'When an order was placed; the epoch for a withdrawal.',
    COMMENT COLUMN event_id 'The event that fixed the identity.',
    COMMENT COLUMN first 'Ranks the earliest stored row highest, so merges keep the one that fixed the identity.'
