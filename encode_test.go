package rebate_test

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
)

// encodedKeys are the members AppendJSON writes for each type, in order.
func encodedKeys(t rebate.EventType) []string {
	if t == rebate.UserJoined { // the example has an inviter
		return append(requiredFields(t), "inviter_id")
	}
	return requiredFields(t)
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, typ := range rebate.EventTypes() {
		t.Run(typ.String(), func(t *testing.T) {
			e := baseEvent(typ)
			out := rebate.AppendJSON(nil, e)
			if !json.Valid(out) {
				t.Fatalf("AppendJSON: invalid JSON %s", out)
			}
			got := mustDecode(t, out)
			if !evEqual(got, e) {
				t.Errorf("round trip of %s\n got  %+v\n want %+v", out, got, e)
			}

			// Only the type's fields; money and rates as strings.
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(out))
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			want := append([]string(nil), encodedKeys(typ)...)
			sort.Strings(want)
			if strings.Join(keys, ",") != strings.Join(want, ",") {
				t.Errorf("members %v, want %v", keys, want)
			}
			for _, k := range []string{"amount", "commission", "price", "commission_rate", "ts", "placed_at", "event_id", "order_id", "withdrawal_id"} {
				if v, ok := m[k]; ok {
					if _, isString := v.(string); !isString {
						t.Errorf("%s = %v (%T), want a JSON string", k, v, v)
					}
				}
			}
			for _, k := range []string{"user_id", "merchant_id", "product_id", "stock", "inviter_id", "tier"} {
				if v, ok := m[k]; ok {
					if _, isNum := v.(json.Number); !isNum {
						t.Errorf("%s = %v (%T), want a JSON number", k, v, v)
					}
				}
			}
			// The canonical form is a fixed point.
			if again := rebate.AppendJSON(nil, got); !bytes.Equal(again, out) {
				t.Errorf("AppendJSON not stable:\n%s\n%s", out, again)
			}
		})
	}
}

func TestEncodeCanonical(t *testing.T) {
	e := orderEvent(rebate.OrderSettled)
	e.Amount, e.Commission = 1250, 5
	e.TS = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	want := `{"event_id":"ord-9001-order_settled","type":"order_settled","ts":"2026-11-21T10:00:00.000Z",` +
		`"order_id":"9001","user_id":42,"merchant_id":7,"product_id":1001,"amount":"12.50","commission":"0.05",` +
		`"placed_at":"2026-11-21T09:59:30.000Z"}`
	if got := string(rebate.AppendJSON(nil, e)); got != want {
		t.Errorf("AppendJSON\n got  %s\n want %s", got, want)
	}

	p := productEvent()
	p.CommissionRate = 350
	wantP := `{"event_id":"prd-1001-1","type":"product_updated","ts":"2025-11-21T10:00:00.000Z",` +
		`"product_id":1001,"merchant_id":7,"price":"129.90","stock":250,"commission_rate":"0.0350"}`
	if got := string(rebate.AppendJSON(nil, p)); got != wantP {
		t.Errorf("AppendJSON\n got  %s\n want %s", got, wantP)
	}

	// It appends; and a non-UTC time is written in UTC.
	c := clickEvent()
	c.TS = c.TS.In(time.FixedZone("CST", 8*3600))
	got := rebate.AppendJSON([]byte("prefix "), c)
	wantC := `prefix {"event_id":"clk-0001","type":"click","ts":"2026-11-21T10:00:00.123Z","user_id":42,"merchant_id":7,"product_id":1001}`
	if string(got) != wantC {
		t.Errorf("AppendJSON\n got  %s\n want %s", got, wantC)
	}
}

// Decoding any accepted spelling, then encoding, gives the canonical form.
func TestEncodeFromLooseInput(t *testing.T) {
	in := orderObj("order_cancelled").with("order_id", `9001`).with("user_id", `"0042"`).
		with("amount", `129.9`).with("commission", `"006.5"`).with("ts", `"2026-11-21T18:05:00.000999+08:00"`).
		with("placed_at", `1795255170000`).add("extra", `{"a":[1,2]}`)
	e := mustDecode(t, in.bytes())
	if !evEqual(e, orderEvent(rebate.OrderCancelled)) {
		t.Fatalf("Decode = %+v", e)
	}
	want := rebate.AppendJSON(nil, orderEvent(rebate.OrderCancelled))
	if got := rebate.AppendJSON(nil, e); !bytes.Equal(got, want) {
		t.Errorf("AppendJSON\n got  %s\n want %s", got, want)
	}
}

// Strings are escaped so that the output is JSON and decodes to the same ID.
func TestEncodeEscaping(t *testing.T) {
	tests := []struct {
		name, id string
		fixed    string // a bug review found; the case keeps it fixed
	}{
		{name: "quotes and backslash", id: `a"b\c/d`},
		{name: "non-ASCII", id: "订单-é-😀"},
		{name: "HTML", id: "<a>&amp;</a>"},
		{name: "U+2028 line separator", id: "a\u2028b\u2029c"},
		{name: "BOM", id: "\ufeffa"},
		{name: "unassigned BMP", id: "a\u0378b"},
		{name: "lone surrogate replaced", id: "a\ufffdb"},
		{name: "non-printable rune above U+FFFF", id: "a\U000F0000b",
			fixed: "strconv.AppendQuote writes a non-printable rune above U+FFFF (private use U+F0000, tags U+E0001, " +
				"unassigned code points, ...) as Go's \\U000F0000, which is not JSON: " +
				"Decode accepts event_id \"a\\udb80\\udc00b\" but AppendJSON then writes {\"event_id\":\"a\\U000f0000b\",...}, which Decode rejects (\"not valid JSON\")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, typ := range []rebate.EventType{rebate.Click, rebate.OrderPaid, rebate.WithdrawalFailed} {
				e := baseEvent(typ)
				e.ID = tt.id
				e.OrderID = map[bool]string{true: tt.id}[typ.IsOrder()]
				e.WithdrawalID = map[bool]string{true: tt.id}[typ.IsWithdrawal()]
				out := rebate.AppendJSON(nil, e)
				if !json.Valid(out) {
					t.Fatalf("AppendJSON: invalid JSON %s", out)
				}
				if got := mustDecode(t, out); !evEqual(got, e) {
					t.Errorf("round trip of %s\n got  %+v\n want %+v", out, got, e)
				}
			}
		})
	}
}
