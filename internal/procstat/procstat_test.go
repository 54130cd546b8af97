package procstat

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A name with a space and a parenthesis, as a thread may be named.
	line := "4242 (Query (x) Pipe) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 7 0 100 1000 10\n"
	name, d, err := parseStat([]byte(line))
	if err != nil || name != "Query (x) Pipe" || d != 3250*time.Millisecond {
		t.Fatalf("parseStat = %q, %v, %v; want \"Query (x) Pipe\", 3.25s", name, d, err)
	}
	for _, bad := range []string{"", "4242 S 1", "4242 (x) S 1 2", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s"} {
		if _, _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q): no error", bad)
		}
	}
}

func TestOwnProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
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
