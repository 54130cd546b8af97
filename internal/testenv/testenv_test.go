package testenv

import (
	"testing"
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
