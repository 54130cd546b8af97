-- One row per withdrawal once parts merge: the highest state wins
-- (1 requested < 2 failed < 3 completed), so a completed withdrawal stays
-- completed whatever arrives late or twice. Small granules: point lookups by
-- user, where a 256-row granule in each part is what a read costs.
CREATE TABLE IF NOT EXISTS withdrawals
(
    user_id       UInt64,
    withdrawal_id String,
    state         UInt8,
    amount        Decimal(18, 2),
    ts            DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(state)
ORDER BY (user_id, withdrawal_id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256
