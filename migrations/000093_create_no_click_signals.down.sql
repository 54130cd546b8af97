DROP VIEW IF EXISTS no_click_signals
