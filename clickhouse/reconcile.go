package clickhouse

import (
	"context"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/rebatehq/rebate"
)

// reconcilePrefix names the reconciliations among the queries: each
// queries/reconcile_<check>.sql works one group of figures out again from
// the event log, with SQL of its own, and returns the rows that differ as
// (figure, user_id, merchant_id, detail, expected, found). Adding a figure
// is adding a file.
const reconcilePrefix = "reconcile_"

// Checks lists the reconciliations by name (balances, orders, ...).
func (s *Store) Checks() []string {
	var out []string
	for _, q := range s.queries.All() {
		if name, ok := strings.CutPrefix(q.Name, reconcilePrefix); ok {
			out = append(out, name)
		}
	}
	return out
}

// Reconcile runs one check over the figures with events since since (the
// zero time: all of them) and returns what differs.
func (s *Store) Reconcile(ctx context.Context, check string, since time.Time) ([]rebate.Difference, error) {
	name := reconcilePrefix + check
	q, ok := s.queries.Get(name)
	if !ok {
		return nil, rebate.Errorf(rebate.EINVALID, "check", "no reconciliation %q; there are %s", check, strings.Join(s.Checks(), ", "))
	}
	if since.IsZero() {
		since = time.Unix(0, 0)
	}
	args := map[string]any{}
	for _, p := range q.Params {
		if p.Name == "since" {
			args["since"] = since.UTC()
		}
	}
	var out []rebate.Difference
	err := s.each(ctx, name, args, func(r driver.Rows) error {
		d := rebate.Difference{Check: check}
		if err := r.Scan(&d.Figure, &d.UserID, &d.MerchantID, &d.Detail, &d.Expected, &d.Found); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	return out, err
}
