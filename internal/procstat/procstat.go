// Package procstat reads what the kernel accounts to a process and to each
// of its threads (utime + stime in /proc, the counters getrusage reads, and
// each thread's nice value), so
// a benchmark can say what a process of the service costs, and where: the
// embedded engine names its threads (merges, query pipelines), and the
// service's own goroutines run on threads named after the program, where
// the engine also parses and plans the statements the service sends it.
// Linux only; a kit for benchmarks, not part of the service.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc's times; 100 on Linux for
// every architecture Go runs on.
const clockTicks = 100

// Thread is what the kernel accounts to one thread so far.
type Thread struct {
	Name  string        // its name now; the engine renames a pool thread for each job
	Start uint64        // when it started (clock ticks since boot): a reused id is another thread
	CPU   time.Duration // utime + stime
	Nice  int           // its nice value now (the engine sets a statement's os_thread_priority on its threads while it runs)
}

// Threads reads every live thread of pid, by thread id. A thread that ended
// is in CPU, not here.
func Threads(pid int) (map[int]Thread, error) {
	paths, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("threads of %d: none readable (%v)", pid, err)
	}
	out := map[int]Thread{}
	for _, path := range paths {
		tid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err != nil {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the thread ended meanwhile
		}
		th, err := parseStat(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out[tid] = th
	}
	return out, nil
}

// CPU is the CPU time process pid has used so far, its ended threads
// included.
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	th, err := parseStat(b)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return th.CPU, nil
}

// Self is the CPU time this process has used so far (utime + stime, as
// getrusage reports them, to the microsecond rather than /proc's 10 ms
// ticks). In a test or benchmark the embedded engine runs in the process,
// so what it does for the caller is counted too.
func Self() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // cannot fail for RUSAGE_SELF
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PerMillion is cpu per million of n things (events, rows, records): the
// benchmarks' common unit, CPU-seconds per million, so figures of runs of
// any size compare.
func PerMillion(cpu time.Duration, n int) float64 {
	if n <= 0 {
		return 0
	}
	return cpu.Seconds() / float64(n) * 1e6
}

// PerOp is cpu per one of n operations (requests, statements, steps):
// the benchmarks' unit where an operation, not an event, is what is done.
func PerOp(cpu time.Duration, n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return cpu / time.Duration(n)
}

// parseStat reads a /proc stat line: "pid (name) state ...", the name
// possibly holding spaces and parentheses, so the fields are counted from
// the last ')'.
func parseStat(b []byte) (Thread, error) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open || end+2 > len(b) {
		return Thread{}, fmt.Errorf("no (name) in %q", b)
	}
	f := strings.Fields(string(b[end+2:]))
	if len(f) < 20 {
		return Thread{}, fmt.Errorf("%d fields after the name", len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	nice, err3 := strconv.Atoi(f[16])
	start, err4 := strconv.ParseUint(f[19], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return Thread{}, fmt.Errorf("utime %q stime %q nice %q starttime %q", f[11], f[12], f[16], f[19])
	}
	return Thread{Name: string(b[open+1 : end]), Start: start, CPU: time.Duration(utime+stime) * time.Second / clockTicks, Nice: nice}, nil
}

// Delta is what the threads alive at after used since before, added up by
// their names at after: a thread counts from its reading in before, or
// whole if it started since. Threads that ended between the two readings
// are not here: the process's CPU less the sum of these is theirs.
func Delta(before, after map[int]Thread) map[string]time.Duration {
	out := map[string]time.Duration{}
	for tid, th := range after {
		d := th.CPU
		if was, ok := before[tid]; ok && was.Start == th.Start {
			d -= was.CPU
		}
		if d > 0 {
			out[th.Name] += d
		}
	}
	return out
}
