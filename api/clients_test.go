package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
)

// stubStore answers the rules route and nothing else: these tests are about
// who a client is, not about figures.
type stubStore struct{ api.Store }

func (stubStore) Rules(context.Context) ([]rebate.Rule, error) { return nil, nil }

func newStubAPI(t *testing.T, cfg api.Config) http.Handler {
	t.Helper()
	srv, err := api.New(cfg, stubStore{}, &fakeProducer{}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return srv.Handler()
}

// get sends GET /v1/rules from the TCP peer addr with the given headers.
func get(h http.Handler, addr string, header map[string]string) int {
	req := httptest.NewRequest(http.MethodGet, "/v1/rules", nil)
	req.RemoteAddr = addr
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// TestForwardedHeadersDoNotResetTheLimit: an open API limits each client
// address; a client that names a new address in X-Forwarded-For or
// X-Real-IP with every request still draws on its own budget (it once got
// a fresh one each time: 300 requests, 300 addresses, all passed).
func TestForwardedHeadersDoNotResetTheLimit(t *testing.T) {
	h := newStubAPI(t, api.Config{RatePerKey: 1, Burst: 100})
	start := time.Now()
	passed := 0
	for i := range 300 {
		fake := fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256)
		switch code := get(h, "192.0.2.1:40000", map[string]string{"X-Forwarded-For": fake, "X-Real-IP": fake}); code {
		case http.StatusOK:
			passed++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("request %d: status %d", i, code)
		}
	}
	// The burst, plus what the rate refilled meanwhile.
	if most := 100 + int(time.Since(start).Seconds()) + 1; passed > most {
		t.Errorf("%d of 300 requests with made-up forwarded addresses passed; the budget allows %d", passed, most)
	}
	if get(h, "192.0.2.2:40000", nil) != http.StatusOK {
		t.Error("another client address was limited too")
	}
}

// TestTrustedProxies: behind a configured proxy the client is the
// right-most forwarded address that is not a proxy; a client cannot prepend
// one of its choice, and a peer that is not a proxy is its own client.
func TestTrustedProxies(t *testing.T) {
	h := newStubAPI(t, api.Config{RatePerKey: 1, Burst: 3, TrustedProxies: []string{"10.0.0.0/8", "192.168.7.7"}})
	proxy := "10.1.2.3:50000"
	via := func(xff string) map[string]string { return map[string]string{"X-Forwarded-For": xff} }
	for i := range 3 {
		if code := get(h, proxy, via(fmt.Sprintf("198.51.100.%d, 203.0.113.7", i))); code != http.StatusOK {
			t.Fatalf("request %d of the burst through the proxy: %d", i, code)
		}
	}
	if code := get(h, proxy, via("203.0.113.7")); code != http.StatusTooManyRequests {
		t.Errorf("client 203.0.113.7 past its burst (prepending addresses does not help): %d, want 429", code)
	}
	if code := get(h, "192.168.7.7:1", via("203.0.113.8, 10.9.9.9")); code != http.StatusOK {
		t.Errorf("another client through two proxies: %d, want 200", code)
	}
	direct := "198.51.100.9:1234" // not a proxy: its X-Forwarded-For is ignored
	for i := range 3 {
		get(h, direct, via(fmt.Sprintf("203.0.113.%d", 100+i)))
	}
	if code := get(h, direct, via("203.0.113.200")); code != http.StatusTooManyRequests {
		t.Errorf("a peer that is not a proxy chose its own address: %d, want 429", code)
	}
	if _, err := api.New(api.Config{TrustedProxies: []string{"10.0.0.0/33"}}, stubStore{}, nil, nil, nil, nil); err == nil {
		t.Error("a bad CIDR was accepted")
	}
}

// TestFailedAuthenticationIsThrottled: wrong keys from one address are
// answered 401 up to a burst, then 429 before any key is compared, even
// for the right key; other addresses are not affected, and forwarded
// headers do not buy a new budget.
func TestFailedAuthenticationIsThrottled(t *testing.T) {
	keys, err := api.ParseKeys("ops:admin:admin-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	h := newStubAPI(t, api.Config{Keys: keys, RatePerKey: 1000, Burst: 1000})
	key := func(k string) map[string]string { return map[string]string{"X-API-Key": k} }
	attacker, other := "192.0.2.66:1000", "192.0.2.67:1000"
	failures := 0
	for code := 0; code != http.StatusTooManyRequests; failures++ {
		if failures > 30 {
			t.Fatalf("30 wrong keys from one address, none throttled (last status %d)", code)
		}
		code = get(h, attacker, key(fmt.Sprintf("guess-%016d", failures)))
		if code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
			t.Fatalf("wrong key %d: status %d", failures, code)
		}
	}
	if failures < 5 {
		t.Errorf("throttled after %d failures: a mistyped key deserves a few tries", failures)
	}
	for _, tc := range []struct {
		addr   string
		header map[string]string
		want   int
	}{
		{attacker, key("admin-secret-0123456789"), http.StatusTooManyRequests},
		{attacker, map[string]string{"X-API-Key": "guess-x", "X-Forwarded-For": "203.0.113.1"}, http.StatusTooManyRequests},
		{other, key("admin-secret-0123456789"), http.StatusOK},
		{other, key("wrong-but-first-0123"), http.StatusUnauthorized},
		{attacker, nil, http.StatusUnauthorized}, // no key: nothing to compare, nothing to throttle
	} {
		if code := get(h, tc.addr, tc.header); code != tc.want {
			t.Errorf("from %s with %v: %d, want %d", tc.addr, tc.header, code, tc.want)
		}
	}
}

// TestIPv6ClientIsItsPrefix: one IPv6 client holds a whole /64, so every
// address in it shares one budget.
func TestIPv6ClientIsItsPrefix(t *testing.T) {
	h := newStubAPI(t, api.Config{RatePerKey: 1, Burst: 2})
	for i := range 2 {
		if code := get(h, fmt.Sprintf("[2001:db8:1:2::%x]:1", i+1), nil); code != http.StatusOK {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	if code := get(h, "[2001:db8:1:2:ffff::9]:1", nil); code != http.StatusTooManyRequests {
		t.Errorf("a third address of the same /64: %d, want 429", code)
	}
	if code := get(h, "[2001:db8:1:3::1]:1", nil); code != http.StatusOK {
		t.Errorf("another /64: %d, want 200", code)
	}
}
