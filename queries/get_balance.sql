-- A user's balance: rebates of their paid (pending) and settled (confirmed)
-- orders, referral earnings from the orders of the users they invited
-- (pending, confirmed, void), completed (withdrawn) and requested (frozen)
-- withdrawals, what is available (confirmed + confirmed referral earnings -
-- withdrawn - frozen, may be negative), order counts by state, their tier
-- (of their latest tier change; 0 if none), the newest event time included
-- (as_of), and how many of the days read were stored without the balance's
-- figures (unbalanced: the store refuses to answer when it is not 0).
-- Orders are read as days (user_days, which Materialize works out whole
-- from the priced orders): the user's, and their invitees' (found with
-- invitations), a row per day one of them ordered on rather than one per
-- order, so a busy user's balance reads as few rows as a quiet one's.
-- settings: max_threads = 1 (a point lookup: one thread answers sooner than several would start)
WITH
    1 AS REQUESTED, 3 AS COMPLETED,                -- withdrawal states (rebate.WithdrawalState)
    {user_id:UInt64} AS me,
    -- the latest tier change's tier and time, in one read of user_tiers
    (SELECT (argMax(tier, (ts, event_id)), max(ts)) FROM user_tiers FINAL WHERE user_id = me) AS tier_at
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
    tier_at.1 AS tier,
    greatest(max(part_as_of), tier_at.2) AS as_of,
    sum(part_unbalanced) AS unbalanced
FROM
(
    -- UNION ALL, not a JOIN: the engine runs the branches side by side.
    SELECT
        sumIf(pending, user_id = me) AS part_pending,
        sumIf(confirmed, user_id = me) AS part_confirmed,
        toDecimal128(0, 2) AS part_withdrawn,
        toDecimal128(0, 2) AS part_frozen,
        sumIf(paid, user_id = me) AS part_paid,
        sumIf(settled, user_id = me) AS part_settled,
        sumIf(voided, user_id = me) AS part_void,
        sumIf(referral_pending, inviter_id = me) AS part_referral_pending,
        sumIf(referral_confirmed, inviter_id = me) AS part_referral_confirmed,
        sumIf(referral_void, inviter_id = me) AS part_referral_void,
        max(last_event_at) AS part_as_of,
        countIf(balanced = 0) AS part_unbalanced
    FROM user_days FINAL
    WHERE user_id = me OR user_id IN (SELECT user_id FROM invitations WHERE inviter_id = me)
    UNION ALL
    SELECT
        toDecimal128(0, 2), toDecimal128(0, 2),
        sumIf(amount, state = COMPLETED), sumIf(amount, state = REQUESTED),
        0, 0, 0,
        toDecimal128(0, 2), toDecimal128(0, 2), toDecimal128(0, 2),
        max(ts), 0
    FROM withdrawals FINAL
    WHERE user_id = me
)
