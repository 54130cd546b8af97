-- order_prices again, sorted by user first: what a user's reads need
-- (balance, order list, their invitees' referrals). Sorted by day, an
-- active user's orders lie in most granules of order_prices, so those
-- reads, found through user_orders, read most of the table (30-50 ms of
-- CPU at 3 M events); here a user's orders are one range of the key.
-- Written by user_prices_mv (000130) from every insert into order_prices,
-- so it holds the same rows with the same versions: an order's user and
-- placed_at are fixed by its first event (the rules of identity), so its
-- versions all share one key here, and FINAL keeps the newest, as in
-- order_prices. Filled from order_prices by 000131.
CREATE TABLE IF NOT EXISTS user_prices
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
    version     UInt64                 COMMENT 'When it was priced (ns); the newest wins.'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (user_id, placed_at, merchant_id, order_id)
SETTINGS index_granularity = 1024
COMMENT 'order_prices sorted by user: each priced order under its user, so a user’s balance, orders and their invitees’ referral earnings are one range of the key. Written by user_prices_mv from every insert into order_prices (the same rows and versions): read with FINAL.'
