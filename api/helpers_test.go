package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/apiclient"
	"github.com/rebatehq/rebate/internal/clickhousetest"
)

// env is an API over a fresh migrated database, its clock pinned to now.
type env struct {
	chcfg  clickhouse.Config
	db     *clickhouse.DB
	st     *clickhouse.Store
	srv    *api.Server
	http   *httptest.Server
	now    time.Time
	reg    *prometheus.Registry
	client *apiclient.Client
}

type fakeProducer struct {
	events []rebate.Event
	err    error
}

func (f *fakeProducer) Produce(_ context.Context, ev []rebate.Event) error {
	if f.err != nil {
		return f.err
	}
	f.events = append(f.events, ev...)
	return nil
}

func (f *fakeProducer) Ping(context.Context) error { return f.err }

func newEnv(t *testing.T, cfg api.Config, producer api.Producer) *env {
	t.Helper()
	return newEnvOn(t, clickhousetest.Migrated(t), cfg, producer)
}

// newEnvOn is an API over the database chcfg names: a second one over the
// same database is another replica.
func newEnvOn(t *testing.T, chcfg clickhouse.Config, cfg api.Config, producer api.Producer) *env {
	t.Helper()
	db, st := clickhousetest.OpenStore(t, chcfg)
	e := &env{chcfg: chcfg, db: db, st: st, now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), reg: prometheus.NewRegistry()}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return e.now }
	}
	if producer == nil {
		producer = &fakeProducer{}
	}
	srv, err := api.New(cfg, st, producer, nil, e.reg, e.reg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.http = httptest.NewServer(srv.Handler())
	t.Cleanup(e.http.Close)
	t.Cleanup(srv.Close) // first: the test server's Close waits for open streams
	e.client = &apiclient.Client{BaseURL: e.http.URL}
	return e
}

func (e *env) insert(t *testing.T, events ...rebate.Event) {
	t.Helper()
	clickhousetest.Insert(t, e.db, events)
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("not a JSON object: %s", a.body)
	}
	return v
}

// errorOf returns the error object's code and field.
func (a answer) errorOf(t *testing.T) (code, field string) {
	t.Helper()
	e, ok := a.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("status %d without an error object: %s", a.status, a.body)
	}
	code, _ = e["code"].(string)
	field, _ = e["field"].(string)
	return code, field
}

func (e *env) do(t *testing.T, method, path, body string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func (e *env) get(t *testing.T, path string) answer { return e.do(t, http.MethodGet, path, "", nil) }
