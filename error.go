package rebate

import (
	"errors"
	"fmt"
)

// Error codes. Each transport maps them to its statuses in one place (the
// API: api/errors.go); the ingester decides by them whether to retry.
const (
	EINVALID      = "invalid"       // the input breaks a rule: a field, a parameter, a row the store refuses
	ENOTFOUND     = "not_found"     // no such thing
	ECONFLICT     = "conflict"      // a rule of state forbids it (e.g. a rule in the past)
	ELIMIT        = "limit"         // a query went past a limit set for it (rows, bytes, memory)
	EUNAVAIL      = "unavailable"   // a dependency is down or slow: try again later
	EMISCONFIG    = "misconfigured" // the deployment is wrong (a missing table, no permission): an operator must act
	EINTERNAL     = "internal"      // our fault, or an error of no known kind
	EUNAUTHORIZED = "unauthorized"  // no credentials, or unknown ones
	EFORBIDDEN    = "forbidden"     // known credentials without the right
	ERATELIMITED  = "rate_limited"  // too many requests
	ETOOLARGE     = "too_large"     // a body past its size limit
)

// Error is the domain's error: what went wrong in terms a caller can act
// on, the input at fault if one, and the cause.
type Error struct {
	Code    string
	Field   string // the offending input, if one ("" when the input as a whole is wrong)
	Message string
	Err     error // the cause, if any
	// Upstream is the cause in a dependency's own terms, for a caller who
	// knows it (ad-hoc SQL: ClickHouse's error code and name).
	Upstream *Upstream
}

// Upstream is an error as a dependency named it.
type Upstream struct {
	System string `json:"system"` // "clickhouse"
	Code   int    `json:"code"`
	Name   string `json:"name"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error.
func Errorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error with a cause; the message is msg and the cause's text.
func Wrap(code string, err error, msg string) *Error {
	return &Error{Code: code, Message: msg + ": " + err.Error(), Err: err}
}

// ErrorCode is err's code: "" for nil, EINTERNAL for anything that is not
// an *Error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorField is the input err is about, if it is an *Error that names one.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
