package rebate_test

import (
	"bytes"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
)

// member is one raw JSON object member: k is written between quotes as is
// (so it may hold escapes), v is raw JSON.
type member struct{ k, v string }

// obj builds test events member by member, in order.
type obj []member

// with replaces k's value, or appends k.
func (o obj) with(k, raw string) obj {
	out := append(obj(nil), o...)
	for i := range out {
		if out[i].k == k {
			out[i].v = raw
			return out
		}
	}
	return append(out, member{k, raw})
}

// add appends k even if it is there already.
func (o obj) add(k, raw string) obj { return append(append(obj(nil), o...), member{k, raw}) }

func (o obj) without(k string) obj {
	var out obj
	for _, m := range o {
		if m.k != k {
			out = append(out, m)
		}
	}
	return out
}

func (o obj) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + m.k + `":` + m.v)
	}
	b.WriteByte('}')
	return b.String()
}

func (o obj) bytes() []byte { return []byte(o.String()) }

// Valid events of each kind.

func clickObj() obj {
	return obj{{"event_id", `"clk-0001"`}, {"type", `"click"`}, {"ts", `"2026-11-21T10:00:00.123Z"`},
		{"user_id", `42`}, {"merchant_id", `7`}, {"product_id", `1001`}}
}

func orderObj(typ string) obj {
	return obj{{"event_id", `"ord-9001-` + typ + `"`}, {"type", `"` + typ + `"`}, {"ts", `"2026-11-21T10:05:00Z"`},
		{"order_id", `"9001"`}, {"user_id", `42`}, {"merchant_id", `7`}, {"product_id", `1001`},
		{"amount", `"129.90"`}, {"commission", `"6.50"`}, {"placed_at", `"2026-11-21T09:59:30Z"`}}
}

func withdrawalObj(typ string) obj {
	return obj{{"event_id", `"wd-77-` + typ + `"`}, {"type", `"` + typ + `"`}, {"ts", `"2026-11-22T08:00:00.5Z"`},
		{"withdrawal_id", `"w-77"`}, {"user_id", `42`}, {"amount", `"50.00"`}}
}

func productObj() obj {
	return obj{{"event_id", `"prd-1001-1"`}, {"type", `"product_updated"`}, {"ts", `1763719200000`},
		{"product_id", `1001`}, {"merchant_id", `7`}, {"price", `"129.90"`}, {"stock", `250`},
		{"commission_rate", `"0.0500"`}}
}

func joinedObj() obj {
	return obj{{"event_id", `"join-42"`}, {"type", `"user_joined"`}, {"ts", `"2026-11-20T08:00:00Z"`},
		{"user_id", `42`}, {"inviter_id", `7`}}
}

func tierObj() obj {
	return obj{{"event_id", `"tier-42-3"`}, {"type", `"user_tier_changed"`}, {"ts", `"2026-11-20T09:00:00Z"`},
		{"user_id", `42`}, {"tier", `3`}}
}

// baseObj is the valid example of t.
func baseObj(t rebate.EventType) obj {
	switch {
	case t == rebate.Click:
		return clickObj()
	case t.IsOrder():
		return orderObj(t.String())
	case t.IsWithdrawal():
		return withdrawalObj(t.String())
	case t == rebate.UserJoined:
		return joinedObj()
	case t == rebate.UserTierChanged:
		return tierObj()
	}
	return productObj()
}

var (
	clickTS   = time.Date(2026, 11, 21, 10, 0, 0, 123e6, time.UTC)
	orderTS   = time.Date(2026, 11, 21, 10, 5, 0, 0, time.UTC)
	placedAt  = time.Date(2026, 11, 21, 9, 59, 30, 0, time.UTC)
	wdTS      = time.Date(2026, 11, 22, 8, 0, 0, 500e6, time.UTC)
	productTS = time.UnixMilli(1763719200000).UTC()
)

func clickEvent() rebate.Event {
	return rebate.Event{ID: "clk-0001", Type: rebate.Click, TS: clickTS, UserID: 42, MerchantID: 7, ProductID: 1001}
}

func orderEvent(t rebate.EventType) rebate.Event {
	return rebate.Event{ID: "ord-9001-" + t.String(), Type: t, TS: orderTS, OrderID: "9001", UserID: 42,
		MerchantID: 7, ProductID: 1001, Amount: 12990, Commission: 650, PlacedAt: placedAt}
}

func withdrawalEvent(t rebate.EventType) rebate.Event {
	return rebate.Event{ID: "wd-77-" + t.String(), Type: t, TS: wdTS, WithdrawalID: "w-77", UserID: 42, Amount: 5000}
}

