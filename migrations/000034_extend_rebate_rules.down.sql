-- Going down keeps the columns: ClickHouse cannot take a column out of a
-- sorting key, and their zeros mean what the rules before them meant (every
-- tier, no end, no cap, no referral share), so the older code reads them right.
SELECT 1
