-- Who invited a user who joined (user_joined; 0: nobody). Issue 14's members.
ALTER TABLE events ADD COLUMN IF NOT EXISTS inviter_id UInt64 AFTER commission_rate
