package rebate

import (
	"strconv"
	"time"
)

// AppendJSON appends e in the contract's canonical form: money and rates as
// decimal strings, times as RFC 3339 UTC with milliseconds, only the fields
// of e's type. Decode(AppendJSON(nil, e)) == e for a valid e.
func AppendJSON(b []byte, e Event) []byte {
	b = append(b, '{')
	for i, f := range commonFields {
		if i > 0 {
			b = append(b, ',')
		}
		b = f.appendJSON(b, &e)
	}
	for _, f := range FieldsOf(e.Type) {
		if Optional(e.Type, f) && f.IsZero(&e) {
			continue
		}
		b = append(b, ',')
		b = f.appendJSON(b, &e)
	}
	return append(b, '}')
}

// appendJSON appends "name":value for the field of e.
func (f *Field) appendJSON(b []byte, e *Event) []byte {
	b = append(b, '"')
	b = append(b, f.Name...)
	b = append(b, '"', ':')
	switch v := f.Value(e).(type) {
	case string:
		return appendString(b, v)
	case EventType:
		return appendString(b, v.String())
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10)
	case time.Time:
		return appendTime(b, v)
	case Money:
		return appendString(b, v.String())
	case Rate:
		return appendString(b, v.String())
	}
	panic("rebate: no JSON form for field " + f.Name)
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
