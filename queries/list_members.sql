-- The inviter of each user of {users} (0: nobody), as their first join fixed
-- it, and the event that did. The ingester checks every user_joined against
-- it (the rules of identity, docs/events.md).
-- for: service (an ingester's lookup, not an analyst's query)
SELECT user_id, argMax(inviter_id, first) AS inviter_id, argMax(event_id, first) AS event_id
FROM members
WHERE user_id IN {users:Array(UInt64)}
GROUP BY user_id
