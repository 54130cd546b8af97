package rebate

import (
	"strconv"
	"time"
)

// AppendJSON appends e in the contract's canonical form: money and rates as
// decimal strings, times as RFC 3339 UTC with milliseconds, only the fields
// of e's type. Decode(AppendJSON(nil, e)) == e for a valid e.
func AppendJSON(b []byte, e Event) []byte {
	b = append(b, `{"event_id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"type":"`...)
	b = append(b, e.Type.String()...)
	b = append(b, `","ts":`...)
	b = appendTime(b, e.TS)
	num := func(name string, v uint64) {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = strconv.AppendUint(b, v, 10)
	}
	str := func(name, v string) {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = appendString(b, v)
	}
	switch {
	case e.Type == Click:
		num(fUserID, e.UserID)
		num(fMerchantID, e.MerchantID)
		num(fProductID, e.ProductID)
	case e.Type.IsOrder():
		str(fOrderID, e.OrderID)
		num(fUserID, e.UserID)
		num(fMerchantID, e.MerchantID)
		num(fProductID, e.ProductID)
		str(fAmount, e.Amount.String())
		str(fCommission, e.Commission.String())
		b = append(b, `,"placed_at":`...)
		b = appendTime(b, e.PlacedAt)
	case e.Type.IsWithdrawal():
		str(fWithdrawalID, e.WithdrawalID)
		num(fUserID, e.UserID)
		str(fAmount, e.Amount.String())
	case e.Type == ProductUpdated:
		num(fProductID, e.ProductID)
		num(fMerchantID, e.MerchantID)
		str(fPrice, e.Price.String())
		num(fStock, uint64(e.Stock))
		str(fCommissionRate, e.CommissionRate.String())
	}
	return append(b, '}')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	return append(b, '"')
}

// appendString writes s as a JSON string. Unlike strconv.AppendQuote it never
// uses Go-only escapes (\U0010ffff, \x00), which are not JSON.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
