-- Every member who joined through an invitation, in order: their inviters'
-- invite_farm signals are what a changed threshold works out again.
-- for: service (the ingester applies its signal thresholds as it starts)
SELECT DISTINCT user_id FROM members WHERE inviter_id != 0 ORDER BY user_id
