-- How many fraud signals of each kind are raised, of those whose at is on
-- or after {since}; kinds with none are left out.
SELECT signal, count() AS signals
FROM risk_signals FINAL
WHERE raised AND at >= {since:DateTime64(3, 'UTC')}
GROUP BY signal
ORDER BY signal
