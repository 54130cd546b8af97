-- Endpoints analysts publish at run time (PUT /v1/queries/{name}): every
-- version of every one, appended and never changed, so the history stays.
-- A name's endpoint is its highest version, unless that version deletes it.
-- Every API replica reads this table (cached for a few seconds), so an
-- endpoint published through one is served by all.
CREATE TABLE IF NOT EXISTS published_queries
(
    name         String COMMENT 'The endpoint: GET /v1/queries/{name}.',
    version      UInt32 COMMENT 'Its version, from 1; the highest is served.',
    deleted      UInt8 COMMENT '1: this version ended the endpoint (DELETE /v1/queries/{name}).',
    sql          String COMMENT 'The SELECT, with {name:Type} parameters.',
    description  String COMMENT 'What it answers, as its publisher wrote it.',
    params       String COMMENT 'Its parameters as JSON: [{name, type, description, default, allowed, min, max}].',
    cache_ttl_ms UInt32 COMMENT 'How long an API process keeps an answer, in milliseconds; 0: never.',
    author       String COMMENT 'The name of the API key that put this version.',
    created_at   DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'When this version was put.'
)
ENGINE = MergeTree
ORDER BY (name, version)
COMMENT 'Endpoints published at run time, every version of each (PUT and DELETE /v1/queries/{name}); read as stored, the highest version of a name is the endpoint.'