func productEvent() rebate.Event {
	return rebate.Event{ID: "prd-1001-1", Type: rebate.ProductUpdated, TS: productTS, ProductID: 1001,
		MerchantID: 7, Price: 12990, Stock: 250, CommissionRate: 500}
}

func baseEvent(t rebate.EventType) rebate.Event {
	switch {
	case t == rebate.UserJoined:
		return rebate.Event{ID: "join-42", Type: t, TS: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), UserID: 42, InviterID: 7}
	case t == rebate.UserTierChanged:
		return rebate.Event{ID: "tier-42-3", Type: t, TS: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), UserID: 42, Tier: 3}
	case t == rebate.Click:
		return clickEvent()
	case t.IsOrder():
		return orderEvent(t)
	case t.IsWithdrawal():
		return withdrawalEvent(t)
	}
	return productEvent()
}

// requiredFields are the fields each type must carry, in the order Decode
// checks them.
func requiredFields(t rebate.EventType) []string {
	common := []string{"event_id", "type", "ts"}
	switch {
	case t == rebate.Click:
		return append(common, "user_id", "merchant_id", "product_id")
	case t.IsOrder():
		return append(common, "order_id", "user_id", "merchant_id", "product_id", "amount", "commission", "placed_at")
	case t.IsWithdrawal():
		return append(common, "withdrawal_id", "user_id", "amount")
	case t == rebate.UserJoined:
		return append(common, "user_id") // inviter_id is optional
	case t == rebate.UserTierChanged:
		return append(common, "user_id", "tier")
	}
	return append(common, "product_id", "merchant_id", "price", "stock", "commission_rate")
}

// evEqual compares events, times by instant; both times must be UTC.
func evEqual(a, b rebate.Event) bool {
	if !a.TS.Equal(b.TS) || !a.PlacedAt.Equal(b.PlacedAt) {
		return false
	}
	a.TS, b.TS, a.PlacedAt, b.PlacedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return a == b
}

func mustDecode(t *testing.T, in []byte) rebate.Event {
	t.Helper()
	e, err := rebate.Decode(in)
	if err != nil {
		t.Fatalf("Decode(%.200q): %v", in, err)
	}
	if loc := e.TS.Location(); loc != time.UTC {
		t.Errorf("ts location %v, want UTC", loc)
	}
	if !e.PlacedAt.IsZero() && e.PlacedAt.Location() != time.UTC {
		t.Errorf("placed_at location %v, want UTC", e.PlacedAt.Location())
	}
	return e
}

