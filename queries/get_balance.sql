-- A user's balance: rebates of their paid (pending) and settled (confirmed)
-- orders, referral earnings from the orders of the users they invited
-- (pending, confirmed, void), completed (withdrawn) and requested (frozen)
-- withdrawals, what is available (confirmed + confirmed referral earnings -
-- withdrawn - frozen, may be negative), order counts by state, their tier
-- (of their latest tier change; 0 if none) and the newest event time
-- included (as_of). A day read that was stored without the balance's figures
-- (balanced = 0: by an ingester older than migration 000137) makes it an
-- error (CORRUPTED_DATA, which the service reports as misconfigured), never a
-- balance that counts that day as zeros.
-- Orders are read as days (user_days, which Materialize works out whole
-- from the priced orders): the user's, and their invitees' (found with
-- invitations), a row per day one of them ordered on rather than one per
-- order, so a busy user's balance reads as few rows as a quiet one's.
-- settings: max_threads = 1, allow_custom_error_code_in_throwif = 1 (a point lookup: one thread answers sooner than several would start; the guard raises its own error code)
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
    greatest(max(part_as_of), tier_at.2) AS as_of
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
-- The message is short: the engine's error shows only its first 100 characters or so.
HAVING throwIf(sum(part_unbalanced) != 0, 'user_days: days stored before 000137; run rebate rebuild --table user_days',
               toInt32(246)) = 0   -- CORRUPTED_DATA
