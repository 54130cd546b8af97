package clickhouse

import (
	"fmt"
	"strings"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate"
)

// TestBusyPoolIsUnavailable: clickhouse-go's wait for a free connection of
// the pool, timed out, is a server busy for now (retry; the API's 503), and
// its message leaves out the driver's advice to raise the pool.
func TestBusyPoolIsUnavailable(t *testing.T) {
	err := domainError("get_balance", fmt.Errorf("query: %w", ch.ErrAcquireConnTimeout))
	if c := rebate.ErrorCode(err); c != rebate.EUNAVAIL {
		t.Errorf("code %q (%v), want %q", c, err, rebate.EUNAVAIL)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "get_balance: ") || strings.Contains(msg, "max open conn") {
		t.Errorf("message %q: want the operation, without the driver's advice", msg)
	}
}
