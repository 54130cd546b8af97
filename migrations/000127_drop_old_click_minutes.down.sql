-- The table sorted by merchant again (under the name the swap gave it), as
-- 000047 made it and 000085 commented it.
CREATE TABLE IF NOT EXISTS click_minutes_by_day
(
    merchant_id UInt64                 COMMENT 'The merchant.',
    minute      DateTime('UTC')        COMMENT 'The UTC minute.',
    clicks      UInt64                 COMMENT 'Distinct clicks.',
    as_of       DateTime64(3, 'UTC')   COMMENT 'The newest click time the bucket includes.',
    version     UInt64                 COMMENT 'When it was worked out (ns); the newest wins.'
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(minute)
ORDER BY (merchant_id, minute)
COMMENT 'Each merchant’s distinct clicks per minute of ts, worked out again whole from clicks whenever a click of the minute arrives (read with FINAL).'
