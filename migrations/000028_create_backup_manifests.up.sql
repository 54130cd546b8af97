-- One row per backup `rebate backup create` takes, written just before the
-- BACKUP so that the backup holds its own: the consumer group's committed
-- offsets at that moment (manifest, JSON), from which `rebate backup restore
-- --reset-offsets` replays what Kafka still holds since. Not derived from
-- events: no view writes it, and a rebuild leaves it alone.
-- rebuild: none (no view)
CREATE TABLE IF NOT EXISTS backup_manifests
(
    name       String,
    created_at DateTime64(3, 'UTC'),
    base       String,
    manifest   String
)
ENGINE = MergeTree
ORDER BY (name, created_at)
