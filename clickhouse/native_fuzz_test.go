package clickhouse

import (
	stdbytes "bytes"
	"io"
	"strconv"
	"testing"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"

	"github.com/rebatehq/rebate"
)

// FuzzNativeMatchesDriver: the Native block encodeEvents writes is, byte for
// byte, the block clickhouse-go builds from the same events with Append (the
// insert path before it) and encodes for the HTTP interface (revision 0);
// and clickhouse-go's decoder reads it back as that many rows of those
// columns. Events are built from the fuzzer's values, every field set
// whatever its type carries, times in the contract's range.
//
//	go test -run '^$' -fuzz '^FuzzNativeMatchesDriver$' -fuzztime 30s ./clickhouse/
func FuzzNativeMatchesDriver(f *testing.F) {
	f.Add("e-1", "o-1", "w-1", uint8(1), int64(1_700_000_000_000), int64(1_600_000_000_000), uint64(1), uint64(2), uint64(3),
		int64(1999), int64(-5), int64(0), uint32(7), int32(2500), int32(3), int64(1<<40), uint8(2), uint64(9), uint8(3))
	f.Add("", "é中😀'\\\"\x00", "", uint8(255), int64(-1), int64(0), uint64(1<<64-1), uint64(0), uint64(1<<63),
		int64(1<<63-1), int64(-1<<63), int64(1<<62), uint32(1<<32-1), int32(-1<<31), int32(-1), int64(-1), uint8(200), uint64(1<<64-1), uint8(255))
	f.Fuzz(func(t *testing.T, id, orderID, withdrawalID string, typ uint8, ts, placed int64, user, merchant, product uint64,
		amount, commission, price int64, stock uint32, rate int32, part int32, offset int64, rows uint8, inviter uint64, tier uint8) {
		types := rebate.EventTypes()
		span := rebate.MaxTime.Sub(rebate.MinTime).Milliseconds()
		inRange := func(ms int64) time.Time {
			if ms%7 == 0 {
				return time.Time{} // a time the type does not carry: written as the epoch
			}
			return time.UnixMilli(rebate.MinTime.UnixMilli() + (ms%span+span)%span).UTC()
		}
		n := int(rows % 50)
		events := make([]rebate.Event, n)
		sources := make([]rebate.Source, n)
		for i := range events {
			k := int64(i)
			events[i] = rebate.Event{ID: id + strconv.Itoa(i), Type: types[(int(typ)+i)%len(types)], TS: inRange(ts + k),
				UserID: user + uint64(i), MerchantID: merchant ^ uint64(i), ProductID: product, OrderID: orderID,
				WithdrawalID: withdrawalID, Amount: rebate.Money(amount - k), Commission: rebate.Money(commission + k),
				PlacedAt: inRange(placed - k), Price: rebate.Money(price), Stock: stock + uint32(i), CommissionRate: rebate.Rate(rate),
				InviterID: inviter - uint64(i), Tier: tier + uint8(i)}
			sources[i] = rebate.Source{Partition: part + int32(i), Offset: offset - k}
		}
		var srcs []rebate.Source
		if rows%3 != 0 {
			srcs = sources
		}
		blk, err := encodeEvents(events, srcs)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(blk)
		blk.release()
		if err != nil {
			t.Fatal(err)
		}
		if n, err := blk.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Fatalf("a released block read %d bytes, err %v", n, err)
		}

		want := proto.NewBlock()
		for _, c := range eventColumns {
			if err := want.AddColumn(c.name, column.Type(c.typ)); err != nil {
				t.Fatal(err)
			}
		}
		row := make([]any, len(eventColumns))
		for i := range events {
			for j, f := range rebate.Fields {
				row[j] = appendValue(f.Value(&events[i]))
			}
			src := sourceOf(srcs, i)
			row[len(rebate.Fields)], row[len(rebate.Fields)+1] = src.Partition, src.Offset
			if err := want.Append(row...); err != nil {
				t.Fatal(err)
			}
		}
		var buf chproto.Buffer
		if err := want.Encode(&buf, 0); err != nil {
			t.Fatal(err)
		}
		if !stdbytes.Equal(body, buf.Buf) {
			at := 0
			for at < min(len(body), len(buf.Buf)) && body[at] == buf.Buf[at] {
				at++
			}
			t.Fatalf("Native block of %d events differs from clickhouse-go's at byte %d of %d/%d", n, at, len(body), len(buf.Buf))
		}

		got := proto.NewBlock()
		if err := got.Decode(chproto.NewReader(stdbytes.NewReader(body)), 0); err != nil {
			t.Fatal(err)
		}
		if got.Rows() != n || len(got.Columns) != len(eventColumns) {
			t.Fatalf("decoded %d rows of %d columns, want %d of %d", got.Rows(), len(got.Columns), n, len(eventColumns))
		}
		for i, c := range got.Columns {
			if c.Name() != eventColumns[i].name {
				t.Fatalf("column %d decoded as %s, want %s", i, c.Name(), eventColumns[i].name)
			}
		}
	})
}