// wantInvalid asserts that Decode rejects in with a *rebate.Error naming field.
func wantInvalid(t *testing.T, in []byte, field string) {
	t.Helper()
	e, err := rebate.Decode(in)
	if err == nil {
		t.Fatalf("Decode(%.200q) = %+v, nil; want an error on field %q", in, e, field)
	}
	var ve *rebate.Error
	if !errors.As(err, &ve) {
		t.Fatalf("Decode(%.200q): error %T %v, want *rebate.Error", in, err, err)
	}
	if ve.Field != field {
		t.Errorf("Decode(%.200q): Field %q (reason %q), want %q", in, ve.Field, ve.Message, field)
	}
	if ve.Message == "" {
		t.Errorf("Decode(%.200q): empty Reason", in)
	}
	if got := rebate.ErrorCode(err); got != rebate.EINVALID {
		t.Errorf("ErrorCode = %q, want %q", got, rebate.EINVALID)
	}
	want := ve.Message
	if field != "" {
		want = field + ": " + ve.Message
	}
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestDecodeValid(t *testing.T) {
	maxID := rebate.Event{ID: "c", Type: rebate.Click, TS: clickTS, UserID: 18446744073709551615, MerchantID: 1, ProductID: 1}
	tests := []struct {
		name string
		in   string
		want rebate.Event
	}{
		{"click", clickObj().String(), clickEvent()},
		{"order_paid", orderObj("order_paid").String(), orderEvent(rebate.OrderPaid)},
		{"order_settled", orderObj("order_settled").String(), orderEvent(rebate.OrderSettled)},
		{"order_cancelled", orderObj("order_cancelled").String(), orderEvent(rebate.OrderCancelled)},
		{"order_reversed", orderObj("order_reversed").String(), orderEvent(rebate.OrderReversed)},
		{"withdrawal_requested", withdrawalObj("withdrawal_requested").String(), withdrawalEvent(rebate.WithdrawalRequested)},
		{"withdrawal_completed", withdrawalObj("withdrawal_completed").String(), withdrawalEvent(rebate.WithdrawalCompleted)},
		{"withdrawal_failed", withdrawalObj("withdrawal_failed").String(), withdrawalEvent(rebate.WithdrawalFailed)},
		{"product_updated", productObj().String(), productEvent()},

		// Whitespace and member order do not matter.
		{"pretty printed", "\n{\r\n\t\"product_id\" : 1001 ,\n \"type\": \"click\", \"ts\":\"2026-11-21T10:00:00.123Z\",\"merchant_id\":7,\n\"user_id\":42,\"event_id\":\"clk-0001\"\n}\n ",
			clickEvent()},

		// IDs.
		{"ids as decimal strings", clickObj().with("user_id", `"42"`).with("merchant_id", `"7"`).with("product_id", `"1001"`).String(), clickEvent()},
		{"id string with leading zeros", clickObj().with("user_id", `"0042"`).String(), clickEvent()},
		{"id max uint64", clickObj().with("event_id", `"c"`).with("user_id", `18446744073709551615`).with("merchant_id", `1`).with("product_id", `"1"`).String(), maxID},
		{"order_id as integer", orderObj("order_paid").with("order_id", `9001`).String(), orderEvent(rebate.OrderPaid)},
		{"withdrawal_id as integer", withdrawalObj("withdrawal_failed").with("withdrawal_id", `77`).String(),
			func() rebate.Event { e := withdrawalEvent(rebate.WithdrawalFailed); e.WithdrawalID = "77"; return e }()},
		{"escaped strings", clickObj().with("event_id", `"a\"b\\c\u00e9\ud83d\ude00"`).String(),
			func() rebate.Event { e := clickEvent(); e.ID = "a\"b\\c\u00e9\U0001F600"; return e }()},
		{"escaped known key", clickObj().without("user_id").add(`user\u005fid`, `42`).String(), clickEvent()},

		// Times.
		{"ts epoch ms number", clickObj().with("ts", `1763719200123`).String(),
			func() rebate.Event { e := clickEvent(); e.TS = time.UnixMilli(1763719200123).UTC(); return e }()},
		{"ts epoch ms string", clickObj().with("ts", `"1763719200123"`).String(),
			func() rebate.Event { e := clickEvent(); e.TS = time.UnixMilli(1763719200123).UTC(); return e }()},
		{"ts nanoseconds truncated", clickObj().with("ts", `"2026-11-21T10:00:00.123999999Z"`).String(), clickEvent()},
		{"ts microseconds truncated", clickObj().with("ts", `"2026-11-21T10:00:00.1239Z"`).String(), clickEvent()},
		{"ts +08:00 to UTC", clickObj().with("ts", `"2026-11-21T18:00:00.123+08:00"`).String(), clickEvent()},
		{"ts -05:30 to UTC", clickObj().with("ts", `"2026-11-21T04:30:00.123-05:30"`).String(), clickEvent()},
		{"ts first instant", clickObj().with("ts", `"2000-01-01T00:00:00Z"`).String(),
			func() rebate.Event { e := clickEvent(); e.TS = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC); return e }()},
		{"ts first epoch ms", clickObj().with("ts", `946684800000`).String(),
			func() rebate.Event { e := clickEvent(); e.TS = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC); return e }()},
		{"ts last instant", clickObj().with("ts", `"2099-12-31T23:59:59.999999Z"`).String(),
			func() rebate.Event {
				e := clickEvent()
				e.TS = time.Date(2099, 12, 31, 23, 59, 59, 999e6, time.UTC)
				return e
			}()},
		{"ts last epoch ms", clickObj().with("ts", `4102444799999`).String(),
			func() rebate.Event {
				e := clickEvent()
				e.TS = time.Date(2099, 12, 31, 23, 59, 59, 999e6, time.UTC)
				return e
			}()},
		{"placed_at epoch ms", orderObj("order_paid").with("placed_at", `1795255170000`).String(), orderEvent(rebate.OrderPaid)},
		{"placed_at with offset", orderObj("order_paid").with("placed_at", `"2026-11-21T17:59:30+08:00"`).String(), orderEvent(rebate.OrderPaid)},

		// Money.
		{"money as JSON number 12.5", orderObj("order_paid").with("amount", `12.5`).with("commission", `0.5`).String(),
			func() rebate.Event { e := orderEvent(rebate.OrderPaid); e.Amount, e.Commission = 1250, 50; return e }()},
		{"money integer", orderObj("order_paid").with("amount", `"129"`).with("commission", `6`).String(),
			func() rebate.Event { e := orderEvent(rebate.OrderPaid); e.Amount, e.Commission = 12900, 600; return e }()},
		{"money zero", orderObj("order_paid").with("amount", `"0"`).with("commission", `0.00`).String(),
			func() rebate.Event { e := orderEvent(rebate.OrderPaid); e.Amount, e.Commission = 0, 0; return e }()},
		{"money max", withdrawalObj("withdrawal_requested").with("amount", `"1000000000000.00"`).String(),
			func() rebate.Event {
				e := withdrawalEvent(rebate.WithdrawalRequested)
				e.Amount = rebate.MaxMoney
				return e
			}()},
		{"money leading zeros", withdrawalObj("withdrawal_requested").with("amount", `"007.50"`).String(),
			func() rebate.Event { e := withdrawalEvent(rebate.WithdrawalRequested); e.Amount = 750; return e }()},

		// Products.
		{"commission_rate number", productObj().with("commission_rate", `0.035`).String(),
			func() rebate.Event { e := productEvent(); e.CommissionRate = 350; return e }()},
		{"commission_rate 1", productObj().with("commission_rate", `1`).String(),
			func() rebate.Event { e := productEvent(); e.CommissionRate = rebate.RateOne; return e }()},
		{"commission_rate 0", productObj().with("commission_rate", `"0"`).String(),
			func() rebate.Event { e := productEvent(); e.CommissionRate = 0; return e }()},
		{"stock 0", productObj().with("stock", `0`).String(),
			func() rebate.Event { e := productEvent(); e.Stock = 0; return e }()},
		{"stock max as string", productObj().with("stock", `"4294967295"`).String(),
			func() rebate.Event { e := productEvent(); e.Stock = 4294967295; return e }()},

		// Unknown fields and fields the type does not use.
		{"unknown fields ignored", clickObj().add("source", `"app"`).add("meta", `{"user_id":0,"x":[1,{"y":"}"}]}`).
			add("tags", `["a","b"]`).add("n", `-1.5e3`).add("b", `true`).add("z", `null`).add("source", `"dup"`).String(), clickEvent()},
		{"click with malformed amount", clickObj().with("amount", `"12.345x"`).with("order_id", `{}`).with("placed_at", `"yesterday"`).with("stock", `-1`).String(), clickEvent()},
		{"withdrawal ignores product fields", withdrawalObj("withdrawal_completed").with("product_id", `0`).with("commission", `"-1"`).String(), withdrawalEvent(rebate.WithdrawalCompleted)},
		{"product ignores user_id", productObj().with("user_id", `"abc"`).with("amount", `1e9`).String(), productEvent()},
		{"null unused field", clickObj().with("amount", `null`).String(), clickEvent()},
		{"differently cased key ignored", clickObj().add("User_ID", `0`).String(), clickEvent()},

		// Lengths count characters, not bytes.
		{"event_id 128 multi-byte chars", clickObj().with("event_id", `"`+strings.Repeat("é", 128)+`"`).String(),
			func() rebate.Event { e := clickEvent(); e.ID = strings.Repeat("é", 128); return e }()},
		{"event_id 128 four-byte chars", clickObj().with("event_id", `"`+strings.Repeat("😀", 128)+`"`).String(),
			func() rebate.Event { e := clickEvent(); e.ID = strings.Repeat("😀", 128); return e }()},
		{"event_id 128 ascii", clickObj().with("event_id", `"`+strings.Repeat("a", 128)+`"`).String(),
			func() rebate.Event { e := clickEvent(); e.ID = strings.Repeat("a", 128); return e }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustDecode(t, []byte(tt.in))
			if !evEqual(got, tt.want) {
				t.Errorf("Decode(%.200q)\n got  %+v\n want %+v", tt.in, got, tt.want)
			}
			if got.TS.Nanosecond()%int(time.Millisecond) != 0 {
				t.Errorf("ts %v not truncated to milliseconds", got.TS)
			}
		})
	}
}

