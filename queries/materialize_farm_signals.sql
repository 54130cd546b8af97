-- Works out again, whole, the invite_farm signal of the inviters of the
-- users {users}, raised or not, with a newer version: at least
-- {farm_invitees} invitees and not one settled order among them. The
-- evidence: the invitees, their orders, how many are settled, and their
-- joins (first and latest). An invitee's join is their earliest. Written
-- here, not as a parameterized view (000095, dropped by 000103), which cost
-- about twice the CPU for the same SELECT.
-- settings: max_threads = 1 (the keys of one batch: one thread costs 5-15% less CPU than two, measured, and is no slower)
-- for: service (the ingester works out the signals each batch it stores touches)
INSERT INTO risk_signals (user_id, signal, ref, raised, at, window_start, window_end, merchant_id, product_id,
                          last_click, orders, voided, invitees, settled, version)
SELECT *, {version:UInt64}
FROM
(
    WITH inviters AS
    (
        SELECT DISTINCT inviter_id
        FROM members
        WHERE user_id IN {users:Array(UInt64)} AND inviter_id != 0
    )
    SELECT
        i.inviter_id AS user_id,
        'invite_farm' AS signal,
        '' AS ref,
        count() >= {farm_invitees:UInt32} AND sum(o.settled) = 0 AS raised,
        max(i.joined_at) AS at,
        min(i.joined_at) AS window_start,
        max(i.joined_at) AS window_end,
        toUInt64(0) AS merchant_id,
        toUInt64(0) AS product_id,
        toDateTime64(0, 3, 'UTC') AS last_click,
        toUInt32(sum(o.orders)) AS orders,
        toUInt32(0) AS voided,
        toUInt32(count()) AS invitees,
        toUInt32(sum(o.settled)) AS settled
    FROM
    (
        SELECT inviter_id, user_id, min(joined_at) AS joined_at
        FROM invitations
        WHERE inviter_id IN inviters
        GROUP BY inviter_id, user_id
    ) AS i
    LEFT JOIN
    (
        -- The invitees' orders, each a range of user_prices' key, as
        -- Materialize has just priced them.
        SELECT user_id, count() AS orders, countIf(state = 2) AS settled
        FROM user_prices FINAL
        WHERE user_id IN (SELECT user_id FROM invitations WHERE inviter_id IN inviters)
        GROUP BY user_id
    ) AS o ON o.user_id = i.user_id
    GROUP BY i.inviter_id
)
