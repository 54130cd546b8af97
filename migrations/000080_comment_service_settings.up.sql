-- What service_settings and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE service_settings
    MODIFY COMMENT 'Settings the SQL reads, written by rebate migrate up from the configuration (REBATE_REFERRAL_WINDOW_DAYS): the newest value of a name wins.',
    COMMENT COLUMN name 'The setting: referral_window_days.',
    COMMENT COLUMN value 'Its value, as text.',
    COMMENT COLUMN updated_at 'When it was written; the newest wins.'
