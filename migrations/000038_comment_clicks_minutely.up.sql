-- What clicks_minutely and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE clicks_minutely
    MODIFY COMMENT 'Distinct clicks per UTC minute and merchant, as aggregate states: uniqExactMerge(clicks) GROUP BY minute, merchant_id (a duplicate click adds nothing).',
    COMMENT COLUMN minute 'The UTC minute.',
    COMMENT COLUMN merchant_id 'The merchant.',
    COMMENT COLUMN clicks 'uniqExact state of the minute’s click event ids: uniqExactMerge(clicks) counts them.',
    COMMENT COLUMN max_ts 'The newest click time in the minute: how fresh the row is (max).'
