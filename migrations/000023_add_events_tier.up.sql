-- The member tier a user moved to (user_tier_changed).
ALTER TABLE events ADD COLUMN IF NOT EXISTS tier UInt8 AFTER inviter_id
