package api_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
)

// BenchmarkAPILoad loads REBATE_BENCH_EVENTS events (default 10,000,000),
// serves the API on loopback, and sends balance and leaderboard requests:
// open loop at 200 requests/s for 30 s (latency from each request's planned
// send time, so queueing is not hidden), then closed loop with 8 clients for
// 10 s for the most it answers.
//
//	go test -run '^$' -bench APILoad -benchtime 1x -timeout 60m -v ./api/
func BenchmarkAPILoad(b *testing.B) {
	total := 10_000_000
	if s := os.Getenv("REBATE_BENCH_EVENTS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 100_000 {
			total = n
		}
	}
	db, st := clickhousetest.OpenStore(b, clickhousetest.Migrated(b))
	b.Log(clickhousetest.LoadTraffic(b, db, st, total, time.Now().UTC()))
	srv, err := api.New(api.Config{RatePerKey: 1e9, Burst: 1e9}, st, nil, nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler()}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	users := eventgen.NewTraffic(9, clickhousetest.BenchUsers, clickhousetest.BenchMerchants, clickhousetest.BenchProducts)
	var mu sync.Mutex
	next := func(i int) string {
		if i%2 == 0 {
			return "/v1/leaderboard?window=24h&limit=10"
		}
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprintf("/v1/users/%d/balance", users.User())
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	call := func(path string) error {
		resp, err := client.Get(base + path)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s: %d", path, resp.StatusCode)
		}
		return nil
	}
	for b.Loop() {
		// Open loop: 200 requests/s, each at its planned time.
		const rate, d = 200, 30 * time.Second
		var wg sync.WaitGroup
		lat := map[bool][]time.Duration{}
		var lmu sync.Mutex
		start := time.Now()
		for i := 0; i < rate*int(d/time.Second); i++ {
			planned := start.Add(time.Duration(i) * time.Second / rate)
			time.Sleep(time.Until(planned))
			wg.Add(1)
			go func(i int, planned time.Time) {
				defer wg.Done()
				if err := call(next(i)); err != nil {
					b.Error(err)
				}
				lmu.Lock()
				lat[i%2 == 0] = append(lat[i%2 == 0], time.Since(planned))
				lmu.Unlock()
			}(i, planned)
		}
		wg.Wait()
		took := time.Since(start)
		all := append(slices.Clone(lat[true]), lat[false]...)
		q := func(xs []time.Duration, f float64) float64 {
			slices.Sort(xs)
			return float64(xs[int(f*float64(len(xs)-1))].Microseconds()) / 1000
		}
		b.ReportMetric(float64(len(all))/took.Seconds(), "open-req/s")
		b.ReportMetric(q(all, 0.5), "p50-ms")
		b.ReportMetric(q(all, 0.99), "p99-ms")
		b.Logf("open loop %d req in %s: p50 %.1f ms p99 %.1f ms; balance p50 %.1f p99 %.1f; leaderboard p50 %.1f p99 %.1f",
			len(all), took.Round(time.Millisecond), q(all, .5), q(all, .99), q(lat[false], .5), q(lat[false], .99), q(lat[true], .5), q(lat[true], .99))
		// Closed loop: 8 clients as fast as answers come.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var n sync.WaitGroup
		var count int64
		var cmu sync.Mutex
		for w := range 8 {
			n.Add(1)
			go func() {
				defer n.Done()
				for i := w; ctx.Err() == nil; i += 8 {
					if err := call(next(i)); err == nil {
						cmu.Lock()
						count++
						cmu.Unlock()
					}
				}
			}()
		}
		n.Wait()
		cancel()
		b.ReportMetric(float64(count)/10, "max-req/s")
		b.Logf("closed loop, 8 clients: %.0f req/s", float64(count)/10)
	}
}
