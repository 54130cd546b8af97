package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/rebatehq/rebate"
)

// Signals lists the raised fraud signals q selects, newest first (see
// rebate.SignalQuery), with their evidence.
func (s *Store) Signals(ctx context.Context, q rebate.SignalQuery) ([]rebate.Signal, error) {
	kind := ""
	if q.Kind != 0 {
		kind = q.Kind.String()
	}
	after := rebate.SignalCursor{At: time.Unix(0, 0).UTC()} // unused: kind 0 is the first page
	if q.After != nil {
		after = *q.After
	}
	args := map[string]any{"signal": kind, "since": sinceParam(q.Since), "limit": q.Limit,
		"after_at": after.At, "after_signal": uint8(after.Kind), "after_user_id": after.UserID, "after_ref": after.OrderID}
	var out []rebate.Signal
	err := s.each(ctx, "list_risk_signals", args, func(r driver.Rows) error {
		var sig rebate.Signal
		var name string
		if err := r.Scan(&name, &sig.UserID, &sig.OrderID, &sig.At, &sig.WindowStart, &sig.WindowEnd, &sig.MerchantID,
			&sig.ProductID, &sig.LastClick, &sig.Orders, &sig.Voided, &sig.Invitees, &sig.Settled, &sig.DetectedAt); err != nil {
			return err
		}
		k, err := rebate.ParseSignalKind(name)
		if err != nil {
			return err
		}
		sig.Kind = k
		for _, t := range []*time.Time{&sig.At, &sig.WindowStart, &sig.WindowEnd, &sig.LastClick, &sig.DetectedAt} {
			*t = t.UTC()
		}
		if sig.LastClick.UnixMilli() <= 0 {
			sig.LastClick = time.Time{}
		}
		out = append(out, sig)
		return nil
	})
	return out, err
}

// SignalCounts counts the raised signals of each kind whose at is on or
// after since (zero: all).
func (s *Store) SignalCounts(ctx context.Context, since time.Time) (rebate.SignalCounts, error) {
	out := rebate.SignalCounts{}
	err := s.each(ctx, "get_signal_counts", map[string]any{"since": sinceParam(since)}, func(r driver.Rows) error {
		var name string
		var n uint64
		if err := r.Scan(&name, &n); err != nil {
			return err
		}
		k, err := rebate.ParseSignalKind(name)
		if err != nil {
			return err
		}
		out[k] = n
		return nil
	})
	return out, err
}

// sinceParam is since, or the epoch when zero (a DateTime64 cannot hold
// year 1).
func sinceParam(since time.Time) time.Time {
	if since.IsZero() || since.Before(time.Unix(0, 0)) {
		return time.Unix(0, 0).UTC()
	}
	return since
}

// ApplySignals sets the thresholds Materialize works signals out with
// (SetSignals) and, when they differ from those the stored signals were
// worked out with, works every signal out again at them, so a changed
// setting applies to every subject, not only to those later events touch.
// It reports whether it did. Run it as an ingester starts, before it
// consumes: the work is one pass over the orders, clicks and joins.
func (db *DB) ApplySignals(ctx context.Context, c SignalConfig) (bool, error) {
	if err := db.SetSignals(c); err != nil {
		return false, err
	}
	if db.signals.Off {
		return false, nil
	}
	now := thresholdsText(db.signals.Thresholds())
	q, ok := db.queries.Get("get_signal_thresholds")
	if !ok {
		return false, fmt.Errorf("no query get_signal_thresholds")
	}
	var was string
	if err := db.conn.QueryRow(ch.Context(ctx, ch.WithSettings(q.settings(nil))), q.SQL).Scan(&was); err != nil {
		return false, domainError("get_signal_thresholds", err)
	}
	if was == now || was == "" && now == thresholdsText(rebate.DefaultSignalThresholds()) {
		return false, nil
	}
	// The no-click signal has no threshold. The others are worked out for
	// every user with orders and every invited member, a chunk at a time:
	// the views read by key, so each chunk reads its users' rows only.
	th := db.signals.Thresholds()
	for _, s := range []struct {
		list, name string
		params     func(users string, th rebate.SignalThresholds) ch.Parameters
	}{
		{"list_signal_users", "materialize_user_signals", userSignalParams},
		{"list_invited_members", "materialize_farm_signals", farmSignalParams},
	} {
		users, err := db.userIDs(ctx, s.list)
		if err != nil {
			return false, err
		}
		for part := range slices.Chunk(users, materializeChunk) {
			if err := db.exec(ctx, s.name, s.params(uintArray(part), th)); err != nil {
				return false, err
			}
		}
	}
	return true, db.exec(ctx, "put_signal_thresholds", ch.Parameters{"thresholds": escapeParam(now)})
}

// userIDs runs a query listing user ids.
func (db *DB) userIDs(ctx context.Context, name string) ([]uint64, error) {
	var out []uint64
	err := db.each(ctx, name, nil, func(rows driver.Rows) error {
		var u uint64
		if err := rows.Scan(&u); err != nil {
			return err
		}
		out = append(out, u)
		return nil
	})
	return out, err
}

// thresholdsText is th as recorded in service_settings.
func thresholdsText(th rebate.SignalThresholds) string {
	return fmt.Sprintf("cancel_share=%s cancel_min_orders=%d orders_per_hour=%d farm_invitees=%d",
		th.CancelShare, th.CancelMinOrders, th.OrdersPerHour, th.FarmInvitees)
}

func userSignalParams(users string, th rebate.SignalThresholds) ch.Parameters {
	return ch.Parameters{"users": users, "cancel_share": th.CancelShare.String(),
		"cancel_min_orders": fmt.Sprint(th.CancelMinOrders), "orders_per_hour": fmt.Sprint(th.OrdersPerHour)}
}

func farmSignalParams(users string, th rebate.SignalThresholds) ch.Parameters {
	return ch.Parameters{"users": users, "farm_invitees": fmt.Sprint(th.FarmInvitees)}
}

// ReferralTotals are what invitees' orders placed at or after since earn
// their inviters, platform-wide.
func (s *Store) ReferralTotals(ctx context.Context, since time.Time) (rebate.ReferralTotals, error) {
	var out rebate.ReferralTotals
	err := s.each(ctx, "get_referral_totals", map[string]any{"since": sinceParam(since)}, func(r driver.Rows) error {
		var pending, confirmed, voided decimal.Decimal
		var at time.Time
		if err := r.Scan(&pending, &confirmed, &voided, &out.Orders, &out.Inviters, &at); err != nil {
			return err
		}
		out.AsOf = asOf(at)
		return moneys([]*rebate.Money{&out.Earnings.Pending, &out.Earnings.Confirmed, &out.Earnings.Void}, pending, confirmed, voided)
	})
	return out, err
}
