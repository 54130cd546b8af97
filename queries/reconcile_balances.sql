-- Reconciles every user's balance and order counts (pending, confirmed,
-- withdrawn, frozen; orders paid, settled, void), computed from the event
-- log by the rules of docs/events.md, with what get_balance reads
-- (orders_by_user, withdrawals): a row per figure that differs. Users with
-- an event since {since} only. An event_id counts once, as its first stored
-- copy; an order or withdrawal is its first stored event's, in the
-- highest-ranked state any of its events reports; rebate =
-- floor(commission x share) in whole cents, the share being the merchant's
-- rule in force at placed_at, else the default rule's, else 0.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
    (SELECT arraySort(r -> r.1, groupArray((effective_from, share))) FROM rebate_rules FINAL WHERE merchant_id = 0) AS default_rules,
    active AS (SELECT DISTINCT user_id FROM events WHERE ts >= {since:DateTime64(3, 'UTC')}),
    once AS (
        SELECT *, (ingested_at, kafka_partition, kafka_offset) AS stored
        FROM events
        WHERE type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed',
                       'withdrawal_requested', 'withdrawal_completed', 'withdrawal_failed')
          AND user_id IN active
        ORDER BY event_id, ingested_at, kafka_partition, kafka_offset
        LIMIT 1 BY event_id
    ),
    rules AS (
        SELECT merchant_id, arraySort(r -> r.1, groupArray((effective_from, share))) AS history
        FROM rebate_rules FINAL
        GROUP BY merchant_id
    ),
    orders AS (
        SELECT
            order_id,
            argMin(user_id, stored) AS user_id,
            argMin(merchant_id, stored) AS merchant_id,
            argMin(commission, stored) AS commission,
            argMin(placed_at, stored) AS placed_at,
            max(multiIf(type = 'order_paid', 1, type = 'order_settled', 2, 3)) AS state
        FROM once
        WHERE startsWith(toString(type), 'order_')
        GROUP BY order_id
    ),
    priced AS (
        SELECT
            o.user_id AS user_id,
            o.state AS state,
            arrayFilter(r -> r.1 <= o.placed_at, r.history) AS own,
            arrayFilter(r -> r.1 <= o.placed_at, default_rules) AS fallback,
            multiIf(notEmpty(own), own[-1].2, notEmpty(fallback), fallback[-1].2, toDecimal32(0, 4)) AS share,
            intDiv(toInt64(o.commission * 100) * toInt64(share * 10000), 10000) AS cents
        FROM orders AS o
        LEFT JOIN rules AS r ON r.merchant_id = o.merchant_id
    ),
    expected_orders AS (
        SELECT user_id,
            sumIf(cents, state = 1) AS e_pending, sumIf(cents, state = 2) AS e_confirmed,
            countIf(state = 1) AS e_paid, countIf(state = 2) AS e_settled, countIf(state = 3) AS e_void
        FROM priced
        GROUP BY user_id
    ),
    expected_withdrawals AS (
        SELECT user_id, sumIf(cents, state = 3) AS e_withdrawn, sumIf(cents, state = 1) AS e_frozen
        FROM
        (
            SELECT
                withdrawal_id,
                argMin(user_id, stored) AS user_id,
                argMin(toInt64(amount * 100), stored) AS cents,
                max(multiIf(type = 'withdrawal_requested', 1, type = 'withdrawal_failed', 2, 3)) AS state
            FROM once
            WHERE startsWith(toString(type), 'withdrawal_')
            GROUP BY withdrawal_id
        )
        GROUP BY user_id
    ),
    found_orders AS (
        SELECT user_id,
            sumIf(toInt64(rebate * 100), state = 1) AS f_pending, sumIf(toInt64(rebate * 100), state = 2) AS f_confirmed,
            countIf(state = 1) AS f_paid, countIf(state = 2) AS f_settled, countIf(state = 3) AS f_void
        FROM orders_by_user FINAL
        WHERE user_id IN active
        GROUP BY user_id
    ),
    found_withdrawals AS (
        SELECT user_id, sumIf(toInt64(amount * 100), state = 3) AS f_withdrawn, sumIf(toInt64(amount * 100), state = 1) AS f_frozen
        FROM withdrawals FINAL
        WHERE user_id IN active
        GROUP BY user_id
    )
SELECT figure, user_id, toUInt64(0) AS merchant_id, '' AS detail, expected, found
FROM
(
    SELECT
        user_id,
        ['pending', 'confirmed', 'withdrawn', 'frozen', 'orders_paid', 'orders_settled', 'orders_void'] AS figures,
        [toString(toDecimal128(e_pending, 2) / 100), toString(toDecimal128(e_confirmed, 2) / 100),
         toString(toDecimal128(e_withdrawn, 2) / 100), toString(toDecimal128(e_frozen, 2) / 100),
         toString(e_paid), toString(e_settled), toString(e_void)] AS expected_values,
        [toString(toDecimal128(f_pending, 2) / 100), toString(toDecimal128(f_confirmed, 2) / 100),
         toString(toDecimal128(f_withdrawn, 2) / 100), toString(toDecimal128(f_frozen, 2) / 100),
         toString(f_paid), toString(f_settled), toString(f_void)] AS found_values
    FROM expected_orders
    FULL OUTER JOIN expected_withdrawals USING (user_id)
    FULL OUTER JOIN found_orders USING (user_id)
    FULL OUTER JOIN found_withdrawals USING (user_id)
)
ARRAY JOIN figures AS figure, expected_values AS expected, found_values AS found
WHERE expected != found
ORDER BY user_id, figure
