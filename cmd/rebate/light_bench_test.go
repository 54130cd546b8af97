package main

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/procstat"
	"github.com/rebatehq/rebate/internal/testenv"
)

// BenchmarkLightTraffic is issue 15's light-traffic figure: `rebate up`,
// the real binary (broker, engine, ingester, API, simulator in one
// process), at REBATE_BENCH_RATE events/s (2,000), measured over
// REBATE_BENCH_WINDOW (2 minutes) after REBATE_BENCH_WARMUP (1 minute).
// It reports the cores the process keeps busy and the CPU-seconds per
// million events stored (the kernel's accounting of the process,
// /proc/<pid>/stat), the insert freshness p50 and p99 (from the ingester's
// histogram, interpolated within a bucket as Prometheus does) and the
// share of batches within 500 ms (the count of the bucket at the goal), the
// ingester's seconds per batch, and where the CPU went by thread name.
// REBATE_BENCH_UP_ARGS adds flags to `rebate up` (a knob to compare).
//
//	go test -run '^$' -bench LightTraffic -benchtime 1x -count 3 -timeout 30m ./cmd/rebate/
func BenchmarkLightTraffic(b *testing.B) {
	rate := testenv.Int(b, "REBATE_BENCH_RATE", 2000)
	warmup := testenv.Duration(b, "REBATE_BENCH_WARMUP", time.Minute)
	window := testenv.Duration(b, "REBATE_BENCH_WINDOW", 2*time.Minute)
	extra := strings.Fields(os.Getenv("REBATE_BENCH_UP_ARGS"))
	lib := chlocaltest.LibPath(b)
	for range b.N {
		apiAddr := freeAddr(b)
		args := append([]string{"up", "--data", b.TempDir(), "--kafka-listen", freeAddr(b), "--listen", freeAddr(b),
			"--api-listen", apiAddr, "--simulate-rate", strconv.Itoa(rate), "--seed", "9"}, extra...)
		p := startUp(b, lib, apiAddr, args...)
		pid := p.cmd.Process.Pid
		wait(b, p, warmup)
		before := readLight(b, pid, apiAddr)
		wait(b, p, window)
		after := readLight(b, pid, apiAddr)
		p.cmd.Process.Kill() //nolint:errcheck // its data is a temporary folder

		r := after.since(before)
		b.ReportMetric(r.cores, "cores")
		b.ReportMetric(r.cpuPerM, "cpu-s/M-events")
		b.ReportMetric(r.p50*1000, "fresh-p50-ms")
		b.ReportMetric(r.p99*1000, "fresh-p99-ms")
		b.ReportMetric(100*r.within500, "fresh-within-500ms-%")
		b.Logf("%d events/s asked, %.0f stored/s over %s; %d batches of %.0f events: insert %.0f ms, figures %.0f ms each; args %q",
			rate, r.events/r.wall.Seconds(), r.wall.Round(time.Second), int(r.batches), r.events/max(r.batches, 1),
			r.insertMs, r.figuresMs, extra)
		b.Logf("CPU by thread, under its name at the end (share of the process; the program's own threads also parse and plan the engine's statements): %s", r.threads)
	}
}

// wait lets the process run for d, failing if it exits meanwhile: the
// benchmark's window, not a synchronisation.
func wait(b *testing.B, p *proc, d time.Duration) {
	b.Helper()
	select {
	case err := <-p.done:
		b.Fatalf("rebate up exited (%v); stderr:\n%s", err, p.stderr)
	case <-time.After(d):
	}
}

type lightReading struct {
	at      time.Time
	cpu     time.Duration
	threads map[int]procstat.Thread
	metrics map[string]float64 // series (name and labels) to value
}

func readLight(b *testing.B, pid int, apiAddr string) lightReading {
	b.Helper()
	r := lightReading{at: time.Now(), metrics: map[string]float64{}}
	var err error
	if r.cpu, err = procstat.CPU(pid); err != nil {
		b.Fatal(err)
	}
	if r.threads, err = procstat.Threads(pid); err != nil {
		b.Fatal(err)
	}
	for l := range strings.Lines(scrape(b, apiAddr)) {
		if i := strings.LastIndexByte(l, ' '); i > 0 && !strings.HasPrefix(l, "#") {
			if v, err := strconv.ParseFloat(strings.TrimSpace(l[i+1:]), 64); err == nil {
				r.metrics[l[:i]] = v
			}
		}
	}
	return r
}

type lightResult struct {
	wall                   time.Duration
	cores, cpuPerM, events float64
	batches, insertMs      float64
	figuresMs, p50, p99    float64
	within500              float64 // share of batches fresh within 500 ms (the goal's edge)
	threads                string
}

func (a lightReading) since(b lightReading) lightResult {
	d := func(series string) float64 { return a.metrics[series] - b.metrics[series] }
	r := lightResult{wall: a.at.Sub(b.at), events: d("rebate_ingest_events_inserted_total"),
		batches: d("rebate_ingest_insert_seconds_count")}
	cpu := (a.cpu - b.cpu).Seconds()
	r.cores = cpu / r.wall.Seconds()
	r.cpuPerM = cpu / max(r.events, 1) * 1e6
	r.insertMs = d("rebate_ingest_insert_seconds_sum") / max(r.batches, 1) * 1000
	r.figuresMs = d("rebate_ingest_materialize_seconds_sum") / max(d("rebate_ingest_materialize_seconds_count"), 1) * 1000
	r.p50 = histogramQuantile(0.5, "rebate_ingest_freshness_seconds", d, a.metrics)
	r.p99 = histogramQuantile(0.99, "rebate_ingest_freshness_seconds", d, a.metrics)
	r.within500 = d(`rebate_ingest_freshness_seconds_bucket{le="0.5"}`) / max(d("rebate_ingest_freshness_seconds_count"), 1)

	used := procstat.Delta(b.threads, a.threads)
	names := make([]string, 0, len(used))
	for n := range used {
		names = append(names, n)
	}
	slices.SortFunc(names, func(x, y string) int { return cmp.Compare(used[y], used[x]) })
	var parts []string
	var live float64
	for _, n := range names {
		live += used[n].Seconds()
		if share := used[n].Seconds() / cpu; share >= 0.01 {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", n, 100*share))
		}
	}
	// The process's CPU less its live threads': threads that ended.
	parts = append(parts, fmt.Sprintf("threads that ended %.0f%%", 100*max(cpu-live, 0)/cpu))
	r.threads = strings.Join(parts, ", ")
	return r
}

// histogramQuantile is q of the histogram name's observations between two
// readings (d gives a series' increase), interpolated linearly within the
// bucket it falls in, as Prometheus's histogram_quantile.
func histogramQuantile(q float64, name string, d func(string) float64, series map[string]float64) float64 {
	type bucket struct{ le, n float64 }
	var bs []bucket
	for s := range series {
		rest, ok := strings.CutPrefix(s, name+`_bucket{le="`)
		if !ok {
			continue
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64)
		if err != nil {
			continue
		}
		bs = append(bs, bucket{le, d(s)})
	}
	slices.SortFunc(bs, func(x, y bucket) int { return cmp.Compare(x.le, y.le) })
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return math.NaN()
	}
	rank := q * bs[len(bs)-1].n
	lo, below := 0.0, 0.0
	for _, bk := range bs {
		if bk.n >= rank {
			if math.IsInf(bk.le, 1) {
				return lo
			}
			return lo + (bk.le-lo)*(rank-below)/max(bk.n-below, 1)
		}
		lo, below = bk.le, bk.n
	}
	return lo
}
