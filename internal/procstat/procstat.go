// Package procstat reads what the kernel accounts to a process and to each
// of its threads (utime + stime in /proc, the counters getrusage reads), so
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
	"time"
)

// clockTicks is USER_HZ, the unit of /proc's times; 100 on Linux for
// every architecture Go runs on.
const clockTicks = 100

// CPU is the CPU time process pid has used so far, its ended threads
// included.
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	_, d, err := parseStat(b)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return d, nil
}

// Threads is the CPU time each live thread of pid has used so far, added
// up by thread name. A thread that ended is in CPU, not here.
func Threads(pid int) (map[string]time.Duration, error) {
	dirs, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(dirs) == 0 {
		return nil, fmt.Errorf("threads of %d: none readable (%v)", pid, err)
	}
	out := map[string]time.Duration{}
	for _, path := range dirs {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the thread ended meanwhile
		}
		name, d, err := parseStat(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out[name] += d
	}
	return out, nil
}

// parseStat reads the name and utime + stime of a /proc stat line: "pid
// (name) state ...", the name possibly holding spaces and parentheses,
// so the fields are counted from the last ')'.
func parseStat(b []byte) (string, time.Duration, error) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open || end+2 > len(b) {
		return "", 0, fmt.Errorf("no (name) in %q", b)
	}
	f := strings.Fields(string(b[end+2:]))
	if len(f) < 13 {
		return "", 0, fmt.Errorf("%d fields after the name", len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, fmt.Errorf("utime %q stime %q", f[11], f[12])
	}
	return string(b[open+1 : end]), time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// Delta is what each name used between two readings of Threads: a name
// new in after counts whole, one gone from it not at all.
func Delta(before, after map[string]time.Duration) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, d := range after {
		if d -= before[name]; d > 0 {
			out[name] = d
		}
	}
	return out
}
