-- The default rule: half of the commission, for every order ever placed.
INSERT INTO rebate_rules (merchant_id, effective_from, share, created_at)
VALUES (0, toDateTime64(0, 3, 'UTC'), 0.5, toDateTime64(0, 3, 'UTC'))
