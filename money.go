package rebate

import (
	"errors"
	"strconv"
	"strings"
)

// Money is an amount in cents. It is never a float: the contract allows at
// most 2 decimal places and ClickHouse stores Decimal(18,2).
type Money int64

// MaxMoney is the largest amount the contract accepts: 1e12.
const MaxMoney Money = 1_000_000_000_000_00

// ParseMoney reads a non-negative decimal with at most 2 places, like "12.30".
func ParseMoney(s string) (Money, error) {
	v, err := parseFixed(s, 2)
	if err != nil {
		return 0, err
	}
	if Money(v) > MaxMoney {
		return 0, errors.New("exceeds 1000000000000")
	}
	return Money(v), nil
}

// String renders m with exactly 2 decimal places, like "12.30".
func (m Money) String() string { return formatFixed(int64(m), 2) }

// Rate is a fraction from 0 to 1 with 4 decimal places, in ten-thousandths.
type Rate uint16

// RateOne is 1.0000.
const RateOne Rate = 10_000

// ParseRate reads a decimal from 0 to 1 with at most 4 places, like "0.0350".
func ParseRate(s string) (Rate, error) {
	v, err := parseFixed(s, 4)
	if err != nil {
		return 0, err
	}
	if v > int64(RateOne) {
		return 0, errors.New("exceeds 1")
	}
	return Rate(v), nil
}

func (r Rate) String() string { return formatFixed(int64(r), 4) }

// Rebate is floor(commission * share) to the cent.
func Rebate(commission Money, share Rate) Money {
	return Money(int64(commission) * int64(share) / int64(RateOne))
}

// parseFixed reads digits[.digits] with at most places decimals into an
// integer scaled by 10^places. No sign, exponent or spaces.
func parseFixed(s string, places int) (int64, error) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || hasDot && frac == "" {
		return 0, errors.New("not a decimal number")
	}
	if len(frac) > places {
		return 0, errors.New("more than " + strconv.Itoa(places) + " decimal places")
	}
	if !allDigits(intPart) || !allDigits(frac) {
		return 0, errors.New("not a plain non-negative decimal number")
	}
	// Scaling must stay inside int64: at most 18 significant digits in all.
	if trimmed := strings.TrimLeft(intPart, "0"); len(trimmed) > 18-places {
		return 0, errors.New("too large")
	}
	v, _ := strconv.ParseInt(intPart, 10, 64)
	for i := 0; i < places; i++ {
		v *= 10
		if i < len(frac) {
			v += int64(frac[i] - '0')
		}
	}
	return v, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func formatFixed(v int64, places int) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	for len(s) <= places {
		s = "0" + s
	}
	s = s[:len(s)-places] + "." + s[len(s)-places:]
	if neg {
		s = "-" + s
	}
	return s
}

// MarshalText makes Money a JSON string like "12.30": exact, never a float.
func (m Money) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a decimal like "12.30"; figures such as an available
// balance may be negative, so a leading minus is taken.
func (m *Money) UnmarshalText(b []byte) error {
	s, neg := strings.CutPrefix(string(b), "-")
	v, err := ParseMoney(s)
	if err != nil {
		return err
	}
	if neg {
		v = -v
	}
	*m = v
	return nil
}

// MarshalText makes Rate a JSON string like "0.0350".
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a decimal like "0.0350".
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
