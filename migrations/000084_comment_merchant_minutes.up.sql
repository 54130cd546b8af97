-- What merchant_minutes and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE merchant_minutes
    MODIFY COMMENT 'Each merchant’s orders per minute of placed_at, worked out again whole from order_prices whenever one of its orders changes (read with FINAL): merchant stats and the minutely series add up minutes.',
    COMMENT COLUMN merchant_id 'The merchant.',
    COMMENT COLUMN minute 'The UTC minute.',
    COMMENT COLUMN orders 'Orders not void.',
    COMMENT COLUMN gmv 'Their amount (yuan).',
    COMMENT COLUMN commission 'Their commission (yuan).',
    COMMENT COLUMN rebate 'Their rebate (yuan).',
    COMMENT COLUMN as_of 'The newest event time the bucket includes.',
    COMMENT COLUMN version 'When it was worked out (ns); the newest wins.'
