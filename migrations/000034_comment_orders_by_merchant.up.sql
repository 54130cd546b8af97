-- What orders_by_merchant and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE orders_by_merchant
    MODIFY COMMENT 'Orders by merchant and placed_at, one row per order once parts merge (read with FINAL): the row with the highest state. For merchant figures.',
    COMMENT COLUMN order_id 'The order, as the shop names it.',
    COMMENT COLUMN user_id 'The user the order earns a rebate for.',
    COMMENT COLUMN merchant_id 'The merchant of the order.',
    COMMENT COLUMN product_id 'The product ordered.',
    COMMENT COLUMN state 'The order’s state: 1 paid (rebate pending), 2 settled (rebate confirmed), 3 void (cancelled or reversed: no rebate). The highest state seen wins.',
    COMMENT COLUMN amount 'What the user paid, in yuan (2 decimals).',
    COMMENT COLUMN commission 'What the merchant pays the platform for the order, in yuan.',
    COMMENT COLUMN share 'The rebate rule’s share of the commission paid back (0..1, 4 decimals), fixed when the order’s event arrived.',
    COMMENT COLUMN rebate 'The user’s rebate: floor(commission × share) to the cent.',
    COMMENT COLUMN placed_at 'When the order was placed (UTC, milliseconds): windows and leaderboards count orders by it.',
    COMMENT COLUMN ts 'The time of the event that set this state (UTC, milliseconds).'
