package chlocal_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/embedded/chlocal"
	"github.com/rebatehq/rebate/internal/chlocaltest"
)

// TestConnectionWaitsObserved: every statement's wait for an engine
// connection is observed, under its pool (the readonly users' own) and what
// it was for: the endpoint wires the metric to both pools.
func TestConnectionWaitsObserved(t *testing.T) {
	users, err := chlocal.ParseUsers("admin:admin:" + adminPassword + ",grafana:readonly:" + readonlyPassword)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	ep := chlocaltest.Serve(t, chlocal.Config{Users: users, Registerer: reg})
	for _, c := range []struct{ user, password, sql string }{
		{"admin", adminPassword, "SELECT 'a text the fence has not seen'"},
		{"grafana", readonlyPassword, "SELECT 'another text the fence has not seen'"},
		{"admin", adminPassword, "CREATE TEMPORARY TABLE IF NOT EXISTS never (x UInt8)"}, // refused before it takes a connection
	} {
		post(t, ep.URL(), q("user", c.user, "password", c.password), c.sql)
	}
	got := map[string]uint64{}
	for k, w := range chlocaltest.ConnectionWaits(t, reg) {
		got[k.Pool+" "+k.Kind] = w.Taken
	}
	// Each new text is parsed by the fence first (check), then run.
	for _, want := range []string{"default check", "default select", "readonly check", "readonly select"} {
		if got[want] == 0 {
			t.Errorf("no wait observed for %q; observed %v", want, got)
		}
	}
	if got["default other"] != 0 {
		t.Errorf("a statement refused before it ran took a connection: %v", got)
	}
}
