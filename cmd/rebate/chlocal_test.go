package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rebatehq/rebate/internal/chlocaltest"
)

var built struct {
	once sync.Once
	path string
	err  error
}

// binary builds the rebate command once per test run.
func binary(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "rebate-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "rebate")
		out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = err
			t.Logf("go build: %s", out)
		}
	})
	if built.err != nil {
		t.Fatalf("build rebate: %v", built.err)
	}
	return built.path
}

type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	stdout io.Reader
	out    *syncBuffer // stdout, when a test keeps it
	url    string
	done   chan error
}

// syncBuffer lets a test read a process's output while it is written.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var addrRe = regexp.MustCompile(`http://(127\.0\.0\.1:\d+)`)

// startProc runs the rebate binary with args and the engine at lib; the
// process is killed when the test ends if it is still running.
func startProc(t testing.TB, lib string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "REBATE_CHDB_LIB="+lib)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: &syncBuffer{}, stdout: stdout, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

// startCHLocal runs `rebate chlocal` and waits until it answers /ping.
func startCHLocal(t *testing.T, lib, path string) *proc {
	t.Helper()
	p := startProc(t, lib, "chlocal", "--path", path, "--listen", "127.0.0.1:0")
	line, err := bufio.NewReader(p.stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read address: %v; stderr: %s", err, p.stderr)
	}
	go func() { _, _ = io.Copy(io.Discard, p.stdout) }()
	m := addrRe.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no address in %q", line)
	}
	p.url = "http://" + m[1]
	if err := chlocaltest.WaitReady(p.url, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return p
}

// stop signals the process and requires a clean exit within 10 s.
func (p *proc) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after %v: %v; stderr:\n%s", sig, err, p.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10s after %v; stderr:\n%s", sig, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "msg=stopped") {
		t.Errorf("no clean-stop log line; stderr:\n%s", p.stderr)
	}
}

// sql posts a statement to the endpoint at base (which may carry a query string).
func sql(t *testing.T, base, query string) string {
	t.Helper()
	u := base + "/"
	if strings.Contains(base, "?") {
		u = strings.Replace(base, "?", "/?", 1)
	}
	resp, err := http.Post(u, "text/plain", strings.NewReader(query))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", query, resp.StatusCode, b)
	}
	return string(b)
}

// TestCHLocalPersistsAcrossRestart runs the real binary twice on one data
// folder, stopping it once with SIGTERM and once with SIGINT.
func TestCHLocalPersistsAcrossRestart(t *testing.T) {
	lib := chlocaltest.LibPath(t)
	data := t.TempDir()

	p := startCHLocal(t, lib, data)
	sql(t, p.url, "CREATE TABLE kept (id UInt64, name String) ENGINE = MergeTree ORDER BY id")
	sql(t, p.url, "INSERT INTO kept SELECT number, toString(number) FROM numbers(100000)")
	want := sql(t, p.url, "SELECT count(), sum(id), max(name) FROM kept")
	p.stop(t, syscall.SIGTERM)

	p = startCHLocal(t, lib, data)
	if got := sql(t, p.url, "SELECT count(), sum(id), max(name) FROM kept"); got != want || !strings.HasPrefix(got, "100000\t") {
		t.Errorf("after restart: %q, before: %q", got, want)
	}
	p.stop(t, syscall.SIGINT)
}

func TestCHLocalPortTaken(t *testing.T) {
	taken := takenAddr(t)
	mustFail(t, chlocaltest.LibPath(t), []string{taken, "REBATE_CHLOCAL_LISTEN"}, "chlocal", "--path", t.TempDir(), "--listen", taken)
}

// takenAddr is an address something else listens on until the test ends.
func takenAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// mustFail runs the binary with args and the engine at lib to its end: it
// must exit with an error whose output names everything in want.
func mustFail(t *testing.T, lib string, want []string, args ...string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "REBATE_CHDB_LIB="+lib)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Errorf("%v: started", args)
		return
	}
	for _, w := range want {
		if !strings.Contains(string(out), w) {
			t.Errorf("%v: the error does not name %s:\n%s", args, w, out)
		}
	}
}

func TestCHLocalMissingEngine(t *testing.T) {
	cmd := exec.Command(binary(t), "chlocal", "--path", t.TempDir(), "--listen", "127.0.0.1:0")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "REBATE_CHDB_LIB="+filepath.Join(t.TempDir(), "nope.so"))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "REBATE_CHDB_LIB") {
		t.Errorf("err %v, output %s", err, out)
	}
}
