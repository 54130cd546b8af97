package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/faultproxy"
)

// TestClickHouseGoneIsUnavailable: with ClickHouse down, data reads answer
// 503 unavailable with Retry-After (they once answered 500 internal), and
// with ClickHouse hung /readyz still answers, 503, within its own deadline.
func TestClickHouseGoneIsUnavailable(t *testing.T) {
	cfg := clickhousetest.Migrated(t)
	px := faultproxy.New(t, cfg.Addr)
	cfg.Addr = px.Addr()
	db, err := clickhouse.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := clickhouse.NewStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{RequestTimeout: 4 * time.Second}, st, &fakeProducer{}, nil, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	get := func(path string) (*http.Response, time.Duration) {
		t.Helper()
		start := time.Now()
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp, time.Since(start)
	}

	if resp, _ := get("/v1/users/1/balance"); resp.StatusCode != http.StatusOK {
		t.Fatalf("balance with ClickHouse up: %s", resp.Status)
	}
	px.SetDown(true)
	for _, path := range []string{"/v1/users/1/balance", "/v1/leaderboard", "/v1/merchants/1/stats", "/v1/queries/get_balance?user_id=1",
		"/v1/queries", "/v1/schema"} {
		resp, _ := get(path)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s with ClickHouse down: %s, Retry-After %q; want 503 with Retry-After", path, resp.Status, resp.Header.Get("Retry-After"))
		}
	}
	if resp, _ := get("/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with ClickHouse down: %s", resp.Status)
	}
	if resp, err := http.Post(hs.URL+"/v1/sql", "text/plain", strings.NewReader("SELECT 1")); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("ad-hoc SQL with ClickHouse down: %v %v; want 503", resp, err)
	} else {
		resp.Body.Close()
	}
	// The contract does not need ClickHouse; only the named queries' own paths do.
	if resp, _ := get("/openapi.json"); resp.StatusCode != http.StatusOK {
		t.Errorf("/openapi.json with ClickHouse down: %s", resp.Status)
	}

	px.SetDown(false)
	px.SetFrozen(true)
	resp, took := get("/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable || took > 3*time.Second {
		t.Errorf("/readyz with ClickHouse hung: %s after %s; want 503 within its own deadline", resp.Status, took)
	}
	px.SetFrozen(false)
}
