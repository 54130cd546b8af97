-- What order_prices and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE order_prices
    MODIFY COMMENT 'Every order priced, with its user’s tier, its rule’s rebate and its inviter’s referral earnings (docs/events.md, Rules): what balances, order lists and referrals read. Written whole by the ingester after each batch (clickhouse Materialize) with a newer version: read with FINAL.',
    COMMENT COLUMN order_id 'The order.',
    COMMENT COLUMN user_id 'Its user.',
    COMMENT COLUMN merchant_id 'Its merchant.',
    COMMENT COLUMN product_id 'Its product.',
    COMMENT COLUMN state '1 paid, 2 settled, 3 void (cancelled or reversed); the highest state seen wins.',
    COMMENT COLUMN amount 'What the user paid (yuan).',
    COMMENT COLUMN commission 'What the merchant pays the platform (yuan).',
    COMMENT COLUMN placed_at 'When the order was placed (UTC).',
    COMMENT COLUMN ts 'The time of the event that set this state (UTC).',
    COMMENT COLUMN tier 'The user’s tier at placed_at.',
    COMMENT COLUMN rebate 'min(floor(commission x share, 2), cap) of the order’s rule (yuan).',
    COMMENT COLUMN inviter_id 'The inviter earning from this order; 0: none (no inviter, or placed outside the referral window).',
    COMMENT COLUMN referral 'The inviter’s earnings: floor(commission x referral_share, 2) (yuan); 0 when inviter_id is 0.',
    COMMENT COLUMN version 'When it was priced (ns); the newest wins.'
