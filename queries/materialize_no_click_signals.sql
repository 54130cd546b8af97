-- Works out again, whole, the no-click signal of the orders {keys} (by the
-- key of orders: a batch's orders, and those its clicks may change, found
-- first with list_click_order_keys), raised or not, with a newer version, so
-- a late click withdraws the signal.
--
-- The signal (docs/events.md, Fraud signals): an order is flagged when its
-- user has no click on its product in the 24 hours before its placed_at,
-- ends included, with the user's latest click on the product at or before
-- placed_at as evidence (the epoch: none).
--
-- Written here, not as a parameterized view (000093, dropped by 000101):
-- the same SELECT through the view cost 3.5 times the CPU (measured: 377
-- against 109 ms for the orders of a 20,000-event batch).
-- settings: max_threads = 1 (the keys of one batch: one thread costs 5-15% less CPU than two, measured, and is no slower)
-- for: service (the ingester works out the signals each batch it stores touches)
INSERT INTO risk_signals (user_id, signal, ref, raised, at, window_start, window_end, merchant_id, product_id,
                          last_click, orders, voided, invitees, settled, version)
SELECT *, {version:UInt64}
FROM
(
    WITH candidates AS
    (
        -- Every row of an order names the same user and product (the rules of
        -- identity): DISTINCT keeps one.
        SELECT DISTINCT merchant_id, placed_at, order_id, user_id, product_id
        FROM orders
        WHERE (toDate(placed_at), merchant_id, placed_at, order_id) IN {keys:Array(Tuple(Date, UInt64, DateTime64(3, 'UTC'), String))}
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
)
