package clickhouse

import (
	"fmt"
	"math"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rebatehq/rebate"
)

// money converts a Decimal read with scale 2 to cents, exactly. A sum past
// what a Money holds (±92,233,720,368,547,758.07) is an error, never a
// wrapped number: a figure is exact or it is not given.
func money(d decimal.Decimal) (rebate.Money, error) {
	c := d.Shift(2)
	if !c.IsInteger() {
		return 0, fmt.Errorf("decimal %s has more than 2 places", d)
	}
	if b := c.BigInt(); !b.IsInt64() {
		return 0, rebate.Errorf(rebate.ELIMIT, "", "the figure %s is beyond the largest amount this service reports (%s)",
			d.StringFixed(2), rebate.Money(math.MaxInt64))
	}
	return rebate.Money(c.IntPart()), nil
}

func rate(d decimal.Decimal) (rebate.Rate, error) {
	c := d.Shift(4)
	if !c.IsInteger() || c.IsNegative() || c.IntPart() > int64(rebate.RateOne) {
		return 0, fmt.Errorf("decimal %s is not a rate", d)
	}
	return rebate.Rate(c.IntPart()), nil
}

func moneyDecimal(m rebate.Money) decimal.Decimal { return decimal.New(int64(m), -2) }

func rateDecimal(r rebate.Rate) decimal.Decimal { return decimal.New(int64(r), -4) }

// asOf maps the epoch, which max() of no rows gives, to the zero time.
func asOf(t time.Time) time.Time {
	if t.Unix() <= 0 {
		return time.Time{}
	}
	return t.UTC()
}

// moneys converts several decimals, stopping at the first error.
func moneys(out []*rebate.Money, in ...decimal.Decimal) error {
	for i, d := range in {
		m, err := money(d)
		if err != nil {
			return err
		}
		*out[i] = m
	}
	return nil
}
