-- The table sorted by merchant again (under the name 000113 exchanged it
-- to), as 000043 made it and 000083 commented it; 000115's down fills it and
-- 000113's down swaps it back.
CREATE TABLE IF NOT EXISTS order_prices_by_day
(
    order_id    String                 COMMENT 'The order.',
    user_id     UInt64                 COMMENT 'Its user.',
    merchant_id UInt64                 COMMENT 'Its merchant.',
    product_id  UInt64                 COMMENT 'Its product.',
    state       UInt8                  COMMENT '1 paid, 2 settled, 3 void (cancelled or reversed); the highest state seen wins.',
    amount      Decimal(18, 2)         COMMENT 'What the user paid (yuan).',
    commission  Decimal(18, 2)         COMMENT 'What the merchant pays the platform (yuan).',
    placed_at   DateTime64(3, 'UTC')   COMMENT 'When the order was placed (UTC).',
    ts          DateTime64(3, 'UTC')   COMMENT 'The time of the event that set this state (UTC).',
    tier        UInt8                  COMMENT 'The user’s tier at placed_at.',
    rebate      Decimal(18, 2)         COMMENT 'min(floor(commission x share, 2), cap) of the order’s rule (yuan).',
    inviter_id  UInt64                 COMMENT 'The inviter earning from this order; 0: none (no inviter, or placed outside the referral window).',
    referral    Decimal(18, 2)         COMMENT 'The inviter’s earnings: floor(commission x referral_share, 2) (yuan); 0 when inviter_id is 0.',
    version     UInt64                 COMMENT 'When it was priced (ns); the newest wins.',
    INDEX placed_idx placed_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (merchant_id, placed_at, order_id)
SETTINGS index_granularity = 1024
COMMENT 'Every order priced, with its user’s tier, its rule’s rebate and its inviter’s referral earnings (docs/events.md, Rules): what balances, order lists and referrals read. Written whole by the ingester after each batch (clickhouse Materialize) with a newer version: read with FINAL.'
