package rebate_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rebatehq/rebate"
)

// contractFields are the field names a validation error may carry ("" aside).
var contractFields = map[string]bool{
	"event_id": true, "type": true, "ts": true, "user_id": true, "merchant_id": true, "product_id": true,
	"order_id": true, "amount": true, "commission": true, "placed_at": true, "withdrawal_id": true,
	"price": true, "stock": true, "commission_rate": true, "inviter_id": true, "tier": true,
}

var (
	fuzzMinTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	fuzzMaxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC) // exclusive
)

func FuzzDecode(f *testing.F) {
	for _, typ := range rebate.EventTypes() {
		f.Add(baseObj(typ).bytes())
	}
	for _, s := range []string{
		clickObj().with("user_id", `"12a"`).String(),
		clickObj().with("ts", `"1999-12-31T23:59:59Z"`).String(),
		clickObj().with("ts", `"2026-11-21T18:00:00.123456789+08:00"`).String(),
		clickObj().with("event_id", `"a\u00e9\ud83d\ude00\n"`).String(),
		clickObj().add(`user\u005fid`, `1`).String(),
		clickObj().without("user_id").add("User_ID", `1`).String(),
		clickObj().with("amount", `"12.345"`).add("meta", `{"a":[1,"}",{"b":null}]}`).String(),
		orderObj("order_paid").with("order_id", `9001`).with("amount", `12.5`).with("commission", `"1000000000000.01"`).String(),
		orderObj("order_reversed").with("amount", `1e2`).String(),
		orderObj("order_settled").with("placed_at", `"1795255170000"`).with("user_id", `"18446744073709551615"`).String(),
		withdrawalObj("withdrawal_failed").with("amount", `"-1.00"`).String(),
		withdrawalObj("withdrawal_completed").with("withdrawal_id", `null`).String(),
		productObj().with("commission_rate", `1.0001`).with("stock", `4294967296`).String(),
		productObj().with("commission_rate", `"999999999999999"`).String(),
		`[` + clickObj().String() + `]`,
		clickObj().String()[:40],
		`{"event_id":"x","type":"click","ts":"` + "\xff" + `"}`,
		`null`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := rebate.Decode(data)
		recordBad := len(data) > rebate.MaxEventBytes || !utf8.Valid(data) || !json.Valid(data) ||
			bytes.TrimLeft(data, " \t\r\n")[0] != '{'
		if err != nil {
			var ve *rebate.Error
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v, want *rebate.Error", err, err)
			}
			if ve.Message == "" {
				t.Fatalf("empty Reason (Field %q)", ve.Field)
			}
			if ve.Field != "" && !contractFields[ve.Field] {
				t.Fatalf("Field %q is not a contract field", ve.Field)
			}
			if recordBad != (ve.Field == "") {
				t.Fatalf("Field %q (%s), but record-level problem = %v", ve.Field, ve.Message, recordBad)
			}
			if !recordBad {
				if dup := firstDuplicate(t, data); dup != "" && ve.Field != dup {
					t.Fatalf("Field %q (%s), want the duplicate %q", ve.Field, ve.Message, dup)
				}
			}
			return
		}
		if recordBad {
			t.Fatalf("accepted a record that is too big, not UTF-8, not JSON or not an object: %+v", e)
		}
		if dup := firstDuplicate(t, data); dup != "" {
			t.Fatalf("accepted a record where %q appears twice: %+v", dup, e)
		}
		checkEvent(t, e)
		checkAgainstJSON(t, data, e)

		// The canonical form decodes to the same event.
		out := rebate.AppendJSON(nil, e)
		if !json.Valid(out) {
			t.Fatalf("AppendJSON wrote invalid JSON %s for %+v", out, e)
		}
		back, err := rebate.Decode(out)
		if err != nil {
			t.Fatalf("Decode(AppendJSON(e)) = %v\n e   %+v\n out %s", err, e, out)
		}
		if !evEqual(back, e) {
			t.Fatalf("round trip differs\n e    %+v\n back %+v\n out  %s", e, back, out)
		}
	})
}

// checkEvent checks the invariants of an accepted event.
func checkEvent(t *testing.T, e rebate.Event) {
	t.Helper()
	if e.ID == "" || utf8.RuneCountInString(e.ID) > 128 || hasControl(e.ID) {
		t.Fatalf("bad ID %q", e.ID)
	}
	if e.Type < rebate.Click || e.Type > rebate.UserTierChanged {
		t.Fatalf("bad Type %d", e.Type)
	}
	checkTime(t, "ts", e.TS)
	money := func(name string, m rebate.Money) {
		if m < 0 || m > rebate.MaxMoney {
			t.Fatalf("%s = %d out of 0..MaxMoney", name, m)
		}
	}
	money("amount", e.Amount)
	money("commission", e.Commission)
	money("price", e.Price)
	zero := rebate.Event{ID: e.ID, Type: e.Type, TS: e.TS}
	want := zero
	switch {
	case e.Type == rebate.Click:
		want.UserID, want.MerchantID, want.ProductID = e.UserID, e.MerchantID, e.ProductID
		if e.UserID == 0 || e.MerchantID == 0 || e.ProductID == 0 {
			t.Fatalf("zero id in %+v", e)
		}
	case e.Type.IsOrder():
		want.OrderID, want.UserID, want.MerchantID, want.ProductID = e.OrderID, e.UserID, e.MerchantID, e.ProductID
		want.Amount, want.Commission, want.PlacedAt = e.Amount, e.Commission, e.PlacedAt
		if e.UserID == 0 || e.MerchantID == 0 || e.ProductID == 0 {
			t.Fatalf("zero id in %+v", e)
		}
		if e.OrderID == "" || utf8.RuneCountInString(e.OrderID) > 128 || hasControl(e.OrderID) {
			t.Fatalf("bad OrderID %q", e.OrderID)
		}
		checkTime(t, "placed_at", e.PlacedAt)
	case e.Type.IsWithdrawal():
		want.WithdrawalID, want.UserID, want.Amount = e.WithdrawalID, e.UserID, e.Amount
		if e.UserID == 0 {
			t.Fatalf("zero id in %+v", e)
		}
		if e.WithdrawalID == "" || utf8.RuneCountInString(e.WithdrawalID) > 128 || hasControl(e.WithdrawalID) {
			t.Fatalf("bad WithdrawalID %q", e.WithdrawalID)
		}
	case e.Type == rebate.ProductUpdated:
		want.ProductID, want.MerchantID, want.Price, want.Stock, want.CommissionRate =
			e.ProductID, e.MerchantID, e.Price, e.Stock, e.CommissionRate
		if e.MerchantID == 0 || e.ProductID == 0 {
			t.Fatalf("zero id in %+v", e)
		}
		if e.CommissionRate > rebate.RateOne {
			t.Fatalf("commission_rate above 1 accepted: %s", e.CommissionRate)
		}
	case e.Type == rebate.UserJoined:
		want.UserID, want.InviterID = e.UserID, e.InviterID
		if e.UserID == 0 || e.InviterID == e.UserID {
			t.Fatalf("bad member %+v", e)
		}
	case e.Type == rebate.UserTierChanged:
		want.UserID, want.Tier = e.UserID, e.Tier
		if e.UserID == 0 || e.Tier > rebate.MaxTier {
			t.Fatalf("bad tier change %+v", e)
		}
	}
	if e != want {
		t.Fatalf("fields the type does not carry are set: %+v", e)
	}
}

