package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/rebatehq/rebate/internal/procstat"
)

// BenchmarkAPILoad loads REBATE_BENCH_EVENTS events (default 10,000,000),
// serves the API on loopback, and sends balance and leaderboard requests:
// open loop at REBATE_BENCH_RATE requests/s (default 100) for 30 s (latency
// from each request's planned send time, so queueing is not hidden), then
// closed loop with 8 clients for 10 s for the most it answers. A failed
// request fails the benchmark, with what the server logged first.
//
//	go test -run '^$' -bench APILoad -benchtime 1x -timeout 60m -v ./api/
func BenchmarkAPILoad(b *testing.B) {
	total := 10_000_000
	if s := os.Getenv("REBATE_BENCH_EVENTS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 100_000 {
			total = n
		}
	}
	rate := 100 // below what the closed loop answers at 10 M events here (127-144 requests/s), so the queue stays bounded
	if s := os.Getenv("REBATE_BENCH_RATE"); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("REBATE_BENCH_RATE=%q: want requests per second, a positive integer", s)
		} else {
			rate = n
		}
	}
	db, st := clickhousetest.OpenStore(b, clickhousetest.Migrated(b))
	b.Log(clickhousetest.LoadTraffic(b, db, st, total, time.Now().UTC()))
	// The server's errors, so that a failed request says why (the first few).
	var logged errorLog
	srv, err := api.New(api.Config{RatePerKey: 1e6, Burst: 1e6}, st, nil, // the load is not limited
		slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelError})), nil, nil)
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
		// Open loop: rate requests/s, each at its planned time.
		const d = 30 * time.Second
		var wg sync.WaitGroup
		lat := map[bool][]time.Duration{}
		var lmu sync.Mutex
		var failed failures
		start, cpu := time.Now(), procstat.Self() // the engine, the API and the load, all in this process
		for i := 0; i < rate*int(d/time.Second); i++ {
			planned := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
			time.Sleep(time.Until(planned))
			wg.Add(1)
			go func(i int, planned time.Time) {
				defer wg.Done()
				failed.add(call(next(i)))
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
		b.ReportMetric(perRequest(procstat.Self()-cpu, len(all)), "open-cpu-ms/req")
		b.ReportMetric(q(all, 0.5), "p50-ms")
		b.ReportMetric(q(all, 0.99), "p99-ms")
		b.Logf("open loop at %d req/s, %d req in %s: p50 %.1f ms p99 %.1f ms; balance p50 %.1f p99 %.1f; leaderboard p50 %.1f p99 %.1f",
			rate, len(all), took.Round(time.Millisecond), q(all, .5), q(all, .99), q(lat[false], .5), q(lat[false], .99), q(lat[true], .5), q(lat[true], .99))
		failed.report(b, "open loop", &logged)
		// Closed loop: 8 clients as fast as answers come.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var n sync.WaitGroup
		var count int64
		var cmu sync.Mutex
		var closedFailed failures
		cpu = procstat.Self()
		for w := range 8 {
			n.Add(1)
			go func() {
				defer n.Done()
				for i := w; ctx.Err() == nil; i += 8 {
					if err := call(next(i)); err == nil {
						cmu.Lock()
						count++
						cmu.Unlock()
					} else if ctx.Err() == nil { // not a request cut by the loop's end
						closedFailed.add(err)
					}
				}
			}()
		}
		n.Wait()
		cancel()
		closedCPU := perRequest(procstat.Self()-cpu, int(count))
		closedFailed.report(b, "closed loop", &logged)
		b.ReportMetric(float64(count)/10, "max-req/s")
		b.ReportMetric(closedCPU, "closed-cpu-ms/req")
		b.Logf("closed loop, 8 clients: %.0f req/s, %.2f CPU-ms a request", float64(count)/10, closedCPU)
	}
}

// perRequest is cpu per request in milliseconds: the whole process's, the
// load generator's share included.
func perRequest(cpu time.Duration, n int) float64 {
	return float64(procstat.PerOp(cpu, n).Microseconds()) / 1000
}

// failures counts a loop's failed requests and keeps the first.
type failures struct {
	mu    sync.Mutex
	n     int
	first error
}

func (f *failures) add(err error) {
	if err == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n++; f.first == nil {
		f.first = err
	}
}

// report fails the benchmark when requests failed, with the first and what
// the server logged first.
func (f *failures) report(b *testing.B, loop string, logged *errorLog) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n > 0 {
		b.Errorf("%s: %d requests failed, the first: %v; the server logged first: %q", loop, f.n, f.first, logged.first())
	}
}

// errorLog keeps the first lines the server logs, for the benchmark's log.
type errorLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *errorLog) first() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

func (l *errorLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) < 5 {
		l.lines = append(l.lines, string(p))
	}
	return len(p), nil
}
