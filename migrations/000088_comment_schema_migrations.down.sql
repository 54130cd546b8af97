ALTER TABLE schema_migrations
    MODIFY COMMENT '',
    COMMENT COLUMN version '',
    COMMENT COLUMN dirty '',
    COMMENT COLUMN sequence ''
