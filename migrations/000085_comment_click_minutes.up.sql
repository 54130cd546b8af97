-- What click_minutes and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE click_minutes
    MODIFY COMMENT 'Each merchant’s distinct clicks per minute of ts, worked out again whole from clicks whenever a click of the minute arrives (read with FINAL).',
    COMMENT COLUMN merchant_id 'The merchant.',
    COMMENT COLUMN minute 'The UTC minute.',
    COMMENT COLUMN clicks 'Distinct clicks.',
    COMMENT COLUMN as_of 'The newest click time the bucket includes.',
    COMMENT COLUMN version 'When it was worked out (ns); the newest wins.'
