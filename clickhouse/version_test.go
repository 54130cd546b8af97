package clickhouse_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
)

// TestVersionsPrecedeTheirStatements: every statement that writes a figure
// or a signal carries a version read from the server's clock before the
// statement was sent. The engine takes a statement's snapshot of the parts
// it reads before it evaluates now64() in it (probed: a row committed before
// a statement's now64() went unread by it), so a version worked out in the
// statement itself, as it was, is newer than what the statement read: a
// stale row could win over a fresher one written meanwhile by another
// ingester, a rebuild or a rule's reprice. Read before, the version is
// older than the snapshot, and the newest version read the most facts
// (docs/schema.md, How figures are kept). The engine runs in this process:
// its clock is the proxy's.
func TestVersionsPrecedeTheirStatements(t *testing.T) {
	cfg, log := logStatements(t, clickhousetest.Migrated(t))
	db, _ := openStore(t, cfg)
	now := time.Now().UTC()
	clickhousetest.Insert(t, db, eventgen.NewTraffic(13, 40, 5, 20).Chunk(400, now.Add(-time.Minute), time.Minute))
	// and a computed table worked out again whole, as a rebuild does
	if _, err := db.Rebuild(context.Background(), clickhouse.RebuildOptions{Tables: []string{"click_minutes"}}); err != nil {
		t.Fatal(err)
	}
	// What a table's statements read that the batch wrote just before them:
	// their version is read after that write ended, or it could be older
	// than a fact they read, and lose to a row that did not read it.
	after := map[string]string{"order_prices": "events", "merchant_minutes": "order_prices", "click_minutes": "events",
		"user_days": "order_prices", "user_totals": "user_days", "risk_signals": "user_totals"}
	lastWrite := map[string]time.Time{} // of each table, the end of the last statement writing it so far
	written := map[string]int{}
	for _, s := range log.sent {
		if strings.HasPrefix(s.sql, "EXPLAIN") {
			continue
		}
		for _, table := range []string{"order_prices", "merchant_minutes", "click_minutes", "user_days", "user_totals", "risk_signals"} {
			if !strings.Contains(s.sql, "INSERT INTO "+table+" ") {
				continue
			}
			written[table]++
			if !strings.Contains(s.sql, "{version:UInt64}") || strings.Contains(s.sql, "now64(") {
				t.Errorf("%.80s: its version is not the parameter read before it", s.sql)
			}
			v, err := strconv.ParseInt(s.version, 10, 64)
			if err != nil {
				t.Errorf("%.80s: no version read before it (%q)", s.sql, s.version)
				continue
			}
			if at := time.Unix(0, v); !at.Before(s.at) {
				t.Errorf("%.80s: version %s, not before the statement was sent (%s)", s.sql,
					at.UTC().Format(time.RFC3339Nano), s.at.UTC().Format(time.RFC3339Nano))
			} else if w := lastWrite[after[table]]; !at.After(w) {
				t.Errorf("%.80s: version %s, not after the write of %s it reads ended (%s)", s.sql,
					at.UTC().Format(time.RFC3339Nano), after[table], w.UTC().Format(time.RFC3339Nano))
			}
		}
		for _, table := range []string{"events", "order_prices", "user_days", "user_totals"} {
			if strings.Contains(s.sql, "INSERT INTO "+table+" ") {
				lastWrite[table] = s.done
			}
		}
	}
	// prices, minutes, clicks (the batch's and the rebuild's), days, totals,
	// and the three signals
	for table, least := range map[string]int{"order_prices": 1, "merchant_minutes": 1, "click_minutes": 2, "user_days": 1, "user_totals": 1, "risk_signals": 3} {
		if written[table] < least {
			t.Errorf("%d statements wrote %s, want at least %d: nothing to compare", written[table], table, least)
		}
	}
}
