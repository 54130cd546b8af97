package ingest_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/procstat"
	"github.com/rebatehq/rebate/kafka"
)

// The benchmarks' processes: the embedded engine (`rebate chlocal`) and the
// ingester (`rebate ingest`) each run as their own process, so the CPU each
// spends is its own: the kernel's per-process accounting, the counters
// getrusage reads (utime + stime), read from /proc/<pid>/stat over a
// window while a process runs; peak RSS from /proc/<pid>/status (VmHWM)
// just before it is stopped. The broker (kfake) runs in the test process, accounted with
// getrusage(RUSAGE_SELF).

// proc is a child process of the benchmark.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan error
	out  *logBuffer
}

func startProc(tb testing.TB, name string, cmd *exec.Cmd) *proc {
	tb.Helper()
	p := &proc{name: name, cmd: cmd, done: make(chan error, 1), out: &logBuffer{}}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if dir := os.Getenv("REBATE_BENCH_LOGS"); dir != "" { // each process's output, to look inside a run
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.log", strings.Fields(name)[len(strings.Fields(name))-1], time.Now().UnixNano())))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { f.Close() })
		cmd.Stdout, cmd.Stderr = io.MultiWriter(p.out, f), io.MultiWriter(p.out, f)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	go func() { p.done <- cmd.Wait() }()
	tb.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// cpu is the CPU time the process used so far.
func (p *proc) cpu(tb testing.TB) time.Duration {
	tb.Helper()
	d, err := procstat.CPU(p.pid())
	if err != nil {
		tb.Fatalf("%s: %v", p.name, err)
	}
	return d
}

// peakRSS is the process's peak resident set so far, in KB (VmHWM). The
// ru_maxrss wait4 reports is no measure of the child: Go starts it with
// CLONE_VM, and at exec the kernel carries the peak of the memory it ran on
// until then, this test process's (the broker holding every produced
// event), over to the child's. A child that never grew past the test
// process reported the test process's peak (measured: 384 MB for an
// ingester whose VmHWM was 226 MB).
func (p *proc) peakRSS(tb testing.TB) int64 {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid()))
	if err != nil {
		tb.Fatalf("%s: %v", p.name, err)
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				tb.Fatalf("%s: VmHWM %q", p.name, f[1])
			}
			return kb
		}
	}
	tb.Fatalf("%s: no VmHWM in /proc/%d/status", p.name, p.pid())
	return 0
}

// stop ends the process gracefully and returns its peak RSS in KB, read
// just before (peakRSS).
func (p *proc) stop(tb testing.TB) int64 {
	tb.Helper()
	peak := p.peakRSS(tb)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			tb.Fatalf("%s: %v\n%s", p.name, err, p.out.tail(4000))
		}
	case <-time.After(90 * time.Second):
		tb.Fatalf("%s did not stop\n%s", p.name, p.out.tail(4000))
	}
	return peak
}

// buildRebate builds the binary under test once per benchmark binary, or
// takes REBATE_BENCH_BIN (an older build, for a before/after comparison).
func buildRebate(tb testing.TB) string {
	tb.Helper()
	if bin := os.Getenv("REBATE_BENCH_BIN"); bin != "" {
		return bin
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "rebate-bench-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.bin = filepath.Join(dir, "rebate")
		if out, err := exec.Command("go", "build", "-o", built.bin, "../cmd/rebate").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("build: %v: %s", err, out)
		}
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built.bin
}

var built struct {
	once sync.Once
	bin  string
	err  error
}

// freePort is a loopback address nobody listens on now.
func freePort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// engineProc is `rebate chlocal` on a fresh data folder.
type engineProc struct {
	*proc
	addr string
}

func startEngine(tb testing.TB, bin string) *engineProc {
	tb.Helper()
	addr := freePort(tb)
	cmd := exec.Command(bin, "chlocal", "--listen", addr, "--path", filepath.Join(tb.TempDir(), "clickhouse"), "--log-level", "warn")
	cmd.Env = append(os.Environ(), "REBATE_CHDB_LIB="+chlocaltest.LibPath(tb))
	e := &engineProc{proc: startProc(tb, "rebate chlocal", cmd), addr: addr}
	e.waitReady(tb)
	return e
}

func (e *engineProc) waitReady(tb testing.TB) {
	tb.Helper()
	if err := chlocaltest.WaitReady("http://"+e.addr, 60*time.Second); err != nil {
		tb.Fatalf("%v\n%s", err, e.out.tail(4000))
	}
}

// ingestProc is `rebate ingest` with its defaults, but for env (REBATE_*
// settings) when given.
func startIngestProc(tb testing.TB, bin string, kc kafka.Config, cfg clickhouse.Config, env ...string) *proc {
	tb.Helper()
	cmd := exec.Command(bin, "ingest", "--kafka-brokers", kc.Brokers[0], "--clickhouse-addr", cfg.Addr,
		"--clickhouse-database", cfg.Database, "--metrics-listen", "", "--log-level", "warn")
	cmd.Env = append(append(os.Environ(), "REBATE_CHDB_LIB="+chlocaltest.LibPath(tb)), env...)
	return startProc(tb, "rebate ingest", cmd)
}

// usage is what one run cost, by process.
type usage struct {
	names []string
	cpu   []time.Duration
}

func (u *usage) add(name string, d time.Duration) {
	u.names = append(u.names, name)
	u.cpu = append(u.cpu, d)
}

func (u *usage) total() time.Duration {
	var t time.Duration
	for _, d := range u.cpu {
		t += d
	}
	return t
}

// report adds CPU-seconds per million events, per process and in total,
// to the benchmark's metrics, and returns them as a line for the log.
func (u *usage) report(b *testing.B, events int) string {
	perM := func(d time.Duration) float64 { return procstat.PerMillion(d, events) }
	var parts []string
	for i, n := range u.names {
		b.ReportMetric(perM(u.cpu[i]), "cpu-s/M-"+n)
		parts = append(parts, fmt.Sprintf("%s %.2f", n, perM(u.cpu[i])))
	}
	b.ReportMetric(perM(u.total()), "cpu-s/M")
	return fmt.Sprintf("CPU-s per million events: total %.2f (%s)", perM(u.total()), strings.Join(parts, ", "))
}
