package api

import (
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// Who a client is, for rate limits: its address as the TCP connection
// shows it, unless it came through a proxy the operator named. Trusting
// X-Forwarded-For or X-Real-IP from anyone would let a client pick a new
// address, and a fresh rate-limit budget, with every request.

// ipExtractor reads the client's address: the connection's peer, or, with
// trusted proxies, the right-most X-Forwarded-For entry that is not one of
// them (so a client cannot prepend a spoofed address of its choice).
func ipExtractor(proxies []string) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	// echo trusts loopback, link-local and private ranges by default: only
	// the configured ranges are proxies here.
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		n, _ := parseCIDR(p)
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// parseCIDR reads a range, or one address as a range of one.
func parseCIDR(s string) (*net.IPNet, error) {
	if !strings.Contains(s, "/") {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, errors.New("want CIDR ranges or addresses, like 10.0.0.0/8,192.168.1.7")
		}
		bits := 8 * net.IPv4len
		if ip.To4() == nil {
			bits = 8 * net.IPv6len
		}
		return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
	}
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, errors.New("want CIDR ranges or addresses, like 10.0.0.0/8,192.168.1.7")
	}
	return n, nil
}

func checkCIDRs(l []string) error {
	for _, s := range l {
		if _, err := parseCIDR(s); err != nil {
			return err
		}
	}
	return nil
}

// clientKey is the budget a client address draws on: an IPv6 client
// controls its whole /64, so that is one client.
func clientKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// Failed authentications per client address: a token bucket that only
// failures draw on. Keys are long random secrets, so guessing cannot
// succeed, but each guess costs a comparison with every key and a log
// line; a client past its budget is refused before any comparison.
const (
	failureRate  = rate.Limit(1) // failures a second, sustained
	failureBurst = 10            // failures at once
)

type failures struct {
	mu    sync.Mutex
	m     map[string]*failure
	swept time.Time
}

type failure struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleFor is when a bucket is full again and its entry can go.
const idleFor = time.Duration(failureBurst/failureRate) * time.Second

// maxClients bounds the table; past it, it starts over (an attacker with
// that many addresses gains a fresh budget per address anyway).
const maxClients = 100_000

// blocked reports whether client has no failure left to spend.
func (f *failures) blocked(client string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.m[client]
	return e != nil && e.lim.TokensAt(now) < 1
}

// record spends one of client's failures.
func (f *failures) record(client string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.Sub(f.swept) > time.Minute {
		for k, e := range f.m {
			if now.Sub(e.seen) > idleFor {
				delete(f.m, k)
			}
		}
		f.swept = now
	}
	if f.m == nil || len(f.m) >= maxClients {
		f.m = make(map[string]*failure)
	}
	e := f.m[client]
	if e == nil {
		e = &failure{lim: rate.NewLimiter(failureRate, failureBurst)}
		f.m[client] = e
	}
	e.seen = now
	e.lim.AllowN(now, 1)
}
