package chlocal

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// CacheOff, as Config.UncompressedCacheBytes, turns the engine's cache of
// decompressed blocks off: the default (0 selects the default, as every
// field's zero; the flag and its variable say off with 0).
const CacheOff = -1

// The cache's bounds: below 16 MiB it would hold a few dozen blocks at most
// (a compressed block decompresses to 64 KiB to 1 MiB), so it would cost a
// copy per block and serve almost none again.
const (
	minCacheBytes = 16 << 20
	maxCacheBytes = 1 << 40
)

// ParseCacheBytes reads a size in bytes as the flag and its variable take
// it: "0" is CacheOff, as a server's uncompressed_cache_size says off.
func ParseCacheBytes(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a size in bytes, like %d for 512 MiB (0: off)", 512<<20)
	}
	if n == 0 {
		return CacheOff, nil
	}
	return n, nil
}

func formatCacheBytes(n int64) string {
	if n == CacheOff {
		return "0"
	}
	return strconv.FormatInt(n, 10)
}

func checkCacheBytes(n int64) error {
	if n == CacheOff || (n >= minCacheBytes && n <= maxCacheBytes) {
		return nil
	}
	return fmt.Errorf("%d bytes: want 0 (off; CacheOff in Go) or %d (16 MiB) to %d (1 TiB)", n, minCacheBytes, int64(maxCacheBytes))
}

// cacheArgs sizes the engine's cache of decompressed blocks: the server
// setting uncompressed_cache_size, by its configuration key (off: 0, the
// engine's own default).
func cacheArgs(n int64) []string {
	if n == CacheOff {
		n = 0
	}
	return []string{"--uncompressed_cache_size=" + strconv.FormatInt(n, 10)}
}

// cacheCollector reports the block cache at each scrape, read from the
// engine (system.metrics, system.events): its memory, part of the
// process's, and how many blocks it served and missed. What a server's own
// metrics endpoint says of its cache, for an engine that has none.
type cacheCollector struct {
	s                   *Server
	bytes, hits, misses *prometheus.Desc

	mu   sync.Mutex // one read of the engine at a time; the others wait for it
	at   time.Time  // of the last read
	last [3]float64 // what it read
	ok   bool       // whether it read them
}

// cacheReadEvery bounds what scrapes cost the engine: however many come, at
// most one a second takes an engine connection (from the pool the ingester
// uses); the others report what it read.
const cacheReadEvery = time.Second

func newCacheCollector(s *Server) *cacheCollector {
	return &cacheCollector{s: s,
		bytes: prometheus.NewDesc("rebate_chlocal_block_cache_bytes",
			"Memory held by the embedded engine's cache of decompressed blocks (REBATE_CHLOCAL_UNCOMPRESSED_CACHE_BYTES at most).", nil, nil),
		hits: prometheus.NewDesc("rebate_chlocal_block_cache_hits_total",
			"Blocks the embedded engine's statements found in its block cache.", nil, nil),
		misses: prometheus.NewDesc("rebate_chlocal_block_cache_misses_total",
			"Blocks the embedded engine's statements that use the block cache decompressed and put in it.", nil, nil),
	}
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.bytes
	ch <- c.hits
	ch <- c.misses
}

// cacheQuery reads the three figures in one statement; an event the engine
// has not yet counted has no row in system.events.
const cacheQuery = "SELECT (SELECT value FROM system.metrics WHERE metric = 'UncompressedCacheBytes')," +
	" (SELECT sum(value) FROM system.events WHERE event = 'UncompressedCacheHits')," +
	" (SELECT sum(value) FROM system.events WHERE event = 'UncompressedCacheMisses')"

// Collect reports the last figures read: when the engine gives no
// connection within a second (closed, or every connection busy for that
// long) the scrape reports the figures read before, or none yet, rather
// than fail or wait on it. The read itself is one short statement on the
// engine's system tables, which the engine's API cannot bound.
func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	if time.Since(c.at) >= cacheReadEvery {
		if v, ok := c.read(); ok {
			c.last, c.ok = v, true
		}
		c.at = time.Now()
	}
	v, ok := c.last, c.ok
	c.mu.Unlock()
	if !ok {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, v[0])
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, v[1])
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, v[2])
}

// read asks the engine for the cache's bytes, hits and misses.
func (c *cacheCollector) read() (v [3]float64, ok bool) {
	if c.s.closed.Load() {
		return v, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	f, err := c.s.readRow(ctx, "metrics", cacheQuery, len(v))
	if err != nil {
		if ctx.Err() != nil { // no connection within the second: expected under load
			c.s.log.Debug("block cache metrics skipped: no engine connection", "err", err)
		} else {
			c.s.log.Warn("block cache metrics: read the engine's counters", "err", err)
		}
		return v, false
	}
	for i := range f {
		if v[i], err = strconv.ParseFloat(f[i], 64); err != nil {
			c.s.log.Warn("block cache metrics: unexpected answer", "answer", f)
			return v, false
		}
	}
	return v, true
}
