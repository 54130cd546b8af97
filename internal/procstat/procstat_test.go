package procstat

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A name with a space and a parenthesis, as a thread may be named.
	// At nice 19 (priority 39), as a statement's threads run at
	// os_thread_priority = 19.
	line := "4242 (Query (x) Pipe) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 39 19 7 0 100 1000 10\n"
	th, err := parseStat([]byte(line))
	if err != nil || th != (Thread{Name: "Query (x) Pipe", Start: 100, CPU: 3250 * time.Millisecond, Nice: 19}) {
		t.Fatalf("parseStat = %+v, %v; want \"Query (x) Pipe\", started at 100, 3.25s, nice 19", th, err)
	}
	for _, bad := range []string{"", "4242 S 1", "4242 (x) S 1 2", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s 0 0 20 0 7 0 100",
		"4242 (x) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 n 7 0 100"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q): no error", bad)
		}
	}
}

func TestDelta(t *testing.T) {
	ms := time.Millisecond
	before := map[int]Thread{
		1: {Name: "main", Start: 5, CPU: 100 * ms},
		2: {Name: "ThreadPool", Start: 6, CPU: 300 * ms},  // renamed by its next job
		3: {Name: "MergeMutate", Start: 7, CPU: 50 * ms},  // ends
		4: {Name: "QueryPipeEx", Start: 8, CPU: 400 * ms}, // its id reused by a new thread
	}
	after := map[int]Thread{
		1: {Name: "main", Start: 5, CPU: 150 * ms},
		2: {Name: "MergeMutate", Start: 6, CPU: 320 * ms},
		4: {Name: "QueryPipeEx", Start: 90, CPU: 30 * ms},
		5: {Name: "MergeMutate", Start: 91, CPU: 10 * ms},
	}
	got := Delta(before, after)
	want := map[string]time.Duration{"main": 50 * ms, "MergeMutate": 30 * ms, "QueryPipeEx": 30 * ms}
	if len(got) != len(want) {
		t.Fatalf("Delta = %v, want %v", got, want)
	}
	for name, d := range want {
		if got[name] != d {
			t.Errorf("Delta[%s] = %v, want %v (all: %v)", name, got[name], d, got)
		}
	}
}

func TestOwnProcess(t *testing.T) {
	// No skip: the package reads /proc, so where there is none (not Linux)
	// this fails, as a missing tool must.
	self0 := Self()
	before, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	threadsBefore, err := Threads(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel has charged this process at least 50 ms more
	// (its tick is 10 ms), with a deadline instead of a fixed wait.
	x := 0
	var after time.Duration
	for deadline := time.Now().Add(10 * time.Second); after-before < 50*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatalf("CPU did not grow: %v then %v", before, after)
		}
		for i := range 1_000_000 {
			x += i
		}
		if after, err = CPU(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	_ = x
	// getrusage and /proc count the same CPU, /proc in 10 ms ticks: Self,
	// read around both /proc readings, has at least their difference less
	// two ticks.
	if self := Self() - self0; self < after-before-20*time.Millisecond {
		t.Errorf("Self grew %v while /proc's CPU grew %v", self, after-before)
	}
	threadsAfter, err := Threads(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var sum time.Duration
	for _, d := range Delta(threadsBefore, threadsAfter) {
		sum += d
	}
	if sum <= 0 || sum > after-before+100*time.Millisecond {
		t.Errorf("threads used %v between readings, the process %v", sum, after-before)
	}
}

func TestPerMillion(t *testing.T) {
	for _, tc := range []struct {
		cpu  time.Duration
		n    int
		want float64
	}{
		{3 * time.Second, 1_000_000, 3},
		{250 * time.Millisecond, 100_000, 2.5},
		{time.Second, 0, 0}, // nothing counted: no figure, not an infinity
	} {
		if got := PerMillion(tc.cpu, tc.n); got != tc.want {
			t.Errorf("PerMillion(%v, %d) = %v, want %v", tc.cpu, tc.n, got, tc.want)
		}
	}
}

func TestPerOp(t *testing.T) {
	for _, tc := range []struct {
		cpu  time.Duration
		n    int
		want time.Duration
	}{
		{3 * time.Second, 1000, 3 * time.Millisecond},
		{time.Millisecond, 4, 250 * time.Microsecond},
		{time.Second, 0, 0}, // nothing done: no figure, not a division by zero
	} {
		if got := PerOp(tc.cpu, tc.n); got != tc.want {
			t.Errorf("PerOp(%v, %d) = %v, want %v", tc.cpu, tc.n, got, tc.want)
		}
	}
}
