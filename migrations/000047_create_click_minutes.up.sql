-- Each merchant's distinct clicks per minute of ts, worked out again from
-- clicks (FINAL) whenever a click of the bucket arrives, and written whole.
CREATE TABLE IF NOT EXISTS click_minutes
(
    merchant_id UInt64,
    minute      DateTime('UTC'),
    clicks      UInt64,
    as_of       DateTime64(3, 'UTC'),
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(minute)
ORDER BY (merchant_id, minute)
