package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/prom"
	"github.com/rebatehq/rebate/internal/settings"
)

// ReconcileSchedule runs the reconciliation every Every (rebate up and
// rebate api: --reconcile-every).
type ReconcileSchedule struct {
	Every time.Duration // 0: never
}

// RegisterFlags binds the schedule to its flag and variable.
func (s *ReconcileSchedule) RegisterFlags(f *settings.Flags) {
	f.Duration(&s.Every, "reconcile-every", "REBATE_RECONCILE_EVERY", 0,
		"check every figure against the event log this often, exporting rebate_reconcile_drift (0: never; at least 1m)", minuteOrOff)
}

// Reconciler checks every figure the service serves against the event log
// (each queries/reconcile_*.sql) and exports what it found.
type Reconciler struct {
	store *clickhouse.Store
	// Recheck is how long to wait before running a check that found
	// differences again: only differences still there count. A figure read
	// while an insert is half-way through its views (the log written, a
	// state table not yet) is not drift.
	Recheck time.Duration

	drift    *prometheus.GaugeVec
	last     prometheus.Gauge
	duration prometheus.Gauge
	failures prometheus.Counter
}

// NewReconciler registers the reconciliation's metrics with reg (nil:
// nowhere).
func NewReconciler(store *clickhouse.Store, reg prometheus.Registerer) (*Reconciler, error) {
	r := &Reconciler{
		store:   store,
		Recheck: 2 * time.Second,
		drift: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rebate_reconcile_drift",
			Help: "Figures that differed from the event log in the last reconciliation, by figure (the check: balances, orders, ...)."}, []string{"figure"}),
		last: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rebate_reconcile_last_success_timestamp",
			Help: "Unix time the last reconciliation of every figure finished."}),
		duration: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rebate_reconcile_duration_seconds",
			Help: "How long the last reconciliation took."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "rebate_reconcile_failures_total",
			Help: "Reconciliations that could not finish (ClickHouse down, a query timing out)."}),
	}
	if err := prom.Register(reg, r.drift, r.last, r.duration, r.failures); err != nil {
		return nil, err
	}
	return r, nil
}

// Checks are the reconciliations Run runs.
func (r *Reconciler) Checks() []string { return r.store.Checks() }

// Run runs checks (none: all) over the figures with events since since and
// returns the differences; the metrics follow the run. progress, if set,
// hears of each check as it ends.
func (r *Reconciler) Run(ctx context.Context, checks []string, since time.Time, progress func(string)) ([]rebate.Difference, error) {
	start := time.Now()
	if len(checks) == 0 {
		checks = r.store.Checks()
	}
	var out []rebate.Difference
	for _, c := range checks {
		t0 := time.Now()
		diffs, err := r.check(ctx, c, since)
		if err != nil {
			r.failures.Inc()
			return out, err
		}
		r.drift.WithLabelValues(c).Set(float64(len(diffs)))
		out = append(out, diffs...)
		if progress != nil {
			progress(fmt.Sprintf("reconcile %s: %d differences (%s)", c, len(diffs), time.Since(t0).Round(time.Millisecond)))
		}
	}
	r.last.Set(float64(time.Now().Unix()))
	r.duration.Set(time.Since(start).Seconds())
	return out, nil
}

// check runs one check, and again after Recheck if it found anything,
// keeping what both runs found.
func (r *Reconciler) check(ctx context.Context, c string, since time.Time) ([]rebate.Difference, error) {
	first, err := r.reconcile(ctx, c, since)
	if err != nil || len(first) == 0 || r.Recheck <= 0 {
		return first, err
	}
	select {
	case <-time.After(r.Recheck):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	second, err := r.reconcile(ctx, c, since)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, d := range first {
		seen[d.Key()] = true
	}
	var out []rebate.Difference
	for _, d := range second {
		if seen[d.Key()] {
			out = append(out, d)
		}
	}
	return out, nil
}

// reconcile runs one check once. The leaderboards are refreshed first: the
// check compares them, as of their refreshes, with the rebates stored now,
// and an order repriced since the long windows' last refresh (up to
// REBATE_LEADERBOARD_LONG_REFRESH before, 30 s) would differ on the recheck
// too without being drift.
func (r *Reconciler) reconcile(ctx context.Context, c string, since time.Time) ([]rebate.Difference, error) {
	if c == LeaderboardsCheck {
		if err := r.store.RefreshLeaderboard(ctx); err != nil {
			return nil, fmt.Errorf("reconcile %s: %w", c, err)
		}
	}
	return r.store.Reconcile(ctx, c, since)
}

// LeaderboardsCheck is the reconciliation of the leaderboards.
const LeaderboardsCheck = "leaderboards"

// Every reconciles every interval until ctx ends, logging drift at warn
// level: the metrics carry it to an alert (deploy/prometheus/alerts.yml).
func (r *Reconciler) Every(ctx context.Context, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		diffs, err := r.Run(ctx, nil, time.Time{}, nil)
		switch {
		case errors.Is(err, context.Canceled) && ctx.Err() != nil:
			return
		case err != nil:
			log.Error("reconciliation failed; trying again at the next", "err", err)
		case len(diffs) > 0:
			for i, d := range diffs {
				if i == 20 {
					log.Warn("reconciliation: more differences not logged", "total", len(diffs))
					break
				}
				log.Warn("a figure differs from the event log", "check", d.Check, "figure", d.Figure, "user", d.UserID,
					"merchant", d.MerchantID, "detail", d.Detail, "expected", d.Expected, "found", d.Found)
			}
		default:
			log.Info("reconciliation: every figure agrees with the event log")
		}
	}
}
