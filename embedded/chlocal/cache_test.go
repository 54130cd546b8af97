package chlocal_test

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/embedded/chlocal"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/settings"
)

// TestUncompressedCacheSetting: the block cache's size as its flag and
// variable take it: off by default, 0 off (as a server's
// uncompressed_cache_size says it), and a size too small to be of use, or
// negative, refused with the setting's names.
func TestUncompressedCacheSetting(t *testing.T) {
	parse := func(args []string, env map[string]string) (chlocal.Config, error) {
		var c chlocal.Config
		f := settings.New("chlocal", io.Discard)
		c.RegisterFlags(f)
		return c, f.Parse(args, func(k string) string { return env[k] })
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want int64
	}{
		{nil, nil, chlocal.CacheOff},
		{[]string{"--uncompressed-cache-bytes", "0"}, nil, chlocal.CacheOff},
		{nil, map[string]string{"REBATE_CHLOCAL_UNCOMPRESSED_CACHE_BYTES": "0"}, chlocal.CacheOff},
		{[]string{"--uncompressed-cache-bytes", "1073741824"}, nil, 1 << 30},
	} {
		c, err := parse(tc.args, tc.env)
		if err != nil || c.UncompressedCacheBytes != tc.want {
			t.Errorf("%v %v: %d, %v; want %d", tc.args, tc.env, c.UncompressedCacheBytes, err, tc.want)
		}
	}
	for _, bad := range []string{"1000", "-5", "-1", "1k", "2199023255552"} {
		_, err := parse([]string{"--uncompressed-cache-bytes", bad}, nil)
		if err == nil || !strings.Contains(err.Error(), "uncompressed-cache-bytes") {
			t.Errorf("--uncompressed-cache-bytes %s: %v; want an error naming the flag", bad, err)
		}
	}
}

// TestEngineCacheSize: the engine's uncompressed_cache_size is the
// endpoint's setting (the tests' engine's: chlocaltest.TestCacheBytes).
func TestEngineCacheSize(t *testing.T) {
	ep := chlocaltest.Start(t)
	got := mustOK(t, post(t, ep.URL(), nil, "SELECT value FROM system.server_settings WHERE name = 'uncompressed_cache_size'"))
	if want := strconv.FormatInt(ep.CacheBytes, 10); strings.TrimSpace(got) != want {
		t.Fatalf("engine's uncompressed_cache_size %q; want %s, the endpoint's --uncompressed-cache-bytes", got, want)
	}
}

// TestBlockCacheMetrics: the endpoint's metrics report the engine's block
// cache as the engine counts it: a read through the cache, twice, is a miss
// then a hit, and the cache holds the block. Scrapes cost the engine one
// statement a second at most, however many come at once.
func TestBlockCacheMetrics(t *testing.T) {
	chlocaltest.Start(t).NeedCache(t)
	reg := prometheus.NewRegistry()
	ep := chlocaltest.Serve(t, chlocal.Config{Registerer: reg})
	db := chlocaltest.Start(t).Database(t)
	mustOK(t, post(t, ep.URL(), q("database", db), "CREATE TABLE t (k UInt64, v String) ENGINE = MergeTree ORDER BY k"))
	mustOK(t, post(t, ep.URL(), q("database", db), "INSERT INTO t SELECT number, toString(number) FROM numbers(10000)"))
	read := func() map[string]float64 {
		fams, err := reg.Gather()
		if err != nil {
			t.Error(err)
		}
		out := map[string]float64{}
		for _, f := range fams {
			for _, m := range f.GetMetric() {
				out[f.GetName()] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
			}
		}
		return out
	}
	before := read()
	for range 2 {
		mustOK(t, post(t, ep.URL(), q("database", db, "use_uncompressed_cache", "1"), "SELECT sum(length(v)) FROM t WHERE k < 100"))
	}
	// The figures are read from the engine once a second at most: poll.
	grown := func(m map[string]float64) bool {
		return m["rebate_chlocal_block_cache_hits_total"] > before["rebate_chlocal_block_cache_hits_total"] &&
			m["rebate_chlocal_block_cache_misses_total"] > before["rebate_chlocal_block_cache_misses_total"] &&
			m["rebate_chlocal_block_cache_bytes"] > 0
	}
	var after map[string]float64
	for deadline := time.Now().Add(10 * time.Second); ; {
		if after = read(); grown(after) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // a poll's pace
	}
	if !grown(after) {
		t.Fatalf("block cache metrics %v → %v over two reads of the same block: want hits and misses to grow and bytes held", before, after)
	}

	taken := func() uint64 {
		return chlocaltest.ConnectionWaits(t, reg)[chlocaltest.WaitKey{Pool: "default", Kind: "metrics"}].Taken
	}
	t0, start := taken(), time.Now()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { read() })
	}
	wg.Wait()
	if n, most := taken()-t0, uint64(time.Since(start)/time.Second)+1; n > most {
		t.Errorf("20 scrapes at once took %d engine connections in %v; want %d at most (one a second)", n, time.Since(start), most)
	}
}
