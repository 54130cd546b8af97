ALTER TABLE service_settings
    MODIFY COMMENT '',
    COMMENT COLUMN name '',
    COMMENT COLUMN value '',
    COMMENT COLUMN updated_at ''
