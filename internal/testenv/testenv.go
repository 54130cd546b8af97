// Package testenv decides what a test does when something it needs from
// the machine is missing: skip on a laptop, fail under CI=true, where a
// skipped engine, broker client or browser would let CI pass untested.
package testenv

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// CI reports whether the tests run under CI=true.
func CI() bool { return os.Getenv("CI") == "true" }

// Missing ends the test for want of something the machine lacks: a skip,
// or a failure under CI=true.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if CI() {
		tb.Fatalf("under CI=true: "+format, args...)
		return
	}
	tb.Skipf(format, args...)
}

// Long skips a long test under -short, except under CI=true, where every
// test runs.
func Long(tb testing.TB, why string) {
	tb.Helper()
	if testing.Short() && !CI() {
		tb.Skipf("-short: %s", why)
	}
}

// Chromium is the browser the browser tests drive (make test-deps installs
// it); without one the test skips, or fails under CI=true.
func Chromium(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Missing(tb, "no chromium (make test-deps installs it)")
	return ""
}

// Int is the positive integer in the environment variable name (a
// benchmark's knob), or def when it is unset; anything else fails tb.
func Int(tb testing.TB, name string, def int) int {
	tb.Helper()
	return positive(tb, name, def, strconv.Atoi, "a positive integer")
}

// Duration is the positive duration (as "90s") in the environment variable
// name, or def when it is unset; anything else fails tb.
func Duration(tb testing.TB, name string, def time.Duration) time.Duration {
	tb.Helper()
	return positive(tb, name, def, time.ParseDuration, "a positive duration, as 90s")
}

// positive reads the variable name with parse, or def when it is unset,
// failing tb on anything but a value above zero.
func positive[T int | time.Duration](tb testing.TB, name string, def T, parse func(string) (T, error), want string) T {
	tb.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := parse(s)
	if err != nil || v <= 0 {
		tb.Fatalf("%s=%q: want %s", name, s, want)
	}
	return v
}
