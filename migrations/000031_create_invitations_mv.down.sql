DROP VIEW IF EXISTS invitations_mv
