-- What products and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE products
    MODIFY COMMENT 'Each product’s latest update, as an aggregate state: read with argMaxMerge(latest) GROUP BY product_id.',
    COMMENT COLUMN product_id 'The product.',
    COMMENT COLUMN latest 'argMax state of (merchant_id, price, stock, commission_rate, ts) by (ts, event_id): the latest update, ties by the greater event_id. argMaxMerge(latest).1 is the merchant, .2 the price, .3 the stock, .4 the commission rate, .5 the time.'
