-- Settings the schema's views read, written by `rebate migrate up` from the
-- configuration (REBATE_REFERRAL_WINDOW_DAYS, ...): the newest value wins.
CREATE TABLE IF NOT EXISTS service_settings
(
    name       String,
    value      String,
    updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY name
