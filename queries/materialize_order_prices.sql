-- Prices again the orders {keys} (merchant_id, placed_at, order_id: the key
-- of orders) of the users {users} and writes them to order_prices with a
-- newer version, which wins. Run after the events that touch them are stored
-- (an order's own, its user's tier changes and joins), so the price follows
-- what is known.
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
-- Three layers, so each large expression is written once: the engine copies
-- an alias into every expression that names it. The users come as a
-- parameter, not a lookup of the keys' (measured: 40 percent of the
-- statement's CPU). Written here, not as the parameterized view
-- priced_orders (000042, dropped by 000104): the same SELECT through the
-- view cost twice the CPU (measured: 295 against 147 ms for the orders of a
-- 20,000-event batch).
-- settings: max_threads = 1 (the keys of one batch: one thread costs 5-15% less CPU than two, measured, and is no slower)
-- for: service (the ingester prices what each batch it stores touches)
INSERT INTO order_prices (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts,
                          tier, rebate, inviter_id, referral, version)
SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts,
       tier, rebate, inviter_id, referral, toUnixTimestamp64Nano(now64(9))
FROM
(
    WITH
        toDateTime64(0, 3, 'UTC') AS NO_END, -- effective_to of a standing rule
        (SELECT ifNull(toUInt32OrNull(argMax(value, updated_at)), 365) FROM service_settings WHERE name = 'referral_window_days')
            AS window_days,
        (SELECT groupArray(tuple(tier_key, effective_from, effective_to, share, cap, referral_share, created_at))
         FROM rebate_rules FINAL WHERE merchant_id = 0) AS default_rules
    SELECT
        order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts, tier,
        if(isNull(cap), uncapped, least(uncapped, assumeNotNull(cap))) AS rebate,
        if(referred, inviter, 0) AS inviter_id,
        if(referred, toDecimal64(toDecimal128(commission, 2) * referral_share, 2), toDecimal64(0, 2)) AS referral
    FROM
    (
        SELECT
            *,
            rule.5 AS share, rule.6 AS cap, rule.7 AS referral_share,
            toDecimal64(toDecimal128(commission, 2) * share, 2) AS uncapped,
            inviter != 0 AND placed_at >= joined_at AND placed_at < joined_at + toIntervalDay(window_days) AS referred
        FROM
        (
            SELECT
                o.order_id AS order_id, o.user_id AS user_id, o.merchant_id AS merchant_id,
                o.product_id AS product_id, o.state AS state, o.amount AS amount,
                o.commission AS commission, o.placed_at AS placed_at, o.ts AS ts,
                t.tier AS tier, mb.inviter_id AS inviter, mb.joined_at AS joined_at,
                -- The candidates: the merchant's rules (1) and the default's
                -- (0) in force at placed_at for the order's tier; the best first:
                -- a promotion, the merchant's, a tier's, the latest start, the
                -- latest put. With none, the first element of the empty array is
                -- a tuple of zeros and a NULL cap: no share, a rebate of 0.
                arrayReverseSort(r -> (r.4 != NO_END, r.1, r.2 != 0, r.3, r.8),
                    arrayFilter(r -> r.3 <= o.placed_at AND (r.4 = NO_END OR o.placed_at < r.4) AND (r.2 = 0 OR r.2 = t.tier + 1),
                        arrayConcat(
                            arrayMap(r -> (toUInt8(1), r.1, r.2, r.3, r.4, r.5, r.6, r.7), mr.rs),
                            arrayMap(r -> (toUInt8(0), r.1, r.2, r.3, r.4, r.5, r.6, r.7), default_rules))))[1] AS rule
            FROM
            (
                SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts
                FROM orders FINAL
                WHERE (merchant_id, placed_at, order_id) IN {keys:Array(Tuple(UInt64, DateTime64(3, 'UTC'), String))}
            ) AS o
            ASOF LEFT JOIN
            (
                -- One tier per instant: of changes at the same ts, the greater event_id.
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
            LEFT JOIN
            (
                SELECT merchant_id, groupArray(tuple(tier_key, effective_from, effective_to, share, cap, referral_share, created_at)) AS rs
                FROM rebate_rules FINAL
                WHERE merchant_id != 0
                GROUP BY merchant_id
            ) AS mr ON mr.merchant_id = o.merchant_id
        )
    )
)
