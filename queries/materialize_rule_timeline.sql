-- Works out build {build} of rule_timeline from rebate_rules (read with
-- FINAL): for each merchant with rules of its own and 0 (every other
-- merchant), and each tier rules name and 0 (every other tier), the rule in
-- force from each instant one of its candidates starts or a promotion of
-- them ends. The candidates of merchant m and tier key k are the rules of m
-- and of 0 for every tier or for k; of those in force at an instant, the
-- best: a promotion, the merchant's, a tier's, the latest start, the latest
-- put (docs/events.md, Rules). None in force: a share of 0. Between two
-- instants nothing changes which rules are in force, so the choice holds
-- until the next. {build} comes from the server's clock before this
-- statement begins, so the build reads every rule written before it;
-- materialize_rule_build then makes it the one pricing reads.
-- for: service (a rule put, and rules loaded, build the timeline pricing reads)
INSERT INTO rule_timeline (build, merchant_id, tier_key, seg_from, share, cap, referral_share)
WITH
    toDateTime64(0, 3, 'UTC') AS NO_END, -- effective_to of a standing rule
    rules AS
    (
        SELECT merchant_id, tier_key, effective_from, effective_to, share, cap, referral_share, created_at
        FROM rebate_rules FINAL
    ),
    keys AS
    (
        SELECT m, k
        FROM (SELECT DISTINCT merchant_id AS m FROM (SELECT merchant_id FROM rules UNION ALL SELECT toUInt64(0))) AS ms
        CROSS JOIN (SELECT DISTINCT tier_key AS k FROM (SELECT tier_key FROM rules UNION ALL SELECT toUInt8(0))) AS ks
    ),
    -- Joined by merchant, not filtered from every pair: a merchant's own
    -- rules, then the default's (few) for every merchant.
    candidates AS
    (
        SELECT keys.m AS m, keys.k AS k, r.*
        FROM keys INNER JOIN rules AS r ON r.merchant_id = keys.m
        WHERE r.tier_key = 0 OR r.tier_key = keys.k
        UNION ALL
        SELECT keys.m AS m, keys.k AS k, r.*
        FROM keys CROSS JOIN (SELECT * FROM rules WHERE merchant_id = 0) AS r
        WHERE keys.m != 0 AND (r.tier_key = 0 OR r.tier_key = keys.k)
    )
SELECT {build:UInt64}, m, k, b,
       if(n = 0, toDecimal32(0, 4), best.1),
       if(n = 0, CAST(NULL, 'Nullable(Decimal(18, 2))'), best.2),
       if(n = 0, toDecimal32(0, 4), best.3)
FROM
(
    SELECT c.m AS m, c.k AS k, bd.b AS b,
           countIf(c.effective_from <= bd.b AND (c.effective_to = NO_END OR bd.b < c.effective_to)) AS n,
           -- The best first; effective_to last only so that the choice
           -- between two rules equal in everything else does not vary.
           argMaxIf(tuple(c.share, c.cap, c.referral_share),
                    tuple(c.effective_to != NO_END, c.merchant_id != 0, c.tier_key != 0, c.effective_from, c.created_at, c.effective_to),
                    c.effective_from <= bd.b AND (c.effective_to = NO_END OR bd.b < c.effective_to)) AS best
    FROM candidates AS c
    INNER JOIN
    (
        SELECT DISTINCT m, k, arrayJoin(if(effective_to != NO_END, [effective_from, effective_to], [effective_from])) AS b
        FROM candidates
    ) AS bd ON bd.m = c.m AND bd.k = c.k
    GROUP BY m, k, b
)
