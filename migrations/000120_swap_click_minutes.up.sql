-- The table sorted by day and the one sorted by merchant swap names at once
-- (EXCHANGE is atomic); stop the ingesters of the old version first, as for
-- 000113 (a bucket they wrote meanwhile is missing until its next change, or
-- rebate rebuild --table click_minutes).
EXCHANGE TABLES click_minutes AND click_minutes_by_day