func checkTime(t *testing.T, name string, ts time.Time) {
	t.Helper()
	if ts.Location() != time.UTC {
		t.Fatalf("%s %v not UTC", name, ts)
	}
	if ts.Before(fuzzMinTime) || !ts.Before(fuzzMaxTime) {
		t.Fatalf("%s %v out of bounds", name, ts)
	}
	if ts.Nanosecond()%int(time.Millisecond) != 0 {
		t.Fatalf("%s %v not truncated to milliseconds", name, ts)
	}
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// firstDuplicate is the first contract field whose second occurrence comes
// first among data's top-level members ("" if none); data is a JSON object.
func firstDuplicate(t *testing.T, data []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // '{'
		t.Fatalf("reading %q: %v", data, err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("reading %q: %v", data, err)
		}
		k := tok.(string)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("reading %q: %v", data, err)
		}
		if !contractFields[k] {
			continue
		}
		if seen[k] {
			return k
		}
		seen[k] = true
	}
	return ""
}

// checkAgainstJSON checks an accepted event against an independent reading
// of data with encoding/json and exact arithmetic.
func checkAgainstJSON(t *testing.T, data []byte, e rebate.Event) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("encoding/json rejects an accepted event: %v", err)
	}
	// text is a member's string value, or a number's literal.
	text := func(k string) (string, bool) {
		raw := m[k]
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s, true
		}
		return string(raw), false
	}
	str := func(k, got string) {
		if s, _ := text(k); s != got {
			t.Fatalf("%s = %q, JSON has %s", k, got, m[k])
		}
	}
	integer := func(k string, got uint64) {
		s, _ := text(k)
		v, ok := new(big.Int).SetString(s, 10)
		if !ok || v.Cmp(new(big.Int).SetUint64(got)) != 0 {
			t.Fatalf("%s = %d, JSON has %s", k, got, m[k])
		}
	}
	fixed := func(k string, got int64, scale int64) {
		s, _ := text(k)
		v, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("%s = %d accepted from a non-number %s", k, got, m[k])
		}
		v.Mul(v, new(big.Rat).SetInt64(scale))
		if v.Cmp(new(big.Rat).SetInt64(got)) != 0 {
			t.Fatalf("%s = %d (scaled by %d), JSON has %s", k, got, scale, m[k])
		}
	}
	when := func(k string, got time.Time) {
		s, quoted := text(k)
		var want time.Time
		if ms, err := strconv.ParseUint(s, 10, 63); err == nil && s[0] != '+' {
			want = time.UnixMilli(int64(ms))
		} else if p, err := time.Parse(time.RFC3339Nano, s); quoted && err == nil {
			want = p.Truncate(time.Millisecond)
		} else {
			t.Fatalf("%s = %v accepted from %s", k, got, m[k])
		}
		if !want.Equal(got) {
			t.Fatalf("%s = %v, JSON has %s (%v)", k, got, m[k], want.UTC())
		}
	}

	str("event_id", e.ID)
	str("type", e.Type.String())
	when("ts", e.TS)
	switch {
	case e.Type == rebate.Click:
		integer("user_id", e.UserID)
		integer("merchant_id", e.MerchantID)
		integer("product_id", e.ProductID)
	case e.Type.IsOrder():
		str("order_id", e.OrderID)
		integer("user_id", e.UserID)
		integer("merchant_id", e.MerchantID)
		integer("product_id", e.ProductID)
		fixed("amount", int64(e.Amount), 100)
		fixed("commission", int64(e.Commission), 100)
		when("placed_at", e.PlacedAt)
	case e.Type.IsWithdrawal():
		str("withdrawal_id", e.WithdrawalID)
		integer("user_id", e.UserID)
		fixed("amount", int64(e.Amount), 100)
	case e.Type == rebate.ProductUpdated:
		integer("product_id", e.ProductID)
		integer("merchant_id", e.MerchantID)
		fixed("price", int64(e.Price), 100)
		integer("stock", uint64(e.Stock))
		fixed("commission_rate", int64(e.CommissionRate), 10000)
	}
}
