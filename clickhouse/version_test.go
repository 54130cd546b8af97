package clickhouse_test

import (
	"context"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
)

// TestVersionsPrecedeTheirStatements: every row Materialize writes carries a
// version read from the server's clock before its statement was sent. The
// engine takes a statement's snapshot of the parts it reads before it
// evaluates now64() in it (probed: a row committed before a statement's
// now64() went unread by it), so a version worked out in the statement
// itself, as it was, is newer than what the statement read: a stale row
// could win over a fresher one written meanwhile by another ingester, a
// rebuild or a rule's reprice. Read before, the version is older than the
// snapshot, and the newest version read the most facts (docs/schema.md, How
// figures are kept). The engine runs in this process: its clock is the
// proxy's.
func TestVersionsPrecedeTheirStatements(t *testing.T) {
	cfg := clickhousetest.Migrated(t)
	target, err := url.Parse("http://" + cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	log := &statementLog{seen: map[string][]string{}}
	srv := httptest.NewServer(log.serve(httputil.NewSingleHostReverseProxy(target)))
	defer srv.Close()
	cfg.Addr = strings.TrimPrefix(srv.URL, "http://")
	db, _ := openStore(t, cfg)
	now := time.Now().UTC()
	clickhousetest.Insert(t, db, eventgen.NewTraffic(13, 40, 5, 20).Chunk(400, now.Add(-time.Minute), time.Minute))
	for _, table := range []string{"order_prices", "merchant_minutes", "click_minutes", "user_days", "user_totals", "risk_signals"} {
		var version, rows uint64
		if err := db.Conn().QueryRow(context.Background(), "SELECT max(version), count() FROM "+table).Scan(&version, &rows); err != nil {
			t.Fatal(err)
		}
		var last time.Time // when the last statement writing table was sent
		for _, s := range log.sent {
			if strings.Contains(s.sql, "INSERT INTO "+table+" ") {
				last = s.at
			}
		}
		if rows == 0 || last.IsZero() {
			t.Errorf("%s: %d rows, written at %v: nothing to compare", table, rows, last)
			continue
		}
		if v := time.Unix(0, int64(version)); !v.Before(last) {
			t.Errorf("%s: the newest version is %s, not before its statement was sent (%s)", table,
				v.UTC().Format(time.RFC3339Nano), last.UTC().Format(time.RFC3339Nano))
		}
	}
}
