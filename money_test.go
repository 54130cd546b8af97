package rebate_test

import (
	"math/big"
	"testing"

	"github.com/rebatehq/rebate"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in      string
		want    rebate.Money
		wantErr bool
		fixed   string
	}{
		{in: "0", want: 0},
		{in: "0.0", want: 0},
		{in: "0.00", want: 0},
		{in: "0.1", want: 10},
		{in: "0.01", want: 1},
		{in: "0.10", want: 10},
		{in: "12", want: 1200},
		{in: "12.3", want: 1230},
		{in: "12.30", want: 1230},
		{in: "007.50", want: 750},
		{in: "999999999999.99", want: 99999999999999},
		{in: "1000000000000", want: rebate.MaxMoney},
		{in: "1000000000000.0", want: rebate.MaxMoney},
		{in: "1000000000000.00", want: rebate.MaxMoney},
		{in: "000000000000001", want: 100}, // 15 digits

		{in: "1000000000000.01", wantErr: true},
		{in: "1000000000001", wantErr: true},
		{in: "999999999999999", wantErr: true},
		{in: "99999999999999999999", wantErr: true},
		{in: "12.345", wantErr: true},
		{in: "0.001", wantErr: true},
		{in: "-1.00", wantErr: true},
		{in: "-0", wantErr: true},
		{in: "+1", wantErr: true},
		{in: "1e2", wantErr: true},
		{in: "1E2", wantErr: true},
		{in: "", wantErr: true},
		{in: ".", wantErr: true},
		{in: "12.", wantErr: true},
		{in: ".5", wantErr: true},
		{in: "1.2.3", wantErr: true},
		{in: " 1", wantErr: true},
		{in: "1 ", wantErr: true},
		{in: "1_000", wantErr: true},
		{in: "1,00", wantErr: true},
		{in: "0x10", wantErr: true},
		{in: "NaN", wantErr: true},
		{in: "Inf", wantErr: true},
		{in: "١٢", wantErr: true}, // Arabic-Indic digits
		{in: "0000000000000001", want: 100,
			fixed: "a value <= 1e12 written with more than 15 integer digits (leading zeros) is rejected as \"too large\""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := rebate.ParseMoney(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseMoney(%q) = %d, want an error", tt.in, got)
				}
				if err.Error() == "" {
					t.Errorf("ParseMoney(%q): empty error", tt.in)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseMoney(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    rebate.Rate
		wantErr bool
		fixed   string
	}{
		{in: "0", want: 0},
		{in: "0.0000", want: 0},
		{in: "1", want: rebate.RateOne},
		{in: "1.0000", want: rebate.RateOne},
		{in: "0.5", want: 5000},
		{in: "0.0350", want: 350},
		{in: "0.035", want: 350},
		{in: "0.0001", want: 1},
		{in: "0.9999", want: 9999},
		{in: "00.25", want: 2500},

		{in: "1.0001", wantErr: true},
		{in: "2", wantErr: true},
		{in: "0.00001", wantErr: true},
		{in: "-0.1", wantErr: true},
		{in: "1e-2", wantErr: true},
		{in: "", wantErr: true},
		{in: ".5", wantErr: true},
		{in: "5%", wantErr: true},
		{in: "9999999999999999", wantErr: true},
		{in: "922337203685477", wantErr: true}, // * 10^4 still fits an int64
		{in: "922337203685478", wantErr: true,
			fixed: "parseFixed overflows int64: 922337203685478 * 10^4 wraps negative, passes the > 1 check; ParseRate returns 4192 (0.4192), nil"},
		{in: "999999999999999", wantErr: true,
			fixed: "parseFixed overflows int64: ParseRate(\"999999999999999\") returns 55536 (5.5536, above RateOne), nil"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := rebate.ParseRate(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseRate(%q) = %d, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseRate(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestMoneyString(t *testing.T) {
	tests := []struct {
		m    rebate.Money
		want string
	}{
		{0, "0.00"},
		{1, "0.01"},
		{10, "0.10"},
		{99, "0.99"},
		{100, "1.00"},
		{1230, "12.30"},
		{750, "7.50"},
		{99999999999999, "999999999999.99"},
		{rebate.MaxMoney, "1000000000000.00"},
		{-5, "-0.05"},
		{-1230, "-12.30"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("Money(%d).String() = %q, want %q", int64(tt.m), got, tt.want)
		}
		if tt.m >= 0 {
			if back, err := rebate.ParseMoney(tt.m.String()); err != nil || back != tt.m {
				t.Errorf("ParseMoney(%q) = %d, %v; want %d", tt.m.String(), back, err, tt.m)
			}
		}
	}
}

func TestRateString(t *testing.T) {
	tests := []struct {
		r    rebate.Rate
		want string
	}{
		{0, "0.0000"},
		{1, "0.0001"},
		{350, "0.0350"},
		{5000, "0.5000"},
		{9999, "0.9999"},
		{rebate.RateOne, "1.0000"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("Rate(%d).String() = %q, want %q", uint16(tt.r), got, tt.want)
		}
		if back, err := rebate.ParseRate(tt.want); err != nil || back != tt.r {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", tt.want, back, err, tt.r)
		}
	}
}

func TestRebate(t *testing.T) {
	tests := []struct {
		commission rebate.Money
		share      rebate.Rate
		want       rebate.Money
	}{
		{0, 5000, 0},
		{1230, 0, 0},
		{3, 5000, 1},      // 0.03 * 0.5000 = 0.015 -> 0.01
		{1, 9999, 0},      // 0.01 * 0.9999 -> 0.00
		{100, 3333, 33},   // 1.00 * 0.3333 = 0.3333 -> 0.33
		{650, 3000, 195},  // 6.50 * 0.3 = 1.95
		{1999, 5000, 999}, // 19.99 * 0.5 = 9.995 -> 9.99
		{1230, rebate.RateOne, 1230},
		{99999999999999, 9999, 99989999999999}, // 999999999999.99 * 0.9999 = 999899999999.990001
		{rebate.MaxMoney, rebate.RateOne, rebate.MaxMoney},
		{rebate.MaxMoney, 9999, 99990000000000},
	}
	for _, tt := range tests {
		if got := rebate.Rebate(tt.commission, tt.share); got != tt.want {
			t.Errorf("Rebate(%s, %s) = %s, want %s", tt.commission, tt.share, got, tt.want)
		}
	}
}

// Rebate is floor(commission * share) over the whole valid domain: checked
// against exact arithmetic on a spread of values, including the extremes.
func TestRebateFloorExact(t *testing.T) {
	commissions := []rebate.Money{0, 1, 2, 3, 7, 99, 101, 12345, 999999, 123456789012, 99999999999999, rebate.MaxMoney - 1, rebate.MaxMoney}
	for _, c := range commissions {
		for s := rebate.Rate(0); s <= rebate.RateOne; s += 37 {
			for _, share := range []rebate.Rate{s, rebate.RateOne} {
				num := new(big.Int).Mul(big.NewInt(int64(c)), big.NewInt(int64(share)))
				want := new(big.Int).Quo(num, big.NewInt(int64(rebate.RateOne))) // non-negative: Quo is floor
				got := rebate.Rebate(c, share)
				if big.NewInt(int64(got)).Cmp(want) != 0 {
					t.Fatalf("Rebate(%d, %d) = %d, want %s", c, share, got, want)
				}
				if got > c {
					t.Fatalf("Rebate(%d, %d) = %d exceeds the commission", c, share, got)
				}
			}
		}
	}
}
