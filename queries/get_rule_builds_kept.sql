-- The oldest build of rule_timeline worth keeping: the second newest
-- registered (a pricing statement that began before the newest was
-- registered reads the one before it); 0 while fewer than two are.
-- for: service (after a build, the older ones are deleted)
SELECT if(count() = 2, min(build), toUInt64(0)) FROM (SELECT build FROM rule_builds ORDER BY build DESC LIMIT 2)
