-- Reconciles every user's balance as get_balance reads it (user_days;
-- withdrawals) with the same figures summed from the event log: pending,
-- confirmed and void orders and their counts, each order's state and owner
-- from its events (its first stored event's owner, the highest-ranked
-- state) and its rebate as stored in order_prices; the referral earnings of
-- each inviter (the earliest user_joined of each invitee names them), from
-- the stored referral of their invitees' orders; withdrawn and frozen from
-- the withdrawals' events; and that no day read was stored without the
-- balance's figures (days_unbalanced, 0). A row per figure that differs. Users with an
-- event since {since}, and their inviters, only. The stored rebate is taken
-- as it is: pricing is checked by the oracle's property tests, not here.
-- for: service (rebate reconcile; written apart from the views on purpose)
WITH
    recent AS (SELECT DISTINCT user_id FROM events WHERE ts >= {since:DateTime64(3, 'UTC')}),
    once AS (
        SELECT *, (ingested_at, kafka_partition, kafka_offset) AS stored
        FROM events
        WHERE type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed',
                       'withdrawal_requested', 'withdrawal_completed', 'withdrawal_failed', 'user_joined')
        ORDER BY event_id, ingested_at, kafka_partition, kafka_offset
        LIMIT 1 BY event_id
    ),
    inviters AS (
        SELECT user_id, argMin(inviter_id, (ts, event_id)) AS inviter_id
        FROM once
        WHERE type = 'user_joined'
        GROUP BY user_id
    ),
    active AS (
        SELECT user_id FROM recent
        UNION DISTINCT
        SELECT inviter_id FROM inviters WHERE user_id IN recent AND inviter_id != 0
    ),
    prices AS (
        SELECT order_id, rebate, referral FROM order_prices FINAL
    ),
    from_log AS (
        SELECT
            o.order_id AS order_id, o.user_id AS user_id, o.state AS state,
            toInt64(p.rebate * 100) AS cents, toInt64(p.referral * 100) AS referral_cents, i.inviter_id AS inviter_id
        FROM
        (
            SELECT
                order_id,
                argMin(user_id, stored) AS user_id,
                max(multiIf(type = 'order_paid', 1, type = 'order_settled', 2, 3)) AS state
            FROM once
            WHERE startsWith(toString(type), 'order_')
            GROUP BY order_id
        ) AS o
        LEFT JOIN prices AS p ON p.order_id = o.order_id
        LEFT JOIN inviters AS i ON i.user_id = o.user_id
    ),
    expected_orders AS (
        SELECT user_id,
            sumIf(cents, state = 1) AS e_pending, sumIf(cents, state = 2) AS e_confirmed,
            countIf(state = 1) AS e_paid, countIf(state = 2) AS e_settled, countIf(state = 3) AS e_void
        FROM from_log
        WHERE user_id IN active
        GROUP BY user_id
    ),
    expected_referrals AS (
        SELECT inviter_id AS user_id,
            sumIf(referral_cents, state = 1) AS e_referral_pending, sumIf(referral_cents, state = 2) AS e_referral_confirmed,
            sumIf(referral_cents, state = 3) AS e_referral_void
        FROM from_log
        WHERE inviter_id IN active AND inviter_id != 0
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
        WHERE user_id IN active
        GROUP BY user_id
    ),
    -- what get_balance reads: user_days, worked out by Materialize from
    -- order_prices (its rebates against order_prices' in from_log)
    found_orders AS (
        SELECT user_id,
            sum(toInt64(pending * 100)) AS f_pending, sum(toInt64(confirmed * 100)) AS f_confirmed,
            sum(paid) AS f_paid, sum(settled) AS f_settled, sum(voided) AS f_void,
            countIf(balanced = 0) AS f_unbalanced
        FROM user_days FINAL
        WHERE user_id IN active
        GROUP BY user_id
    ),
    found_referrals AS (
        SELECT inviter_id AS user_id,
            sum(toInt64(referral_pending * 100)) AS f_referral_pending, sum(toInt64(referral_confirmed * 100)) AS f_referral_confirmed,
            sum(toInt64(referral_void * 100)) AS f_referral_void
        FROM user_days FINAL
        WHERE inviter_id IN active AND inviter_id != 0
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
        ['pending', 'confirmed', 'withdrawn', 'frozen', 'orders_paid', 'orders_settled', 'orders_void',
         'referral_pending', 'referral_confirmed', 'referral_void', 'days_unbalanced'] AS figures,
        [toString(toDecimal128(e_pending, 2) / 100), toString(toDecimal128(e_confirmed, 2) / 100),
         toString(toDecimal128(e_withdrawn, 2) / 100), toString(toDecimal128(e_frozen, 2) / 100),
         toString(e_paid), toString(e_settled), toString(e_void),
         toString(toDecimal128(e_referral_pending, 2) / 100), toString(toDecimal128(e_referral_confirmed, 2) / 100),
         toString(toDecimal128(e_referral_void, 2) / 100), '0'] AS expected_values,
        [toString(toDecimal128(f_pending, 2) / 100), toString(toDecimal128(f_confirmed, 2) / 100),
         toString(toDecimal128(f_withdrawn, 2) / 100), toString(toDecimal128(f_frozen, 2) / 100),
         toString(f_paid), toString(f_settled), toString(f_void),
         toString(toDecimal128(f_referral_pending, 2) / 100), toString(toDecimal128(f_referral_confirmed, 2) / 100),
         toString(toDecimal128(f_referral_void, 2) / 100), toString(f_unbalanced)] AS found_values
    FROM expected_orders
    FULL OUTER JOIN expected_referrals USING (user_id)
    FULL OUTER JOIN expected_withdrawals USING (user_id)
    FULL OUTER JOIN found_orders USING (user_id)
    FULL OUTER JOIN found_referrals USING (user_id)
    FULL OUTER JOIN found_withdrawals USING (user_id)
)
ARRAY JOIN figures AS figure, expected_values AS expected, found_values AS found
WHERE expected != found
ORDER BY user_id, figure
