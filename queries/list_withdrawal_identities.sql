-- The identity each of the withdrawals {ids} was first stored with: user,
-- amount and the event that fixed it. The ingester checks the withdrawal
-- events of every batch against it.
-- for: service (an ingester's lookup, not an analyst's query)
SELECT
    withdrawal_id,
    argMax(user_id, first) AS user_id,
    argMax(amount, first) AS amount,
    argMax(event_id, first) AS event_id
FROM withdrawal_identity
WHERE withdrawal_id IN {ids:Array(String)}
GROUP BY withdrawal_id
