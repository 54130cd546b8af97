package ingest

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate/internal/settings"
)

// TestFlushRestSettings: --flush-busy takes a share above 0 up to 1 and
// refuses the rest naming its flag, --max-flush-interval at most a minute;
// a --flush-interval set above
// --max-flush-interval, valid before the rest existed, still starts, the
// bound taken as the interval.
func TestFlushRestSettings(t *testing.T) {
	parse := func(args ...string) (Config, error) {
		var c Config
		f := settings.New("ingest", io.Discard)
		c.Topics.RegisterFlags(f)
		c.RegisterFlags(f)
		if err := f.Parse(args, func(string) string { return "" }); err != nil {
			return c, err
		}
		return c, c.setDefaults()
	}
	c, err := parse()
	if err != nil || c.FlushBusy != 0.5 || c.MaxFlushInterval != time.Second || c.FlushInterval != 250*time.Millisecond {
		t.Fatalf("defaults: %v busy %v max %v interval %v", err, c.FlushBusy, c.MaxFlushInterval, c.FlushInterval)
	}
	for _, bad := range []string{"0", "-0.5", "1.5", "NaN", "Inf"} {
		if _, err := parse("--flush-busy", bad); err == nil || !strings.Contains(err.Error(), "flush-busy") {
			t.Errorf("--flush-busy %s: %v, want an error naming the flag", bad, err)
		}
	}
	if c, err := parse("--flush-busy", "1"); err != nil || c.FlushBusy != 1 {
		t.Errorf("--flush-busy 1: %v %v", c.FlushBusy, err)
	}
	if _, err := parse("--max-flush-interval", "2h"); err == nil || !strings.Contains(err.Error(), "max-flush-interval") {
		t.Errorf("--max-flush-interval 2h: %v, want an error naming the flag", err)
	}
	c, err = parse("--flush-interval", "2s")
	if err != nil || c.MaxFlushInterval != 2*time.Second {
		t.Errorf("--flush-interval 2s: %v, max %v; want it to start with the bound at 2s", err, c.MaxFlushInterval)
	}
}
