package clickhouse

import (
	"testing"
	"time"

	"github.com/rebatehq/rebate"
)

// TestArrayParams: the array parameters Materialize binds, written without
// an allocation per item, say what they said when each item was formatted
// on its own: strings quoted and escaped, times to the millisecond in UTC,
// every item whole however many share the scratch space.
func TestArrayParams(t *testing.T) {
	at := time.Date(2026, 11, 28, 23, 59, 59, 999_000_000, time.FixedZone("CST", 8*3600))
	keys := []rebate.OrderKey{
		{MerchantID: 18446744073709551615, PlacedAt: at, OrderID: "o-1"},
		{MerchantID: 7, PlacedAt: at.Add(time.Millisecond), OrderID: `it's a \ back`},
		{MerchantID: 0, PlacedAt: time.Unix(0, 0), OrderID: ""},
	}
	for _, c := range []struct{ got, want string }{
		{keyArray(keys), `[('2026-11-28',18446744073709551615,'2026-11-28 15:59:59.999','o-1'),('2026-11-28',7,'2026-11-28 16:00:00.000','it\'s a \\ back'),('1970-01-01',0,'1970-01-01 00:00:00.000','')]`},
		{keyArray(nil), `[]`},
		{uintArray([]uint64{0, 42, 18446744073709551615}), `[0,42,18446744073709551615]`},
		{pairArray([]rebate.UserProduct{{UserID: 1, ProductID: 2}, {UserID: 3, ProductID: 4}}), `[(1,2),(3,4)]`},
		{stringArray([]string{`a'b\c`, "plain", ""}), `['a\'b\\c','plain','']`},
	} {
		if c.got != c.want {
			t.Errorf("got  %s\nwant %s", c.got, c.want)
		}
	}
}
