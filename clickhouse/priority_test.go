package clickhouse_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
)

// statementLog is a proxy in front of the endpoint that notes, for each
// statement, the phase the test is in and the os_thread_priority it carries,
// and the inserts that do not turn the server's insert queue off.
type statementLog struct {
	mu     sync.Mutex
	phase  string
	seen   map[string][]string // phase: "<priority or none> <statement's start>"
	queued []string            // inserts without async_insert=0
	sent   []sentStatement     // every statement, whole, as it arrived
}

// sentStatement is a statement, when it reached the proxy and when its
// answer had gone back, and its version parameter ("" if none).
type sentStatement struct {
	at, done time.Time
	sql      string
	version  string
}

func (l *statementLog) serve(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		sql := r.URL.Query().Get("query")
		if sql == "" {
			sql = string(body)
		}
		sql = strings.Join(strings.Fields(sql), " ")
		sent := sentStatement{at: time.Now(), sql: sql, version: r.URL.Query().Get("param_version")}
		defer func() {
			sent.done = time.Now()
			l.mu.Lock()
			l.sent = append(l.sent, sent)
			l.mu.Unlock()
		}()
		// clickhouse-go's hello on each new connection is not the caller's.
		if !strings.HasPrefix(sql, "SELECT displayName()") {
			nice := r.URL.Query().Get("os_thread_priority")
			if nice == "" {
				nice = "none"
			}
			l.mu.Lock()
			l.seen[l.phase] = append(l.seen[l.phase], nice+" "+sql[:min(len(sql), 60)])
			if strings.HasPrefix(sql, "INSERT") && r.URL.Query().Get("async_insert") != "0" {
				l.queued = append(l.queued, sql[:min(len(sql), 60)])
			}
			l.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// logStatements puts a statementLog in front of cfg's endpoint for the
// test's life: cfg as it reaches the endpoint through the log.
func logStatements(t *testing.T, cfg clickhouse.Config) (clickhouse.Config, *statementLog) {
	t.Helper()
	log := &statementLog{seen: map[string][]string{}}
	return throughProxy(t, cfg, log.serve), log
}

// throughProxy is cfg reaching its endpoint through a proxy that wrap makes
// of the plain one, for the test's life.
func throughProxy(t *testing.T, cfg clickhouse.Config, wrap func(next http.Handler) http.Handler) clickhouse.Config {
	t.Helper()
	target, err := url.Parse("http://" + cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(wrap(httputil.NewSingleHostReverseProxy(target)))
	t.Cleanup(srv.Close)
	cfg.Addr = strings.TrimPrefix(srv.URL, "http://")
	return cfg
}

func (l *statementLog) enter(phase string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.phase = phase
}

// TestWritesYieldToReads: at the default WritePriority (low), every
// statement of the write path (the guard's lookup, the insert, the figures'
// and the signals' statements) asks the server to run at nice 19
// (os_thread_priority), so that
// reads beside them get the CPU first; no read asks it. At normal, none
// does. At either, every insert turns the server's insert queue off
// (async_insert=0): the ingester makes its own batches, and a queue would
// hold each until its flush and merge batches of several ingesters into one,
// whose deduplication tokens ClickHouse 26.2-26.6 mixed up (see writeSettings).
func TestWritesYieldToReads(t *testing.T) {
	cfg := clickhousetest.Migrated(t)
	now := time.Now().UTC()
	traffic := eventgen.NewTraffic(11, 50, 5, 20)
	for _, c := range []struct {
		priority  string // "" is the default
		writeNice string
	}{{"", "19"}, {"normal", "none"}} {
		t.Run("priority="+c.priority, func(t *testing.T) {
			pc, log := logStatements(t, cfg)
			pc.WritePriority = c.priority
			db, st := clickhousetest.OpenStore(t, pc)
			ctx := context.Background()

			log.enter("write")
			events := traffic.Chunk(300, now.Add(-time.Minute), time.Minute)
			var ids []string
			for _, e := range events {
				if e.Type.IsOrder() {
					ids = append(ids, e.OrderID)
				}
			}
			if _, err := db.Identities(ctx, rebate.EntityOrder, ids); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Identities(ctx, rebate.EntityMember, []string{"1", "2"}); err != nil {
				t.Fatal(err)
			}
			share, err := rebate.ParseRate("0.5")
			if err != nil {
				t.Fatal(err)
			}
			if err := db.InsertRules(ctx, []rebate.Rule{{MerchantID: 424242, EffectiveFrom: now.Add(time.Hour), Share: share}}); err != nil {
				t.Fatal(err)
			}
			if err := db.InsertEvents(ctx, events, nil, "priority-"+c.priority); err != nil {
				t.Fatal(err)
			}
			var ch rebate.Changes
			ch.AddAll(events)
			if err := db.Materialize(ctx, ch); err != nil {
				t.Fatal(err)
			}

			log.enter("read")
			if _, err := st.Balance(ctx, events[0].UserID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.Orders(ctx, events[0].UserID, rebate.FirstPage, 20); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Minutely(ctx, now, 60); err != nil {
				t.Fatal(err)
			}
			if _, err := st.MerchantStats(ctx, events[0].MerchantID, rebate.WindowDay, now); err != nil {
				t.Fatal(err)
			}

			log.mu.Lock()
			defer log.mu.Unlock()
			// The two lookups, the rule, the insert, pricing, three kinds of
			// bucket, and the signals at least.
			if n := len(log.seen["write"]); n < 10 {
				t.Fatalf("%d write statements seen, want at least 10: %q", n, log.seen["write"])
			}
			if len(log.queued) > 0 {
				t.Errorf("inserts that may be queued by the server: %q", log.queued)
			}
			for _, s := range log.seen["write"] {
				if nice, _, _ := strings.Cut(s, " "); nice != c.writeNice {
					t.Errorf("write at priority %s: %s", nice, s)
				}
			}
			if len(log.seen["read"]) < 4 {
				t.Fatalf("%d reads seen, want 4: %q", len(log.seen["read"]), log.seen["read"])
			}
			for _, s := range log.seen["read"] {
				if nice, _, _ := strings.Cut(s, " "); nice != "none" {
					t.Errorf("read at priority %s: %s", nice, s)
				}
			}
		})
	}
}
