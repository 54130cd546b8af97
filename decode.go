package rebate

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxEventBytes is the largest event accepted. Events are small; a bigger
// record is a producer bug and would only bloat every batch.
const MaxEventBytes = 64 << 10

// invalid is why an event breaks the contract: field names the first
// offending field ("" when the record as a whole is wrong).
func invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

var rfc3339Re = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$`)

// The contract's times (ts, placed_at) are from MinTime to before MaxTime:
// anything outside is a unit mistake.
var (
	MinTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC) // exclusive
)

// fields holds the raw JSON value of each contract field, by its place in
// Fields.
type fields [maxFields][]byte

func (f *fields) get(field *Field) []byte { return f[field.index] }

// Decode reads one event, as produced to the rebate-events topic, and checks
// it against the contract in docs/events.md. Unknown fields are ignored;
// fields a type does not use are ignored too.
func Decode(data []byte) (Event, error) {
	var e Event
	switch {
	case len(data) > MaxEventBytes:
		return e, invalid("", "event is %d bytes; the limit is %d", len(data), MaxEventBytes)
	case !utf8.Valid(data):
		return e, invalid("", "not valid UTF-8")
	case !json.Valid(data):
		return e, invalid("", "not valid JSON")
	}
	// On the stack: 768 bytes a record, on the heap the ingester's largest
	// allocation per event (issue 15).
	var f fields
	if err := members(data, &f); err != nil {
		return e, err
	}
	for _, field := range commonFields {
		if err := field.decode(f.get(field), &e); err != nil {
			return Event{}, err
		}
	}
	for _, field := range FieldsOf(e.Type) {
		raw := f.get(field)
		if Optional(e.Type, field) && (raw == nil || string(raw) == "null") {
			continue
		}
		if err := field.decode(raw, &e); err != nil {
			return Event{}, err
		}
	}
	if e.Type == UserJoined && e.InviterID == e.UserID {
		return Event{}, invalid(FieldInviterID.Name, "a user cannot invite themselves")
	}
	return e, nil
}

// decode reads the field's raw JSON value (nil when absent) into e.
func (field *Field) decode(raw []byte, e *Event) error {
	var err error
	switch p := field.ptr(e).(type) {
	case *string:
		*p, err = text(raw, field.Name, field.Kind == KindTextOrInt)
	case *EventType:
		var name string
		if name, err = text(raw, field.Name, false); err != nil {
			return err
		}
		var ok bool
		if *p, ok = ParseEventType(name); !ok {
			return invalid(field.Name, "unknown type %q", name)
		}
	case *uint64:
		*p, err = id(raw, field.Name)
	case *time.Time:
		*p, err = timestamp(raw, field.Name)
	case *Money:
		*p, err = money(raw, field.Name)
	case *Rate:
		*p, err = rate(raw, field.Name)
	case *uint32:
		*p, err = stock(raw, field.Name)
	case *uint8:
		*p, err = tier(raw, field.Name)
	}
	return err
}

// members splits a valid JSON object into the raw values of known fields.
func members(data []byte, f *fields) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return invalid("", "not a JSON object")
	}
	i = skipSpace(data, i+1)
	for i < len(data) && data[i] != '}' {
		keyEnd := skipValue(data, i)
		key := data[i:keyEnd]
		i = skipSpace(data, keyEnd)
		i = skipSpace(data, i+1) // ':'
		valEnd := skipValue(data, i)
		if k := fieldIndex(key); k >= 0 {
			if f[k] != nil {
				return invalid(Fields[k].Name, "appears more than once")
			}
			f[k] = data[i:valEnd]
		}
		i = skipSpace(data, valEnd)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	return nil
}

// fieldIndex matches a raw JSON key (with quotes) against the known names,
// exactly: unlike encoding/json, "User_ID" is not user_id.
func fieldIndex(key []byte) int {
	name := key[1 : len(key)-1]
	if strings.IndexByte(string(name), '\\') >= 0 {
		var s string
		if json.Unmarshal(key, &s) != nil {
			return -1
		}
		name = []byte(s)
	}
	for k, field := range Fields {
		if string(name) == field.Name {
			return k
		}
	}
	return -1
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at i; data is valid.
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		for i++; i < len(data); i++ {
			switch data[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return i
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				i = skipValue(data, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(data) && data[i] != ',' && data[i] != '}' && data[i] != ']' &&
		data[i] != ' ' && data[i] != '\t' && data[i] != '\n' && data[i] != '\r' {
		i++
	}
	return i
}

// scalar is a raw value as text: a string's contents or a number's literal.
// absent reports a missing field or null.
func scalar(raw []byte) (s string, quoted, absent bool) {
	if raw == nil || string(raw) == "null" {
		return "", false, true
	}
	if raw[0] != '"' {
		return string(raw), false, false
	}
	if strings.IndexByte(string(raw), '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true, false
	}
	var v string
	_ = json.Unmarshal(raw, &v) // valid JSON: cannot fail
	return v, true, false
}

// text reads a string of 1 to 128 characters without control characters;
// allowInt also takes a JSON integer (for IDs producers may send as numbers).
func text(raw []byte, field string, allowInt bool) (string, error) {
	s, quoted, absent := scalar(raw)
	switch {
	case absent:
		return "", invalid(field, "required")
	case !quoted && !(allowInt && allDigits(s)):
		return "", invalid(field, "must be a string")
	case s == "":
		return "", invalid(field, "must not be empty")
	case utf8.RuneCountInString(s) > 128:
		return "", invalid(field, "longer than 128 characters")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", invalid(field, "contains a control character")
		}
	}
	return s, nil
}

func id(raw []byte, field string) (uint64, error) {
	s, _, absent := scalar(raw)
	if absent {
		return 0, invalid(field, "required")
	}
	if !allDigits(s) || s == "" {
		return 0, invalid(field, "must be an integer >= 1 (a JSON number or a decimal string)")
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, invalid(field, "out of range")
	}
	if v == 0 {
		return 0, invalid(field, "must be >= 1")
	}
	return v, nil
}

func stock(raw []byte, field string) (uint32, error) {
	s, _, absent := scalar(raw)
	if absent {
		return 0, invalid(field, "required")
	}
	if !allDigits(s) || s == "" {
		return 0, invalid(field, "must be an integer >= 0")
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, invalid(field, "out of range (at most 4294967295)")
	}
	return uint32(v), nil
}

func tier(raw []byte, field string) (uint8, error) {
	s, _, absent := scalar(raw)
	if absent {
		return 0, invalid(field, "required")
	}
	v, err := strconv.ParseUint(s, 10, 8)
	if !allDigits(s) || s == "" || err != nil || v > MaxTier {
		return 0, invalid(field, "must be an integer from 0 to %d", MaxTier)
	}
	return uint8(v), nil
}

func money(raw []byte, field string) (Money, error) {
	s, _, absent := scalar(raw)
	if absent {
		return 0, invalid(field, "required")
	}
	m, err := ParseMoney(s)
	if err != nil {
		return 0, invalid(field, "%v (want a decimal from 0 to 1000000000000 with at most 2 places, like \"12.30\")", err)
	}
	return m, nil
}

func rate(raw []byte, field string) (Rate, error) {
	s, _, absent := scalar(raw)
	if absent {
		return 0, invalid(field, "required")
	}
	r, err := ParseRate(s)
	if err != nil {
		return 0, invalid(field, "%v (want a decimal from 0 to 1 with at most 4 places)", err)
	}
	return r, nil
}

// timestamp reads RFC 3339 (fraction optional) or epoch milliseconds, and
// keeps millisecond precision, the precision stored.
func timestamp(raw []byte, field string) (time.Time, error) {
	s, quoted, absent := scalar(raw)
	if absent {
		return time.Time{}, invalid(field, "required")
	}
	var t time.Time
	if allDigits(s) && s != "" {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return t, invalid(field, "out of range")
		}
		t = time.UnixMilli(ms).UTC()
	} else if quoted {
		var err error
		// time.Parse alone also takes a comma before the fraction and an
		// offset like +08:60; RFC 3339 does not.
		if !rfc3339Re.MatchString(s) {
			return t, invalid(field, "must be RFC 3339 (like 2026-11-21T10:00:00.123Z) or epoch milliseconds")
		}
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return t, invalid(field, "must be RFC 3339 (like 2026-11-21T10:00:00.123Z) or epoch milliseconds")
		}
		t = t.UTC().Truncate(time.Millisecond)
	} else {
		return t, invalid(field, "must be RFC 3339 (like 2026-11-21T10:00:00.123Z) or epoch milliseconds")
	}
	if t.Before(MinTime) || !t.Before(MaxTime) {
		return t, invalid(field, "out of range (2000-01-01 to 2099-12-31)")
	}
	return t, nil
}
