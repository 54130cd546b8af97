-- The table sorted by merchant again (under the name the swap gave it), as
-- 000045 made it and 000084 commented it.
CREATE TABLE IF NOT EXISTS merchant_minutes_by_day
(
    merchant_id UInt64                 COMMENT 'The merchant.',
    minute      DateTime('UTC')        COMMENT 'The UTC minute.',
    orders      UInt64                 COMMENT 'Orders not void.',
    gmv         Decimal(38, 2)         COMMENT 'Their amount (yuan).',
    commission  Decimal(38, 2)         COMMENT 'Their commission (yuan).',
    rebate      Decimal(38, 2)         COMMENT 'Their rebate (yuan).',
    as_of       DateTime64(3, 'UTC')   COMMENT 'The newest event time the bucket includes.',
    version     UInt64                 COMMENT 'When it was worked out (ns); the newest wins.'
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(minute)
ORDER BY (merchant_id, minute)
COMMENT 'Each merchant’s orders per minute of placed_at, worked out again whole from order_prices whenever one of its orders changes (read with FINAL): merchant stats and the minutely series add up minutes.'
