-- Members: who invited each user (0: nobody) and when they joined. The
-- guard keeps a join naming another inviter out, so every stored join of a
-- user names the same one; the join time is the earliest (the version ranks
-- the earliest ts highest), whatever the arrival order.
CREATE TABLE IF NOT EXISTS members
(
    user_id    UInt64,
    inviter_id UInt64,
    joined_at  DateTime64(3, 'UTC'),
    event_id   String,
    first      UInt64
)
ENGINE = ReplacingMergeTree(first)
ORDER BY user_id
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256
