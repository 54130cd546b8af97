package api_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/internal/apiclient"
)

// TestBalanceStreamPushesNewOrders: the stream's first event is the balance
// GET /balance answers, and an order inserted while it is open brings
// another event with the new balance and its as_of, without a reconnect.
func TestBalanceStreamPushesNewOrders(t *testing.T) {
	e := newEnv(t, api.Config{StreamPoll: 20 * time.Millisecond}, nil)
	e.insert(t, goldenData(e.now)...)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	before, err := e.client.Balance(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.client.StreamBalance(ctx, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.AsOf != "2026-11-01T11:56:00.000Z" {
		t.Errorf("X-Data-As-Of %q", st.AsOf)
	}
	first, err := st.NextBalance()
	if err != nil || first != before {
		t.Fatalf("first event %+v, %v; GET /balance: %+v", first, err, before)
	}
	placed := e.now.Add(-time.Minute)
	e.insert(t, rebate.Event{ID: "n1", Type: rebate.OrderPaid, TS: placed, OrderID: "o9", UserID: 1, MerchantID: 7, ProductID: 9,
		Amount: 50000, Commission: 5000, PlacedAt: placed})
	after, err := e.client.Balance(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if after.Pending == before.Pending || !after.AsOf.Equal(placed) {
		t.Fatalf("the new order changed nothing: %+v", after)
	}
	// A poll may land between the insert and its materialization: events
	// come until one is the settled balance (or the context's deadline).
	for {
		b, err := st.NextBalance()
		if err != nil {
			t.Fatalf("no event with %+v: %v", after, err)
		}
		if b == after {
			break
		}
	}
	if got := gauge(t, e.reg, "rebate_api_balance_streams_open"); got != 1 {
		t.Errorf("open streams %v, want 1", got)
	}
}

// fakeStore answers balances from memory and counts the reads.
type fakeStore struct {
	api.Store // nil: streams read balances only
	mu        sync.Mutex
	balances  map[uint64]rebate.Balance
	reads     map[uint64]int
	err       error
}

func (f *fakeStore) Balance(_ context.Context, user uint64) (rebate.Balance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads[user]++
	b := f.balances[user]
	b.UserID = user
	return b, f.err
}

func (f *fakeStore) set(user uint64, pending rebate.Money) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.balances[user] = rebate.Balance{Pending: pending, AsOf: time.Date(2026, 1, 1, 0, 0, 0, int(pending)*1e6, time.UTC)}
}

func (f *fakeStore) readsOf(user uint64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads[user]
}

type fakeEnv struct {
	store  *fakeStore
	srv    *api.Server
	http   *httptest.Server
	reg    *prometheus.Registry
	client *apiclient.Client
}

func newFakeEnv(t *testing.T, cfg api.Config) *fakeEnv {
	t.Helper()
	f := &fakeEnv{store: &fakeStore{balances: map[uint64]rebate.Balance{}, reads: map[uint64]int{}}, reg: prometheus.NewRegistry()}
	srv, err := api.New(cfg, f.store, nil, nil, f.reg, f.reg)
	if err != nil {
		t.Fatal(err)
	}
	f.srv, f.http = srv, httptest.NewServer(srv.Handler())
	t.Cleanup(f.http.Close)
	t.Cleanup(srv.Close)
	f.client = &apiclient.Client{BaseURL: f.http.URL}
	return f
}

func (f *fakeEnv) open(t *testing.T, ctx context.Context, c *apiclient.Client, user uint64) *apiclient.BalanceStream {
	t.Helper()
	st, err := c.StreamBalance(ctx, user, nil)
	if err != nil {
		t.Fatalf("open a stream of user %d: %v", user, err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.NextBalance(); err != nil {
		t.Fatalf("first event of user %d: %v", user, err)
	}
	return st
}

// TestBalanceStreamsShareOnePollerPerUser: three streams of one user cost
// one read per tick, not three; every stream gets each change; the poller
// stops when its last stream goes.
func TestBalanceStreamsShareOnePollerPerUser(t *testing.T) {
	f := newFakeEnv(t, api.Config{StreamPoll: time.Minute}) // a minute: the test sees the first read only
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var sevens []*apiclient.BalanceStream
	for range 3 {
		sevens = append(sevens, f.open(t, ctx, f.client, 7))
	}
	eight := f.open(t, ctx, f.client, 8)
	if n := f.store.readsOf(7); n != 1 {
		t.Errorf("user 7's balance read %d times for 3 streams, want once", n)
	}
	if w := gauge(t, f.reg, "rebate_api_balance_streams_watched_users"); w != 2 {
		t.Errorf("watched users %v, want 2", w)
	}
	if o := gauge(t, f.reg, "rebate_api_balance_streams_open"); o != 4 {
		t.Errorf("open streams %v, want 4", o)
	}
	for _, s := range sevens {
		s.Close()
	}
	waitFor(t, "user 7's poller stops when its streams close", func() bool {
		return gauge(t, f.reg, "rebate_api_balance_streams_watched_users") == 1
	})
	eight.Close()
	waitFor(t, "no poller is left", func() bool { return gauge(t, f.reg, "rebate_api_balance_streams_watched_users") == 0 })
}

// TestBalanceStreamSendsEachChangeToEveryStream: a change reaches every
// stream of the user; an unchanged balance sends nothing but heartbeats.
func TestBalanceStreamSendsEachChangeToEveryStream(t *testing.T) {
	f := newFakeEnv(t, api.Config{StreamPoll: 10 * time.Millisecond, StreamHeartbeat: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	f.store.set(7, 100)
	a, b := f.open(t, ctx, f.client, 7), f.open(t, ctx, f.client, 7)
	// Polls of an unchanged balance: heartbeats only.
	for range 3 {
		ev, err := a.Next()
		if err != nil || ev.Name != "" || ev.Comment != "keep-alive" {
			t.Fatalf("an unchanged balance sent %+v, %v; want heartbeats only", ev, err)
		}
	}
	f.store.set(7, 250)
	for _, s := range []*apiclient.BalanceStream{a, b} {
		got, err := s.NextBalance()
		if err != nil || got.Pending != 250 || !got.AsOf.Equal(time.Date(2026, 1, 1, 0, 0, 0, 250e6, time.UTC)) {
			t.Errorf("after a change: %+v, %v", got, err)
		}
	}
}

// TestBalanceStreamsPerKey: a key holds at most StreamsPerKey streams, the
// next gets 429; other keys are not affected; a client that hangs up frees
// its slot.
func TestBalanceStreamsPerKey(t *testing.T) {
	keys, err := api.ParseKeys("phone:app:phone-secret-0123456789,web:app:web-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeEnv(t, api.Config{Keys: keys, StreamsPerKey: 2, StreamPoll: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	phone := &apiclient.Client{BaseURL: f.http.URL, Key: "phone-secret-0123456789"}
	web := &apiclient.Client{BaseURL: f.http.URL, Key: "web-secret-0123456789"}
	first := f.open(t, ctx, phone, 1)
	f.open(t, ctx, phone, 2)
	_, err = phone.StreamBalance(ctx, 3, nil)
	var ae *apiclient.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || ae.Code != rebate.ERATELIMITED {
		t.Fatalf("a third stream of the key: %v, want 429 rate_limited", err)
	}
	f.open(t, ctx, web, 3) // another key has its own slots
	first.Close()
	waitFor(t, "the hung-up stream's slot is free again", func() bool {
		st, err := phone.StreamBalance(ctx, 3, nil)
		if err != nil {
			if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests {
				t.Fatalf("while waiting for a slot: %v", err)
			}
			return false
		}
		st.Close()
		return true
	})
}

// TestBalanceStreamAuthAndBrowsers: keys and roles as for the balance; a
// page of another site may not open a stream, an allowed origin may.
func TestBalanceStreamAuthAndBrowsers(t *testing.T) {
	keys, err := api.ParseKeys("phone:app:phone-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeEnv(t, api.Config{Keys: keys, CORSOrigins: []string{"https://wallet.example"}, StreamPoll: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	phone := &apiclient.Client{BaseURL: f.http.URL, Key: "phone-secret-0123456789"}
	for _, tc := range []struct {
		client *apiclient.Client
		header http.Header
		status int
	}{
		{f.client, nil, http.StatusUnauthorized},
		{&apiclient.Client{BaseURL: f.http.URL, Key: "wrong-secret-0123456789"}, nil, http.StatusUnauthorized},
		{phone, http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{phone, http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{phone, http.Header{"Origin": {"https://wallet.example"}}, http.StatusOK},
		{phone, http.Header{"Sec-Fetch-Site": {"same-origin"}}, http.StatusOK},
	} {
		st, err := tc.client.StreamBalance(ctx, 1, tc.header)
		status := http.StatusOK
		var ae *apiclient.Error
		switch {
		case errors.As(err, &ae):
			status = ae.Status
		case err != nil:
			t.Fatal(err)
		default:
			st.Close()
		}
		if status != tc.status {
			t.Errorf("key %q, headers %v: %d, want %d", tc.client.Key, tc.header, status, tc.status)
		}
	}
}

// TestBalanceStreamStoreDown: when the first read fails the answer is the
// error's status, as GET /balance's would be, not a silent stream.
func TestBalanceStreamStoreDown(t *testing.T) {
	f := newFakeEnv(t, api.Config{StreamPoll: time.Minute})
	f.store.err = rebate.Errorf(rebate.EUNAVAIL, "", "ClickHouse is down")
	_, err := f.client.StreamBalance(t.Context(), 1, nil)
	var ae *apiclient.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable {
		t.Fatalf("store down: %v, want 503", err)
	}
	waitFor(t, "the failed stream's poller stops", func() bool { return gauge(t, f.reg, "rebate_api_balance_streams_watched_users") == 0 })
}

// TestBalanceStreamEndsOnShutdown: http.Server.Shutdown returns at once
// with streams open (the API ends them, each with an end event), rather
// than waiting for them until its deadline; a new stream is refused.
func TestBalanceStreamEndsOnShutdown(t *testing.T) {
	store := &fakeStore{balances: map[uint64]rebate.Balance{}, reads: map[uint64]int{}}
	srv, err := api.New(api.Config{StreamPoll: time.Minute}, store, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler()}
	hs.RegisterOnShutdown(srv.Close) // as rebate api does
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	c := &apiclient.Client{BaseURL: "http://" + ln.Addr().String()}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	st, err := c.StreamBalance(ctx, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.NextBalance(); err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if err := hs.Shutdown(sctx); err != nil {
		t.Fatalf("shutdown with a stream open: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("serve: %v", err)
	}
	ev, err := st.Next()
	if err != nil || ev.Name != "end" {
		t.Errorf("last event %+v, %v; want end", ev, err)
	}
	if _, err := st.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the end event: %v, want EOF", err)
	}
}

// gauge reads a gauge of reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// waitFor polls ok until it holds, failing after 90 s.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	// A deadline, not a speed: under the race detector, with every package's
	// tests sharing two cores, the failover test's ingester once took over
	// 30 s to commit its stream.
	deadline := time.After(90 * time.Second)
	for !ok() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("not within 90 s: %s", what)
		}
	}
}
