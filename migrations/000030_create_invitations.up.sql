-- The users each member invited, for an inviter's referrals: members keyed
-- the other way. One row per (inviter, invitee) once merged; the earliest
-- join wins, as in members.
CREATE TABLE IF NOT EXISTS invitations
(
    inviter_id UInt64,
    user_id    UInt64,
    joined_at  DateTime64(3, 'UTC'),
    first      UInt64
)
ENGINE = ReplacingMergeTree(first)
ORDER BY (inviter_id, user_id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256
