-- The users {user_id} invited, by user id, a page at a time (after
-- {after_user_id}, at most {limit}): when each joined, their orders within
-- the referral window by state, and what those earned the inviter (pending,
-- confirmed, void). as_of is the newest event time included.
-- settings: max_threads = 1 (a point lookup: one thread answers sooner than several would start)
WITH 1 AS PAID, 2 AS SETTLED, 3 AS VOID, {user_id:UInt64} AS me
SELECT
    i.user_id AS invitee_id,
    i.joined_at AS joined_at,
    countIf(p.state = PAID) AS paid,
    countIf(p.state = SETTLED) AS settled,
    countIf(p.state = VOID) AS void,
    sumIf(p.referral, p.state = PAID) AS pending,
    sumIf(p.referral, p.state = SETTLED) AS confirmed,
    sumIf(p.referral, p.state = VOID) AS voided,
    max(greatest(p.ts, i.joined_at)) AS as_of
FROM
(
    SELECT user_id, min(joined_at) AS joined_at
    FROM invitations FINAL
    WHERE inviter_id = me AND user_id > {after_user_id:UInt64}
    GROUP BY user_id
    ORDER BY user_id
    LIMIT {limit:UInt32}
) AS i
LEFT JOIN
(
    SELECT user_id, state, referral, ts
    FROM user_prices FINAL
    WHERE user_id IN (SELECT user_id FROM invitations WHERE inviter_id = me)
      AND inviter_id = me
) AS p ON p.user_id = i.user_id
GROUP BY invitee_id, joined_at
ORDER BY invitee_id
