package ingest_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rebatehq/rebate/embedded/chdb"
	"github.com/rebatehq/rebate/embedded/chlocal"
	"github.com/rebatehq/rebate/internal/chlocaltest"
)

// The engine of the Kafka table engine baseline. The endpoint's fence
// refuses the Kafka engine to every client, admin included (it reaches the
// network; docs/security.md), and the engine's data folder belongs to one
// process. So the baseline's engine is this test binary run again as a
// helper: the same library behind the same endpoint as `rebate chlocal`
// (chlocal.Open, served over HTTP on loopback), plus /bench/direct, which
// runs a statement on an engine connection of its own, outside the fence.
// Only the baseline's CREATE TABLE ... ENGINE = Kafka and its view go
// there; migrations and queries go through the endpoint.

const helperEnv = "REBATE_BENCH_ENGINE_HELPER" // listen address; the data folder is REBATE_BENCH_ENGINE_PATH

// engineHelper serves the engine until SIGTERM; the exit status for os.Exit.
func engineHelper() int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "engine helper:", err); return 1 }
	path, err := chdb.Find(os.Getenv)
	if err != nil {
		return fail(err)
	}
	lib, err := chdb.Load(path)
	if err != nil {
		return fail(err)
	}
	dataDir := os.Getenv("REBATE_BENCH_ENGINE_PATH")
	srv, err := chlocal.Open(lib, chlocal.Config{Path: dataDir})
	if err != nil {
		return fail(err)
	}
	direct, err := lib.Connect(dataDir)
	if err != nil {
		return fail(err)
	}
	// The engine takes the signal handlers when it connects; take them back.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	ln, err := net.Listen("tcp", os.Getenv(helperEnv))
	if err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", srv)
	mux.HandleFunc("POST /bench/direct", func(w http.ResponseWriter, r *http.Request) {
		sql, _ := io.ReadAll(r.Body)
		res, err := direct.Query(string(sql), "TabSeparated")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = w.Write(res.Bytes())
		res.Close()
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = hs.Shutdown(ctx)
	_ = direct.Close()
	_ = srv.Close(ctx)
	return 0
}

// startEngineHelper runs the baseline's engine as its own process.
func startEngineHelper(tb testing.TB) *engineProc {
	tb.Helper()
	addr := freePort(tb)
	e := &engineProc{proc: startSelf(tb, "engine (Kafka engine baseline)", helperEnv+"="+addr,
		"REBATE_BENCH_ENGINE_PATH="+filepath.Join(tb.TempDir(), "clickhouse"), "REBATE_CHDB_LIB="+chlocaltest.LibPath(tb)), addr: addr}
	e.waitReady(tb)
	return e
}

// startSelf runs this test binary again as its own process, with env
// added: TestMain sends it to the helper env names (main_test.go).
func startSelf(tb testing.TB, name string, env ...string) *proc {
	tb.Helper()
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), env...)
	return startProc(tb, name, cmd)
}

// direct runs sql on the helper's own engine connection, outside the fence.
func (e *engineProc) direct(tb testing.TB, sql string) {
	tb.Helper()
	resp, err := http.Post("http://"+e.addr+"/bench/direct", "text/plain", strings.NewReader(sql))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("%s: %s", sql, msg)
	}
}
