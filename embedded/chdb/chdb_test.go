package chdb_test

import (
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rebatehq/rebate/embedded/chdb"
	"github.com/rebatehq/rebate/internal/testenv"
)

// conn opens one connection for this test binary; the engine serves one data
// path per process, so every test shares it.
func conn(t *testing.T) *chdb.Conn {
	t.Helper()
	shared.once.Do(func() {
		path, err := chdb.Find(os.Getenv)
		if err != nil {
			shared.err = err
			return
		}
		lib, err := chdb.Load(path)
		if err != nil {
			shared.err = err
			return
		}
		dir, err := os.MkdirTemp("", "rebate-chdb-test-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		shared.conn, shared.err = lib.Connect(dir)
	})
	if shared.err != nil {
		if errors.Is(shared.err, chdb.ErrNotFound) {
			testenv.Missing(t, "engine not installed (scripts/install-engine.sh): %v", shared.err)
		}
		t.Fatalf("engine: %v", shared.err)
	}
	return shared.conn
}

func query(t *testing.T, c *chdb.Conn, q string, params ...chdb.Param) string {
	t.Helper()
	r, err := c.QueryWithParams(q, "TabSeparated", params)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer r.Close()
	return string(r.Bytes())
}

func TestQueryAndStats(t *testing.T) {
	c := conn(t)
	r, err := c.Query("SELECT number FROM numbers(10) WHERE number % 2 = 0", "CSV")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := string(r.Bytes()); got != "0\n2\n4\n6\n8\n" {
		t.Errorf("got %q", got)
	}
	if st := r.Stats(); st.RowsRead != 10 || st.ResultRows != 5 || st.Elapsed <= 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestBinarySafe: the query is passed with its length, so NUL bytes survive.
func TestBinarySafe(t *testing.T) {
	c := conn(t)
	if got := query(t, c, "SELECT length('a\x00b')"); got != "3\n" {
		t.Errorf("got %q", got)
	}
	if got := query(t, c, "SELECT length({s:String})", chdb.Param{Name: "s", Value: "x\x00y\x00z"}); got != "5\n" {
		t.Errorf("param with NULs: %q", got)
	}
}

func TestParamsAreValuesNotSQL(t *testing.T) {
	c := conn(t)
	evil := "1'); DROP DATABASE default; --"
	if got := query(t, c, "SELECT {s:String} = 'x', length({s:String})", chdb.Param{Name: "s", Value: evil}); got != "0\t"+itoa(len(evil))+"\n" {
		t.Errorf("got %q", got)
	}
	_, err := c.QueryWithParams("SELECT {n:UInt8}", "TSV", []chdb.Param{{Name: "n", Value: "1 OR 1=1"}})
	var ce *chdb.Error
	if !errors.As(err, &ce) || ce.Code != 457 || ce.Name != "BAD_QUERY_PARAMETER" {
		t.Errorf("out-of-range parameter: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestErrorsCarryCodeAndName(t *testing.T) {
	c := conn(t)
	_, err := c.Query("SELECT * FROM no_such_table_here", "TSV")
	var ce *chdb.Error
	if !errors.As(err, &ce) || ce.Code != 60 || ce.Name != "UNKNOWN_TABLE" || !strings.HasPrefix(ce.Message, "Code: 60. DB::Exception:") {
		t.Fatalf("got %#v", err)
	}
}

// TestFailedStatementLeavesNothingBehind: a statement that fails after it
// wrote rows must not hand them to the next statement on the connection
// (the engine does, unless the binding drains them).
func TestFailedStatementLeavesNothingBehind(t *testing.T) {
	c := conn(t)
	for i := range 2 {
		if _, err := c.Query("SELECT throwIf(number = 300000) FROM numbers(1000000)", "TabSeparated"); err == nil {
			t.Fatal("throwIf did not fail")
		}
		if got := query(t, c, "SELECT 'next'"); got != "next\n" {
			t.Fatalf("round %d: the statement after a failed one answered %d bytes starting %.40q, want %q", i, len(got), got, "next\n")
		}
	}
}

// TestGoKeepsItsSignals: the engine installs crash handlers when it
// connects; Go's must be back, or a nil dereference kills the process and
// SIGINT no longer reaches signal.Notify.
func TestGoKeepsItsSignals(t *testing.T) {
	conn(t)
	recovered := func() (r any) {
		defer func() { r = recover() }()
		var p *int
		return *p
	}()
	if recovered == nil {
		t.Fatal("nil dereference did not panic")
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT)
	defer signal.Stop(ch)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGINT not delivered to Go")
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libchdb.so")
	if err := os.WriteFile(lib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	if got, err := chdb.Find(env(map[string]string{"REBATE_CHDB_LIB": lib})); err != nil || got != lib {
		t.Errorf("REBATE_CHDB_LIB: %q %v", got, err)
	}
	if _, err := chdb.Find(env(map[string]string{"REBATE_CHDB_LIB": lib + ".missing"})); err == nil || !strings.Contains(err.Error(), "REBATE_CHDB_LIB") {
		t.Errorf("missing REBATE_CHDB_LIB: %v", err)
	}
	cache := filepath.Join(dir, "cache")
	want := filepath.Join(cache, "chdb", chdb.Version, "libchdb.so")
	if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(want, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := chdb.Find(env(map[string]string{"REBATE_CACHE_DIR": cache})); err != nil || got != want {
		t.Errorf("REBATE_CACHE_DIR: %q %v", got, err)
	}
	if _, err := chdb.Load(filepath.Join(dir, "nope.so")); err == nil {
		t.Error("Load of a missing file: no error")
	}
}
