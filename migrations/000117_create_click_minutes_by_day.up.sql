-- click_minutes again, sorted by the day of the minute first; the next migrations
-- fill it, swap the two and drop the old one (as 000111–000116 did for
-- order_prices). Sorted by merchant first, every granule of a month held
-- minutes of every day of it, so the minutely series read the whole month
-- of every merchant for its last hour or day. Sorted by day, minute_idx skips
-- to the days asked about; a merchant's stats still read its own minutes,
-- a range per day.
CREATE TABLE IF NOT EXISTS click_minutes_by_day
(
    merchant_id UInt64                 COMMENT 'The merchant.',
    minute      DateTime('UTC')        COMMENT 'The UTC minute.',
    clicks      UInt64                 COMMENT 'Distinct clicks.',
    as_of       DateTime64(3, 'UTC')   COMMENT 'The newest click time the bucket includes.',
    version     UInt64                 COMMENT 'When it was worked out (ns); the newest wins.',
    INDEX minute_idx minute TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(minute)
ORDER BY (toDate(minute), merchant_id, minute)
-- Small granules: a merchant's stats read a range of each day.
SETTINGS index_granularity = 1024
COMMENT 'Each merchant’s distinct clicks per minute of ts, worked out again whole from clicks whenever a click of the minute arrives (read with FINAL). Sorted by day first, so a time window reads its days only.'
