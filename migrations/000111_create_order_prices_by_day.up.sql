-- order_prices again, sorted by the day of placed_at first; 000112 fills it
-- and 000113 swaps the two (000114 copies what was written meanwhile).
-- Sorted by merchant first, a granule held a
-- merchant's orders of every day, so placed_idx could skip almost none, and
-- every read of a time window (the leaderboards' last day and the first days
-- of their 7- and 30-day windows, the minutely series' last minute, the
-- referral totals) read every priced order: a cost that grew with the
-- history. Sorted by day, a granule holds the orders of one day (or the
-- end of one and the start of the next), so placed_idx skips the other
-- days' granules; within a day, sorted by merchant, it skips none. A read by an order's key names the day too, (toDate(placed_at),
-- merchant_id, placed_at, order_id), to find it by the sorting key. Not
-- partitioned by day: a batch settles orders placed over weeks, and would
-- write a part into each day's partition. Created empty and filled by an
-- INSERT, not CREATE ... AS SELECT, which a Replicated database refuses.
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
ORDER BY (toDate(placed_at), merchant_id, placed_at, order_id)
SETTINGS index_granularity = 1024
COMMENT 'Every order priced, with its user’s tier, its rule’s rebate and its inviter’s referral earnings (docs/events.md, Rules): what balances, order lists, referrals and the leaderboards read. Sorted by day of placed_at first, so a time window reads its days only. Written whole by the ingester after each batch (clickhouse Materialize) with a newer version: read with FINAL.'
