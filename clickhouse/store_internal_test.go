package clickhouse

import (
	"errors"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/rebatehq/rebate"
)

// TestReadAgainIfExchanged: a read that met its table being swapped (a
// refreshable view's refresh exchanging its rows in; seen in the live
// benchmark as get_leaderboard's TABLE_UUID_MISMATCH) is read once more,
// and any other error is not; a second swap is a retryable error, not an
// internal one.
func TestReadAgainIfExchanged(t *testing.T) {
	swapped := &ch.Exception{Code: codeTableUUIDMismatch, Message: "Table t.leaderboards (u) does not match t.`.tmp.inner_id.u` (u)"}
	for _, c := range []struct {
		name  string
		errs  []error // what each read returns, in turn
		reads int
		want  error
	}{
		{"swapped, then read", []error{swapped, nil}, 2, nil},
		{"swapped twice", []error{swapped, swapped}, 2, swapped},
		{"another error", []error{&ch.Exception{Code: codeUnknownTable}}, 1, &ch.Exception{Code: codeUnknownTable}},
		{"read", []error{nil}, 1, nil},
	} {
		n := 0
		_, err := readAgainIfExchanged(func() (driver.Rows, error) {
			n++
			if n > len(c.errs) {
				t.Fatalf("%s: read %d times", c.name, n)
			}
			return nil, c.errs[n-1]
		})
		var got, want *ch.Exception
		if n != c.reads || (err == nil) != (c.want == nil) ||
			(err != nil && (!errors.As(err, &got) || !errors.As(c.want, &want) || got.Code != want.Code)) {
			t.Errorf("%s: %d reads, error %v; want %d reads, error %v", c.name, n, err, c.reads, c.want)
		}
	}
	if got := rebate.ErrorCode(domainError("get_leaderboard", swapped)); got != rebate.EUNAVAIL {
		t.Errorf("a table swapped as it was read: code %q, want %q (retry)", got, rebate.EUNAVAIL)
	}
}
