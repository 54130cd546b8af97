// Package chlocaltest gives tests a real ClickHouse HTTP endpoint: the
// embedded engine served by package chlocal on a loopback port.
//
// The engine holds process-wide state and takes seconds to load, so one
// endpoint serves every test in a test binary; tests isolate themselves with
// a database each (Endpoint.Database). Call Main from TestMain so the engine
// is closed when the tests end.
package chlocaltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/embedded/chdb"
	"github.com/rebatehq/rebate/embedded/chlocal"
	"github.com/rebatehq/rebate/internal/testenv"
)

// TestCacheBytes is the block cache of the tests' engine, unless
// REBATE_CHLOCAL_UNCOMPRESSED_CACHE_BYTES says otherwise.
const TestCacheBytes = 64 << 20

// Endpoint is a running embedded ClickHouse HTTP endpoint.
type Endpoint struct {
	Addr    string // host:port
	DataDir string
	// BackupDir is the engine's backup folder: Disk('backups', name) and
	// File('<BackupDir>/name') write there.
	BackupDir string
	Server    *chlocal.Server
	Lib       *chdb.Lib
	// Metrics holds the endpoint's metrics (Start's only): a benchmark
	// reads how long statements waited for an engine connection.
	Metrics *prometheus.Registry
	// CacheBytes is the engine's block cache (Start's; 0: off).
	CacheBytes int64

	http *http.Server
	ln   net.Listener
}

var shared struct {
	once sync.Once
	ep   *Endpoint
	err  error
}

// Main runs the tests and then closes the shared endpoint, if one started.
func Main(m *testing.M) {
	code := m.Run()
	if ep := shared.ep; ep != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = ep.http.Shutdown(ctx)
		_ = ep.Server.Close(ctx)
		cancel()
		_ = os.RemoveAll(ep.DataDir)
		_ = os.RemoveAll(ep.BackupDir)
	}
	os.Exit(code)
}

// LibPath finds the engine library, or skips the test when it is missing.
// Under CI=true a missing engine fails the test instead: CI must never pass
// by skipping the engine.
func LibPath(tb testing.TB) string {
	tb.Helper()
	path, err := chdb.Find(os.Getenv)
	if err == nil {
		return path
	}
	testenv.Missing(tb, "embedded ClickHouse engine unavailable (run scripts/install-engine.sh): %v", err)
	return ""
}

// Lib loads the engine library, with LibPath's rules when it is missing.
func Lib(tb testing.TB) *chdb.Lib {
	tb.Helper()
	lib, err := chdb.Load(LibPath(tb))
	if err != nil {
		tb.Fatalf("load embedded ClickHouse engine: %v", err)
	}
	return lib
}

// Start returns the shared endpoint, starting it on first use.
func Start(tb testing.TB) *Endpoint {
	tb.Helper()
	lib := Lib(tb)
	shared.once.Do(func() { shared.ep, shared.err = start(lib) })
	if shared.err != nil {
		tb.Fatalf("start embedded ClickHouse endpoint: %v", shared.err)
	}
	return shared.ep
}

func start(lib *chdb.Lib) (*Endpoint, error) {
	dir, err := os.MkdirTemp("", "rebate-chlocaltest-")
	if err != nil {
		return nil, err
	}
	backups, err := os.MkdirTemp("", "rebate-chlocaltest-backups-")
	if err != nil {
		return nil, err
	}
	// A benchmark may size the engine's connections as a deployment does
	// (REBATE_CHLOCAL_CONNS; the endpoint checks the number).
	conns := 0
	if v := os.Getenv("REBATE_CHLOCAL_CONNS"); v != "" {
		if conns, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("REBATE_CHLOCAL_CONNS=%q: want a number of connections", v)
		}
	}
	// The tests' engine has a block cache, off by default in a deployment,
	// so that the tests of the cache and its metrics run; a benchmark sizes
	// it (REBATE_CHLOCAL_UNCOMPRESSED_CACHE_BYTES, 0 off).
	cache := int64(TestCacheBytes)
	if v := os.Getenv("REBATE_CHLOCAL_UNCOMPRESSED_CACHE_BYTES"); v != "" {
		if cache, err = chlocal.ParseCacheBytes(v); err != nil {
			return nil, fmt.Errorf("REBATE_CHLOCAL_UNCOMPRESSED_CACHE_BYTES=%q: %w", v, err)
		}
	}
	reg := prometheus.NewRegistry()
	srv, err := chlocal.Open(lib, chlocal.Config{Path: dir, BackupDir: backups, Conns: conns, UncompressedCacheBytes: cache, Registerer: reg})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return &Endpoint{Addr: ln.Addr().String(), DataDir: dir, BackupDir: backups, Server: srv, Lib: lib, Metrics: reg,
		CacheBytes: max(cache, 0), http: hs, ln: ln}, nil
}

