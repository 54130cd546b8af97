-- The no-click signal of orders (docs/events.md, Fraud signals): an order is
-- flagged when its user has no click on its product in the 24 hours before
-- its placed_at, ends included, with the user's latest click on the product
-- at or before placed_at as evidence (the epoch: none). Evaluated for the
-- orders {keys} (by the key of orders) and every order of the (user,
-- product) pairs {pairs} (a click of the pair may clear them); every order
-- when both are empty. A row for each, raised or not: clickhouse.Materialize
-- writes them to risk_signals, so a late click withdraws the signal.
CREATE VIEW IF NOT EXISTS no_click_signals AS
WITH candidates AS
(
    -- Every row of an order names the same user and product (the rules of
    -- identity): DISTINCT keeps one.
    SELECT DISTINCT merchant_id, placed_at, order_id, user_id, product_id
    FROM orders
    WHERE (empty({keys:Array(Tuple(UInt64, DateTime64(3, 'UTC'), String))}) AND empty({pairs:Array(Tuple(UInt64, UInt64))}))
       OR (merchant_id, placed_at, order_id) IN {keys:Array(Tuple(UInt64, DateTime64(3, 'UTC'), String))}
       OR ((user_id, product_id) IN {pairs:Array(Tuple(UInt64, UInt64))}
           AND (merchant_id, placed_at, order_id) IN
               (SELECT merchant_id, placed_at, order_id FROM user_orders
                WHERE user_id IN arrayMap(p -> p.1, {pairs:Array(Tuple(UInt64, UInt64))})))
)
SELECT
    o.user_id AS user_id,
    'no_click' AS signal,
    o.order_id AS ref,
    c.ts < o.placed_at - toIntervalHour(24) AS raised,
    o.placed_at AS at,
    o.placed_at - toIntervalHour(24) AS window_start,
    o.placed_at AS window_end,
    o.merchant_id AS merchant_id,
    o.product_id AS product_id,
    c.ts AS last_click,
    toUInt32(0) AS orders,
    toUInt32(0) AS voided,
    toUInt32(0) AS invitees,
    toUInt32(0) AS settled
FROM candidates AS o
ASOF LEFT JOIN
(
    -- Every click of the candidates' pairs; a copy is the same ts, so no
    -- FINAL: only the latest ts at or before placed_at matters. Unmatched,
    -- ts is the epoch, before every window.
    SELECT user_id, product_id, ts
    FROM user_clicks
    WHERE (user_id, product_id) IN (SELECT user_id, product_id FROM candidates)
) AS c ON o.user_id = c.user_id AND o.product_id = c.product_id AND o.placed_at >= c.ts
