-- What schema_migrations and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE schema_migrations
    MODIFY COMMENT 'The migrations applied (golang-migrate): the schema’s version.',
    COMMENT COLUMN version 'A migration number.',
    COMMENT COLUMN dirty '1 while a migration is being applied or failed half-way.',
    COMMENT COLUMN sequence 'The order the rows were written in.'
