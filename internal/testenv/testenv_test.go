package testenv

import (
	"testing"
	"time"
)

// recorder notes how a test ended instead of ending it.
type recorder struct {
	testing.TB
	failed, skipped bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Skipf(string, ...any)  { r.skipped = true }

func TestMissing(t *testing.T) {
	for _, ci := range []string{"true", ""} {
		t.Setenv("CI", ci)
		r := &recorder{TB: t}
		Missing(r, "no %s", "engine")
		if r.failed != (ci == "true") || r.skipped == (ci == "true") {
			t.Errorf("CI=%q: failed %v, skipped %v", ci, r.failed, r.skipped)
		}
	}
}

func TestKnobs(t *testing.T) {
	t.Setenv("REBATE_TEST_KNOB", "")
	if n := Int(t, "REBATE_TEST_KNOB", 7); n != 7 {
		t.Errorf("unset: %d, want the default 7", n)
	}
	t.Setenv("REBATE_TEST_KNOB", "90s")
	if d := Duration(t, "REBATE_TEST_KNOB", time.Second); d != 90*time.Second {
		t.Errorf("90s: %v", d)
	}
	for _, bad := range []string{"0", "-3", "x", "1.5"} {
		t.Setenv("REBATE_TEST_KNOB", bad)
		r := &recorder{TB: t}
		Int(r, "REBATE_TEST_KNOB", 1)
		if !r.failed {
			t.Errorf("Int of %q: no failure", bad)
		}
	}
	for _, bad := range []string{"0s", "-1m", "90"} {
		t.Setenv("REBATE_TEST_KNOB", bad)
		r := &recorder{TB: t}
		Duration(r, "REBATE_TEST_KNOB", time.Second)
		if !r.failed {
			t.Errorf("Duration of %q: no failure", bad)
		}
	}
}