func TestDecodeSizeLimit(t *testing.T) {
	pad := func(total int) []byte {
		base := clickObj().add("pad", `""`).String()
		n := total - len(base)
		return []byte(clickObj().add("pad", `"`+strings.Repeat("a", n)+`"`).String())
	}
	exact := pad(rebate.MaxEventBytes)
	if len(exact) != rebate.MaxEventBytes {
		t.Fatalf("padding: %d bytes", len(exact))
	}
	if e := mustDecode(t, exact); !evEqual(e, clickEvent()) {
		t.Errorf("64 KiB event: %+v", e)
	}
	wantInvalid(t, pad(rebate.MaxEventBytes+1), "")
	wantInvalid(t, pad(1<<20), "")
}

func TestDecodeInvalid(t *testing.T) {
	click := clickObj()
	order := orderObj("order_settled")
	wd := withdrawalObj("withdrawal_requested")
	prod := productObj()
	valid := click.String()
	tests := []struct {
		name  string
		in    string
		field string
		fixed string // a bug review found; the case keeps it fixed
	}{
		// The record as a whole.
		{name: "empty", in: "", field: ""},
		{name: "whitespace", in: " \n", field: ""},
		{name: "invalid UTF-8 in a string", in: `{"event_id":"clk-` + "\xff\xfe" + `","type":"click","ts":1763719200000,"user_id":1,"merchant_id":1,"product_id":1}`, field: ""},
		{name: "invalid UTF-8 in an unknown field", in: click.add("note", "\"\xc3\x28\"").String(), field: ""},
		{name: "invalid UTF-8 in a key", in: click.add("\xed\xa0\x80", `1`).String(), field: ""},
		{name: "truncated JSON", in: valid[:len(valid)-1], field: ""},
		{name: "truncated mid-value", in: valid[:len(valid)/2], field: ""},
		{name: "trailing garbage", in: valid + "x", field: ""},
		{name: "two objects", in: valid + valid, field: ""},
		{name: "trailing comma", in: valid[:len(valid)-1] + ",}", field: ""},
		{name: "single quotes", in: `{'event_id':'x'}`, field: ""},
		{name: "JSON array", in: "[" + valid + "]", field: ""},
		{name: "JSON string", in: `"click"`, field: ""},
		{name: "JSON number", in: `42`, field: ""},
		{name: "JSON null", in: `null`, field: ""},
		{name: "JSON true", in: `true`, field: ""},

		// A known field appearing twice.
		{name: "duplicate user_id", in: click.add("user_id", `42`).String(), field: "user_id"},
		{name: "duplicate event_id", in: click.add("event_id", `"clk-0002"`).String(), field: "event_id"},
		{name: "duplicate via escaped key", in: click.add(`user\u005fid`, `42`).String(), field: "user_id"},
		{name: "duplicate field the type does not use", in: click.add("amount", `"1.00"`).add("amount", `"1.00"`).String(), field: "amount"},
		{name: "duplicate null", in: click.add("ts", `null`).String(), field: "ts"},

		// Exact names: "User_ID" is not user_id, which is then missing.
		{name: "User_ID", in: click.without("user_id").add("User_ID", `42`).String(), field: "user_id"},
		{name: "TYPE", in: click.without("type").add("TYPE", `"click"`).String(), field: "type"},
		{name: "Event_Id", in: click.without("event_id").add("Event_Id", `"x"`).String(), field: "event_id"},

		// type.
		{name: "missing type", in: click.without("type").String(), field: "type"},
		{name: "unknown type", in: click.with("type", `"refund"`).String(), field: "type"},
		{name: "type wrong case", in: click.with("type", `"Click"`).String(), field: "type"},
		{name: "type empty", in: click.with("type", `""`).String(), field: "type"},
		{name: "type number", in: click.with("type", `1`).String(), field: "type"},
		{name: "type null", in: click.with("type", `null`).String(), field: "type"},

		// event_id.
		{name: "event_id missing", in: click.without("event_id").String(), field: "event_id"},
		{name: "event_id null", in: click.with("event_id", `null`).String(), field: "event_id"},
		{name: "event_id empty", in: click.with("event_id", `""`).String(), field: "event_id"},
		{name: "event_id number", in: click.with("event_id", `123`).String(), field: "event_id"},
		{name: "event_id object", in: click.with("event_id", `{"a":1}`).String(), field: "event_id"},
		{name: "event_id 129 ascii", in: click.with("event_id", `"`+strings.Repeat("a", 129)+`"`).String(), field: "event_id"},
		{name: "event_id 129 multi-byte", in: click.with("event_id", `"`+strings.Repeat("é", 129)+`"`).String(), field: "event_id"},
		{name: "event_id 129 escaped", in: click.with("event_id", `"`+strings.Repeat(`\u00e9`, 129)+`"`).String(), field: "event_id"},
		{name: "event_id newline", in: click.with("event_id", `"clk\n1"`).String(), field: "event_id"},
		{name: "event_id tab", in: click.with("event_id", `"clk\t1"`).String(), field: "event_id"},
		{name: "event_id NUL", in: click.with("event_id", `"clk\u00001"`).String(), field: "event_id"},
		{name: "event_id DEL", in: click.with("event_id", "\"clk\x7f1\"").String(), field: "event_id"},
		{name: "event_id C1 control U+0085", in: click.with("event_id", `"clk\u00851"`).String(), field: "event_id",
			fixed: "U+0080..U+009F (Unicode Cc controls) are accepted: text() only rejects < 0x20 and 0x7f"},

		// ts.
		{name: "ts missing", in: click.without("ts").String(), field: "ts"},
		{name: "ts null", in: click.with("ts", `null`).String(), field: "ts"},
		{name: "ts 1999", in: click.with("ts", `"1999-12-31T23:59:59.999Z"`).String(), field: "ts"},
		{name: "ts 1999 in UTC via offset", in: click.with("ts", `"2000-01-01T00:30:00+01:00"`).String(), field: "ts"},
		{name: "ts 2100", in: click.with("ts", `"2100-01-01T00:00:00Z"`).String(), field: "ts"},
		{name: "ts epoch ms before 2000", in: click.with("ts", `946684799999`).String(), field: "ts"},
		{name: "ts epoch ms 2100", in: click.with("ts", `4102444800000`).String(), field: "ts"},
		{name: "ts epoch seconds", in: click.with("ts", `1763719200`).String(), field: "ts"},
		{name: "ts epoch microseconds", in: click.with("ts", `1763719200000000`).String(), field: "ts"},
		{name: "ts epoch overflow", in: click.with("ts", `"99999999999999999999"`).String(), field: "ts"},
		{name: "ts negative", in: click.with("ts", `-1`).String(), field: "ts"},
		{name: "ts fraction number", in: click.with("ts", `1763719200000.5`).String(), field: "ts"},
		{name: "ts exponent", in: click.with("ts", `1.7637192e12`).String(), field: "ts"},
		{name: "ts date only", in: click.with("ts", `"2026-11-21"`).String(), field: "ts"},
		{name: "ts no zone", in: click.with("ts", `"2026-11-21T10:00:00"`).String(), field: "ts"},
		{name: "ts space separator", in: click.with("ts", `"2026-11-21 10:00:00Z"`).String(), field: "ts"},
		{name: "ts bad month", in: click.with("ts", `"2026-13-21T10:00:00Z"`).String(), field: "ts"},
		{name: "ts empty", in: click.with("ts", `""`).String(), field: "ts"},
		{name: "ts bool", in: click.with("ts", `true`).String(), field: "ts"},
		{name: "ts offset without colon", in: click.with("ts", `"2026-11-21T10:00:00+0800"`).String(), field: "ts"},
		{name: "ts lower-case t and z", in: click.with("ts", `"2026-11-21t10:00:00z"`).String(), field: "ts"},
		{name: "ts comma fraction", in: click.with("ts", `"2026-11-21T10:00:00,123Z"`).String(), field: "ts",
			fixed: "time.Parse accepts a comma before the fraction (not RFC 3339): \"2026-11-21T10:00:00,123Z\" is accepted as 10:00:00.123Z"},
		{name: "ts offset minute 60", in: click.with("ts", `"2026-11-21T10:00:00+08:60"`).String(), field: "ts",
			fixed: "time.Parse accepts offset minutes >= 60 (not RFC 3339): \"2026-11-21T10:00:00+08:60\" is accepted as 01:00:00Z"},

		// IDs.
		{name: "user_id 0", in: click.with("user_id", `0`).String(), field: "user_id"},
		{name: "user_id \"0\"", in: click.with("user_id", `"0"`).String(), field: "user_id"},
		{name: "user_id 12a", in: click.with("user_id", `"12a"`).String(), field: "user_id"},
		{name: "user_id 1.0", in: click.with("user_id", `1.0`).String(), field: "user_id"},
		{name: "user_id 1e3", in: click.with("user_id", `1e3`).String(), field: "user_id"},
		{name: "user_id -1", in: click.with("user_id", `-1`).String(), field: "user_id"},
		{name: "user_id empty string", in: click.with("user_id", `""`).String(), field: "user_id"},
		{name: "user_id spaces", in: click.with("user_id", `" 12"`).String(), field: "user_id"},
		{name: "user_id +12", in: click.with("user_id", `"+12"`).String(), field: "user_id"},
		{name: "user_id overflow", in: click.with("user_id", `18446744073709551616`).String(), field: "user_id"},
		{name: "user_id bool", in: click.with("user_id", `true`).String(), field: "user_id"},
		{name: "user_id array", in: click.with("user_id", `[1]`).String(), field: "user_id"},
		{name: "user_id null", in: click.with("user_id", `null`).String(), field: "user_id"},
		{name: "merchant_id 0", in: order.with("merchant_id", `0`).String(), field: "merchant_id"},
		{name: "product_id missing in product", in: prod.without("product_id").String(), field: "product_id"},

		// order_id and withdrawal_id.
		{name: "order_id empty", in: order.with("order_id", `""`).String(), field: "order_id"},
		{name: "order_id 129", in: order.with("order_id", `"`+strings.Repeat("9", 129)+`"`).String(), field: "order_id"},
		{name: "order_id 129-digit integer", in: order.with("order_id", strings.Repeat("9", 129)).String(), field: "order_id"},
		{name: "order_id fraction", in: order.with("order_id", `9001.5`).String(), field: "order_id"},
		{name: "order_id negative", in: order.with("order_id", `-9001`).String(), field: "order_id"},
		{name: "order_id exponent", in: order.with("order_id", `9e3`).String(), field: "order_id"},
		{name: "order_id bool", in: order.with("order_id", `true`).String(), field: "order_id"},
		{name: "order_id control", in: order.with("order_id", `"90\r01"`).String(), field: "order_id"},
		{name: "withdrawal_id object", in: wd.with("withdrawal_id", `{}`).String(), field: "withdrawal_id"},
		{name: "withdrawal_id null", in: wd.with("withdrawal_id", `null`).String(), field: "withdrawal_id"},

		// Money.
		{name: "amount exponent number", in: order.with("amount", `1.2999e2`).String(), field: "amount"},
		{name: "amount exponent string", in: order.with("amount", `"1e2"`).String(), field: "amount"},
		{name: "amount 12.345", in: order.with("amount", `"12.345"`).String(), field: "amount"},
		{name: "amount 12.345 number", in: order.with("amount", `12.345`).String(), field: "amount"},
		{name: "amount -1.00", in: order.with("amount", `"-1.00"`).String(), field: "amount"},
		{name: "amount -1.00 number", in: order.with("amount", `-1.00`).String(), field: "amount"},
		{name: "amount 1000000000000.01", in: order.with("amount", `"1000000000000.01"`).String(), field: "amount"},
		{name: "amount 1000000000001", in: order.with("amount", `1000000000001`).String(), field: "amount"},
		{name: "amount 16 digits", in: order.with("amount", `"9999999999999999"`).String(), field: "amount"},
		{name: "amount +1", in: order.with("amount", `"+1.00"`).String(), field: "amount"},
		{name: "amount 12.", in: order.with("amount", `"12."`).String(), field: "amount"},
		{name: "amount .5", in: order.with("amount", `".5"`).String(), field: "amount"},
		{name: "amount empty", in: order.with("amount", `""`).String(), field: "amount"},
		{name: "amount space", in: order.with("amount", `" 12.30"`).String(), field: "amount"},
		{name: "amount comma", in: order.with("amount", `"12,30"`).String(), field: "amount"},
		{name: "amount NaN", in: order.with("amount", `"NaN"`).String(), field: "amount"},
		{name: "amount bool", in: order.with("amount", `true`).String(), field: "amount"},
		{name: "amount fullwidth digits", in: order.with("amount", `"１２"`).String(), field: "amount"},
		{name: "amount missing", in: order.without("amount").String(), field: "amount"},
		{name: "commission 12.345", in: order.with("commission", `"12.345"`).String(), field: "commission"},
		{name: "commission null", in: order.with("commission", `null`).String(), field: "commission"},
		{name: "withdrawal amount -1", in: wd.with("amount", `"-1"`).String(), field: "amount"},
		{name: "price exponent", in: prod.with("price", `1e2`).String(), field: "price"},

		// placed_at.
		{name: "placed_at 1999", in: order.with("placed_at", `"1999-06-01T00:00:00Z"`).String(), field: "placed_at"},
		{name: "placed_at bad", in: order.with("placed_at", `"yesterday"`).String(), field: "placed_at"},
		{name: "placed_at missing", in: order.without("placed_at").String(), field: "placed_at"},

		// Products.
		{name: "commission_rate 1.0001", in: prod.with("commission_rate", `"1.0001"`).String(), field: "commission_rate"},
		{name: "commission_rate 5 places", in: prod.with("commission_rate", `0.12345`).String(), field: "commission_rate"},
		{name: "commission_rate negative", in: prod.with("commission_rate", `-0.1`).String(), field: "commission_rate"},
		{name: "commission_rate 2", in: prod.with("commission_rate", `2`).String(), field: "commission_rate"},
		{name: "commission_rate percent", in: prod.with("commission_rate", `"5%"`).String(), field: "commission_rate"},
		{name: "commission_rate 15 digits", in: prod.with("commission_rate", `"999999999999999"`).String(), field: "commission_rate",
			fixed: "parseFixed overflows int64 (999999999999999 * 10^4); ParseRate returns 55536 (5.5536) with no error"},
		{name: "stock -1", in: prod.with("stock", `-1`).String(), field: "stock"},
		{name: "stock 4294967296", in: prod.with("stock", `4294967296`).String(), field: "stock"},
		{name: "stock 1.5", in: prod.with("stock", `1.5`).String(), field: "stock"},
		{name: "stock empty", in: prod.with("stock", `""`).String(), field: "stock"},
		{name: "stock missing", in: prod.without("stock").String(), field: "stock"},
		{name: "inviter is the user", in: joinedObj().with("inviter_id", `42`).String(), field: "inviter_id"},
		{name: "inviter 0", in: joinedObj().with("inviter_id", `0`).String(), field: "inviter_id"},
		{name: "inviter not an id", in: joinedObj().with("inviter_id", `"x"`).String(), field: "inviter_id"},
		{name: "tier 10", in: tierObj().with("tier", `10`).String(), field: "tier"},
		{name: "tier -1", in: tierObj().with("tier", `-1`).String(), field: "tier"},
		{name: "tier 1.5", in: tierObj().with("tier", `1.5`).String(), field: "tier"},
		{name: "tier missing", in: tierObj().without("tier").String(), field: "tier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantInvalid(t, []byte(tt.in), tt.field)
		})
	}
}

