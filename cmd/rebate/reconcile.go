package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/settings"
	"github.com/rebatehq/rebate/ops"
)

// reconcileCmd checks every figure the API serves against the event log
// and prints what differs; it fails (exit status 1) when anything does, so
// a cron job or CI can act on it.
type reconcileCmd struct {
	report
	ClickHouse clickhouse.Config
	Since      time.Time
	Checks     []string
}

func (c *reconcileCmd) register(f *settings.Flags) {
	c.report.register(f)
	c.ClickHouse.RegisterFlags(f)
	f.Since(&c.Since, "since", "REBATE_RECONCILE_SINCE",
		"check only the users, orders, merchants, products and minutes with events since then (a date, an RFC 3339 time or a duration ago)")
	f.List(&c.Checks, "check", "REBATE_RECONCILE_CHECK", nil,
		"checks to run, comma-separated: balances, orders, merchant_stats, products, leaderboards, minutely (default: all)")
}

func (c *reconcileCmd) run(ctx context.Context, env *environment) error {
	db, err := clickhouse.Open(ctx, c.ClickHouse)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := clickhouse.NewStore(ctx, db)
	if err != nil {
		return err
	}
	r, err := ops.NewReconciler(st, nil)
	if err != nil {
		return err
	}
	start := time.Now()
	diffs, err := r.Run(ctx, c.Checks, c.Since, c.progress(env))
	if err != nil {
		return err
	}
	if len(diffs) == 0 {
		fmt.Fprintf(env.stdout, "every figure agrees with the event log (%s)\n", time.Since(start).Round(time.Millisecond))
		return nil
	}
	w := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CHECK\tFIGURE\tUSER\tMERCHANT\tDETAIL\tEXPECTED (EVENT LOG)\tFOUND (SERVED)")
	for _, d := range diffs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Check, d.Figure, id(d.UserID), id(d.MerchantID), dash(d.Detail), dash(d.Expected), dash(d.Found))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return fmt.Errorf("%d figures differ from the event log: rebuild the tables they come from (rebate rebuild), docs/operations.md", len(diffs))
}

func id(n uint64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
