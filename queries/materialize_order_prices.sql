-- Prices again the orders {keys} (the day of placed_at, merchant_id,
-- placed_at, order_id: the key of orders) of the users {users} at the
-- merchants {merchants} (and 0) and writes them to order_prices with a
-- newer version, which wins. Run after
-- the events that touch them are stored (an order's own, its user's tier
-- changes and joins), so the price follows what is known.
--
-- Each order as it stands (its highest state, FINAL), with its user's tier
-- at placed_at, the rule chosen for it, its rebate
-- min(floor(commission x share, 2), cap) and, when it counts for one, its
-- user's inviter and their referral earnings, floor(commission x referral
-- share, 2), for orders placed from the join until
-- REBATE_REFERRAL_WINDOW_DAYS after it (docs/events.md: Rules, Referral
-- earnings). Rules may not take effect in the past, so a rule put reprices
-- no stored order unless it was placed in the future.
--
-- The rule comes from rule_timeline's newest build, the timelines of the
-- batch's merchants only: per merchant with rules of its own (else 0) and
-- tier named by rules (else 0), the rule in force from each instant, found
-- with an ASOF JOIN. Choosing it here among every candidate rule, with
-- array lambdas, cost this statement half its CPU in planning alone,
-- whatever the batch's size (docs/benchmarks.md). The users come as a
-- parameter, not a lookup of the keys' (measured: 40 percent of the
-- statement's CPU). Written here, not as the parameterized view
-- priced_orders (000042, dropped by 000104): the same SELECT through the
-- view cost twice the CPU.
-- settings: max_threads = 1 (the keys of one batch: one thread costs 5-15% less CPU than two, measured, and is no slower)
-- for: service (the ingester prices what each batch it stores touches)
INSERT INTO order_prices (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts,
                          tier, rebate, inviter_id, referral, version)
WITH
    (SELECT ifNull(toUInt32OrNull(argMax(value, updated_at)), 365) FROM service_settings WHERE name = 'referral_window_days')
        AS window_days,
    (SELECT tuple(build, merchants, tier_keys) FROM rule_builds ORDER BY build DESC LIMIT 1) AS rules
SELECT
    order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts, tier,
    if(isNull(cap), uncapped, least(uncapped, assumeNotNull(cap))) AS rebate,
    if(inviter != 0 AND placed_at >= joined_at AND placed_at < joined_at + toIntervalDay(window_days), inviter, 0) AS inviter_id,
    if(inviter_id != 0, toDecimal64(toDecimal128(commission, 2) * referral_share, 2), toDecimal64(0, 2)) AS referral,
    {version:UInt64}
FROM
(
    SELECT
        o.order_id AS order_id, o.user_id AS user_id, o.merchant_id AS merchant_id,
        o.product_id AS product_id, o.state AS state, o.amount AS amount,
        o.commission AS commission, o.placed_at AS placed_at, o.ts AS ts,
        t.tier AS tier, mb.inviter_id AS inviter, mb.joined_at AS joined_at,
        r.cap AS cap, r.referral_share AS referral_share,
        toDecimal64(toDecimal128(o.commission, 2) * r.share, 2) AS uncapped
    FROM
    (
        SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts
        FROM orders FINAL
        WHERE (toDate(placed_at), merchant_id, placed_at, order_id) IN {keys:Array(Tuple(Date, UInt64, DateTime64(3, 'UTC'), String))}
    ) AS o
    ASOF LEFT JOIN
    (
        SELECT user_id, ts, argMax(tier, event_id) AS tier
        FROM user_tiers FINAL
        WHERE user_id IN {users:Array(UInt64)}
        GROUP BY user_id, ts
    ) AS t ON o.user_id = t.user_id AND o.placed_at >= t.ts
    LEFT JOIN
    (
        SELECT user_id, inviter_id, joined_at
        FROM members FINAL
        WHERE user_id IN {users:Array(UInt64)}
    ) AS mb ON mb.user_id = o.user_id
    ASOF LEFT JOIN
    (
        SELECT merchant_id, tier_key, seg_from, share, cap, referral_share
        FROM rule_timeline
        WHERE build = rules.1 AND merchant_id IN {merchants:Array(UInt64)}
    ) AS r ON r.merchant_id = if(has(rules.2, o.merchant_id), o.merchant_id, 0)
          AND r.tier_key = if(has(rules.3, t.tier + 1), t.tier + 1, 0)
          AND o.placed_at >= r.seg_from
)
