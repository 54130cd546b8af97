-- What every event of a withdrawal must agree on (one user, one amount), as
-- its first stored event fixed it; see order_identity (000022).
CREATE TABLE IF NOT EXISTS withdrawal_identity
(
    withdrawal_id String,
    user_id       UInt64,
    amount        Decimal(18, 2),
    event_id      String,
    first         UInt64
)
ENGINE = ReplacingMergeTree(first)
ORDER BY withdrawal_id
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256
