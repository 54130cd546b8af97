package ops

import (
	"context"
	"log/slog"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/prom"
)

// ViewWatch exports how fresh each refreshable view is (the leaderboards),
// for the alert on a refresh failing or late: a view that stops refreshing
// keeps serving its last answer, with nothing else to show it.
type ViewWatch struct {
	db      *clickhouse.DB
	age     *prometheus.GaugeVec
	failing *prometheus.GaugeVec
}

// NewViewWatch registers the metrics with reg.
func NewViewWatch(db *clickhouse.DB, reg prometheus.Registerer) (*ViewWatch, error) {
	w := &ViewWatch{
		db: db,
		age: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rebate_view_refresh_age_seconds",
			Help: "Seconds since a refreshable view (the leaderboards) last refreshed; +Inf before its first refresh since ClickHouse started."}, []string{"view"}),
		failing: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rebate_view_refresh_failing",
			Help: "1 when a refreshable view's last refresh failed."}, []string{"view"}),
	}
	return w, prom.Register(reg, w.age, w.failing)
}

// Update reads the views' state once.
func (w *ViewWatch) Update(ctx context.Context, now time.Time) error {
	views, err := w.db.ViewRefreshes(ctx)
	if err != nil {
		return err
	}
	for _, v := range views {
		age := math.Inf(1)
		if !v.LastSuccess.IsZero() {
			age = max(0, now.Sub(v.LastSuccess).Seconds())
		}
		w.age.WithLabelValues(v.View).Set(age)
		failing := 0.0
		if v.Failing {
			failing = 1
		}
		w.failing.WithLabelValues(v.View).Set(failing)
	}
	return nil
}

// Every updates every interval until ctx ends.
func (w *ViewWatch) Every(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := w.Update(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Warn("could not read the state of refreshable views", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
