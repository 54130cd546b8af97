-- A user's balance: rebates of their paid (pending) and settled (confirmed)
-- orders, referral earnings from the orders of the users they invited
-- (pending, confirmed, void), completed (withdrawn) and requested (frozen)
-- withdrawals, what is available (confirmed + confirmed referral earnings -
-- withdrawn - frozen, may be negative), order counts by state, their tier
-- (of their latest tier change; 0 if none) and the newest event time
-- included (as_of). Orders are read priced and sorted by user
-- (user_prices): the user's, and their invitees' (found with invitations).
-- settings: max_threads = 1 (a point lookup: one thread answers sooner than several would start)
WITH
    1 AS PAID, 2 AS SETTLED, 3 AS VOID,            -- order states (rebate.OrderState)
    1 AS REQUESTED, 3 AS COMPLETED,                -- withdrawal states (rebate.WithdrawalState)
    {user_id:UInt64} AS me
SELECT
    me AS user_id,
    sum(part_pending) AS pending,
    sum(part_confirmed) AS confirmed,
    sum(part_withdrawn) AS withdrawn,
    sum(part_frozen) AS frozen,
    sum(part_confirmed) + sum(part_referral_confirmed) - sum(part_withdrawn) - sum(part_frozen) AS available,
    sum(part_paid) AS paid,
    sum(part_settled) AS settled,
    sum(part_void) AS void,
    sum(part_referral_pending) AS referral_pending,
    sum(part_referral_confirmed) AS referral_confirmed,
    sum(part_referral_void) AS referral_void,
    (SELECT argMax(tier, (ts, event_id)) FROM user_tiers FINAL WHERE user_id = me) AS tier,
    greatest(max(part_as_of), (SELECT max(ts) FROM user_tiers WHERE user_id = me)) AS as_of
FROM
(
    -- UNION ALL, not a JOIN: the engine runs the branches side by side.
    SELECT
        sumIf(rebate, user_id = me AND state = PAID) AS part_pending,
        sumIf(rebate, user_id = me AND state = SETTLED) AS part_confirmed,
        toDecimal128(0, 2) AS part_withdrawn,
        toDecimal128(0, 2) AS part_frozen,
        countIf(user_id = me AND state = PAID) AS part_paid,
        countIf(user_id = me AND state = SETTLED) AS part_settled,
        countIf(user_id = me AND state = VOID) AS part_void,
        sumIf(referral, inviter_id = me AND state = PAID) AS part_referral_pending,
        sumIf(referral, inviter_id = me AND state = SETTLED) AS part_referral_confirmed,
        sumIf(referral, inviter_id = me AND state = VOID) AS part_referral_void,
        max(ts) AS part_as_of
    FROM user_prices FINAL
    WHERE user_id = me OR user_id IN (SELECT user_id FROM invitations WHERE inviter_id = me)
    UNION ALL
    SELECT
        toDecimal128(0, 2), toDecimal128(0, 2),
        sumIf(amount, state = COMPLETED), sumIf(amount, state = REQUESTED),
        0, 0, 0,
        toDecimal128(0, 2), toDecimal128(0, 2), toDecimal128(0, 2),
        max(ts)
    FROM withdrawals FINAL
    WHERE user_id = me
)
