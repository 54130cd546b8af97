-- What risk_signals and its columns mean, for docs/tables.md and GET /v1/schema.
ALTER TABLE risk_signals
    MODIFY COMMENT 'Fraud signals, each with the evidence that raised it (docs/events.md, Fraud signals): one row per signal and subject once merged, written whole by the ingester for the subjects each batch touched, raised or not, with a newer version: read with FINAL. A signal that no longer holds is withdrawn (raised = 0). Evidence columns a signal does not use are zero. Signals never change money figures.',
    COMMENT COLUMN user_id 'The subject: the order’s user (no_click), the user (cancel_rate, velocity) or the inviter (invite_farm).',
    COMMENT COLUMN signal 'no_click, cancel_rate, velocity or invite_farm.',
    COMMENT COLUMN ref 'no_click: the order; else empty.',
    COMMENT COLUMN raised '1: the signal holds; 0: it was withdrawn (a late click, clean orders).',
    COMMENT COLUMN at 'no_click: the order’s placed_at; cancel_rate: the user’s latest placed_at; velocity: the start of the busiest hour; invite_farm: the latest invitee’s join.',
    COMMENT COLUMN window_start 'The start of the window the evidence covers (inclusive).',
    COMMENT COLUMN window_end 'Its end (velocity: exclusive, at + 1 h).',
    COMMENT COLUMN merchant_id 'no_click: the order’s merchant; else 0.',
    COMMENT COLUMN product_id 'no_click: the order’s product; else 0.',
    COMMENT COLUMN last_click 'no_click: the user’s latest click on the product at or before placed_at (the epoch: none).',
    COMMENT COLUMN orders 'cancel_rate: orders in the window; velocity: orders in the busiest hour; invite_farm: the invitees’ orders.',
    COMMENT COLUMN voided 'cancel_rate: of those, cancelled or reversed.',
    COMMENT COLUMN invitees 'invite_farm: users the inviter invited.',
    COMMENT COLUMN settled 'invite_farm: the invitees’ settled orders.',
    COMMENT COLUMN version 'When it was worked out (ns); the newest wins.'