// Serve opens a second endpoint on the shared engine with cfg (users,
// allowed origins; the data folder is the shared one), serves it on a
// loopback port and closes it when the test ends. Its Database and Open
// send no credentials: with users, make databases through Start's.
func Serve(tb testing.TB, cfg chlocal.Config) *Endpoint {
	tb.Helper()
	shared := Start(tb)
	cfg.Path = shared.DataDir
	srv, err := chlocal.Open(shared.Lib, cfg)
	if err != nil {
		tb.Fatalf("open embedded ClickHouse endpoint: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		_ = srv.Close(ctx)
	})
	return &Endpoint{Addr: ln.Addr().String(), DataDir: shared.DataDir, Server: srv, Lib: shared.Lib, http: hs, ln: ln}
}

// NeedCache stops a test of the engine's block cache when the tests'
// engine has none (REBATE_CHLOCAL_UNCOMPRESSED_CACHE_BYTES=0): a skip on a
// laptop, a failure under CI.
func (e *Endpoint) NeedCache(tb testing.TB) {
	tb.Helper()
	if e.CacheBytes == 0 {
		testenv.Missing(tb, "the tests' engine has no block cache (REBATE_CHLOCAL_UNCOMPRESSED_CACHE_BYTES=0)")
	}
}

// URL is the endpoint's base URL.
func (e *Endpoint) URL() string { return "http://" + e.Addr }

// Database creates an empty database for the test and drops it afterwards.
func (e *Endpoint) Database(tb testing.TB) string {
	tb.Helper()
	name := e.DatabaseName(tb)
	if err := e.Open(tb, "default").Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	return name
}

// DatabaseName is a new database's name for the test to create (a
// restore makes its own); it is dropped, if there, when the test ends.
func (e *Endpoint) DatabaseName(tb testing.TB) string {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	conn := e.Open(tb, "default")
	tb.Cleanup(func() {
		if err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	return name
}

// Options are clickhouse-go options for this endpoint and database.
func (e *Endpoint) Options(db string) *clickhouse.Options {
	return &clickhouse.Options{
		Addr:        []string{e.Addr},
		Protocol:    clickhouse.HTTP,
		Auth:        clickhouse.Auth{Database: db},
		DialTimeout: 5 * time.Second,
	}
}

// Open connects clickhouse-go over HTTP, closing the connection at cleanup.
func (e *Endpoint) Open(tb testing.TB, db string) driver.Conn {
	tb.Helper()
	conn, err := clickhouse.Open(e.Options(db))
	if err != nil {
		tb.Fatalf("open clickhouse-go: %v", err)
	}
	if err := conn.Ping(context.Background()); err != nil {
		tb.Fatalf("ping endpoint: %v", err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return conn
}

// WaitReady polls url+"/ping" until it answers or the deadline passes.
func WaitReady(url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error = errors.New("not polled")
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s: %w", url, timeout, last)
}

// WaitKey names a series of rebate_chlocal_connection_wait_seconds: the
// engine connections' pool and what a connection was taken for.
type WaitKey struct{ Pool, Kind string }

// Waits is what one series holds: connections taken; of which after a
// wait over 0.1 ms, and over 5 ms; and the seconds waited in all.
type Waits struct {
	Taken, Queued, Over5ms uint64
	Seconds                float64
}

// Add is w and o together.
func (w Waits) Add(o Waits) Waits {
	return Waits{w.Taken + o.Taken, w.Queued + o.Queued, w.Over5ms + o.Over5ms, w.Seconds + o.Seconds}
}

// Sub is what w holds beyond o, an earlier reading of the same series.
func (w Waits) Sub(o Waits) Waits {
	return Waits{w.Taken - o.Taken, w.Queued - o.Queued, w.Over5ms - o.Over5ms, w.Seconds - o.Seconds}
}

// ConnectionWaits reads an endpoint's waits for its engine connections from
// its registry (Endpoint.Metrics, or a chlocal.Config's Registerer).
func ConnectionWaits(tb testing.TB, g prometheus.Gatherer) map[WaitKey]Waits {
	tb.Helper()
	fams, err := g.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[WaitKey]Waits{}
	for _, f := range fams {
		if f.GetName() != "rebate_chlocal_connection_wait_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			var k WaitKey
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "pool":
					k.Pool = l.GetValue()
				case "kind":
					k.Kind = l.GetValue()
				}
			}
			h := m.GetHistogram()
			w := Waits{Taken: h.GetSampleCount(), Seconds: h.GetSampleSum()}
			found := 0
			for _, b := range h.GetBucket() {
				switch b.GetUpperBound() {
				case .0001:
					w.Queued, found = w.Taken-b.GetCumulativeCount(), found+1
				case .005:
					w.Over5ms, found = w.Taken-b.GetCumulativeCount(), found+1
				}
			}
			if found != 2 {
				// Queued and Over5ms are read at these two edges: without
				// them they would read as no wait at all.
				tb.Fatalf("rebate_chlocal_connection_wait_seconds has no bucket at 0.1 ms or 5 ms (%v)", h.GetBucket())
			}
			out[k] = w
		}
	}
	return out
}
