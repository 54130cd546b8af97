package clickhouse

import (
	"testing"

	"github.com/rebatehq/rebate"
)

// TestNativeKnowsItsColumns: a contract field whose column type is not the
// one its kind's binary form is for is refused, not written misread.
func TestNativeKnowsItsColumns(t *testing.T) {
	for _, f := range []*rebate.Field{
		{Name: "ts2", Kind: rebate.KindTime, Column: "DateTime64(6, 'UTC')"},
		{Name: "amount2", Kind: rebate.KindMoney, Column: "Decimal(38, 2)"},
		{Name: "n", Kind: rebate.FieldKind(99), Column: "UInt8"},
	} {
		if _, err := fieldWriter(f); err == nil {
			t.Errorf("field %s %s of kind %d: encoded", f.Name, f.Column, f.Kind)
		}
	}
	if eventColumnsErr != nil {
		t.Fatal(eventColumnsErr)
	}
}
