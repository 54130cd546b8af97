-- user_days again, keyed by user first and partitioned by month, with what
-- the fraud signals need per day; 000106 fills it from order_prices and
-- 000107 swaps the two. Keyed by day, a user's days were spread over the
-- whole table, so each batch added up every order of its users again for
-- their totals, cancel rate and busiest hour: a cost that grew with their
-- history. Keyed by user, those add up the user's days, read by key. The
-- month partitions keep the leaderboards' 7- and 30-day windows to the one
-- or two months they cover, whatever the history. Created empty and filled
-- by an INSERT, not CREATE ... AS SELECT, which a Replicated database
-- refuses (a long-running DDL).
CREATE TABLE IF NOT EXISTS user_days_by_user
(
    day        Date                    COMMENT 'The UTC day.',
    user_id    UInt64                  COMMENT 'The user.',
    rebate     Decimal(38, 2)          COMMENT 'The sum of the rebates of the paid and settled orders (yuan).',
    orders     UInt64                  COMMENT 'Paid and settled orders.',
    placed     UInt64                  COMMENT 'Every order, whatever its state (the cancel_rate signal).',
    voided     UInt64                  COMMENT 'Void orders: cancelled or reversed (the cancel_rate signal).',
    busiest    UInt32                  COMMENT 'The most orders of the user placed in one hour [t, t + 1 h) that starts at an order placed this day (the velocity signal); the hour may end the next day.',
    busiest_at DateTime64(3, 'UTC')    COMMENT 'When the busiest hour starts: the earliest of equals.',
    version    UInt64                  COMMENT 'When it was worked out (ns); the newest wins.'
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (user_id, day)
-- Small granules: a batch reads the days of a few hundred users by key.
SETTINGS index_granularity = 256
COMMENT 'Each user’s orders per day of placed_at: rebate and count of the paid and settled ones (the leaderboards, the all-time totals), every and void ones and the busiest hour (the fraud signals); worked out again whole from order_prices (read with FINAL).'