// Every required field of every type, missing or null, is named.
func TestDecodeRequired(t *testing.T) {
	for _, typ := range rebate.EventTypes() {
		for _, f := range requiredFields(typ) {
			t.Run(typ.String()+"/"+f, func(t *testing.T) {
				wantInvalid(t, baseObj(typ).without(f).bytes(), f)
				wantInvalid(t, baseObj(typ).with(f, `null`).bytes(), f)
			})
		}
	}
}

// Each type checks only its own fields; the first broken one is reported.
func TestDecodeFieldOrder(t *testing.T) {
	// Everything broken: the common fields come first, in order.
	in := orderObj("order_paid").with("event_id", `""`).with("type", `"x"`).with("ts", `0`).with("amount", `"-1"`)
	wantInvalid(t, in.bytes(), "event_id")
	wantInvalid(t, in.with("event_id", `"e"`).bytes(), "type")
	wantInvalid(t, in.with("event_id", `"e"`).with("type", `"order_paid"`).bytes(), "ts")
	wantInvalid(t, in.with("event_id", `"e"`).with("type", `"order_paid"`).with("ts", `1763719200000`).bytes(), "amount")
}

// On error the returned Event is documented nowhere, but the final check
// returns Event{}; the early returns do not.
func TestDecodeErrorReturnsZeroEvent(t *testing.T) {
	for _, in := range []obj{
		clickObj().with("type", `"refund"`),
		clickObj().with("ts", `"1999-01-01T00:00:00Z"`),
		clickObj().with("user_id", `0`),
	} {
		e, err := rebate.Decode(in.bytes())
		if err == nil {
			t.Fatalf("Decode(%s) accepted", in)
		}
		if e != (rebate.Event{}) {
			t.Errorf("Decode(%s) returns a non-zero Event %+v with error %v", in, e, err)
		}
	}
}

var jsonBlock = regexp.MustCompile("(?s)```json\n(.*?)```")

// The examples in docs/events.md are valid events, one of each type at least.
func TestDecodeEventsDocExamples(t *testing.T) {
	doc, err := os.ReadFile("docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := jsonBlock.FindAllSubmatch(doc, -1)
	if len(blocks) == 0 {
		t.Fatal("no ```json blocks in docs/events.md")
	}
	seen := map[rebate.EventType]bool{}
	for _, b := range blocks {
		e, err := rebate.Decode(bytes.TrimSpace(b[1]))
		if err != nil {
			t.Errorf("docs/events.md example does not decode: %v\n%s", err, b[1])
			continue
		}
		seen[e.Type] = true
	}
	for _, typ := range rebate.EventTypes() {
		if !seen[typ] {
			t.Errorf("docs/events.md has no example of %s", typ)
		}
	}
}
