package rebate

import (
	"errors"
	"fmt"
)

// Error codes, mapped to transport statuses in one place by each transport.
const (
	EINVALID  = "invalid"   // the caller sent something that breaks a rule
	ENOTFOUND = "not_found" // no such thing
	ECONFLICT = "conflict"  // a rule of state forbids it (e.g. a rule in the past)
	EINTERNAL = "internal"  // our fault
	EUNAVAIL  = "unavailable"
)

// Error is a domain error the caller can act on.
type Error struct {
	Code    string
	Field   string // the offending input, if one
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Errorf builds an *Error.
func Errorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode is err's code: EINTERNAL for anything that is not an *Error,
// EINVALID for a *ValidationError.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var v *ValidationError
	if errors.As(err, &v) {
		return EINVALID
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}
