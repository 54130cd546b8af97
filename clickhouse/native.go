package clickhouse

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rebatehq/rebate"
)

// The events table's insert block in ClickHouse's Native format, as the
// HTTP interface reads it (revision 0: no block info, no per-column
// serialization byte): the number of columns and rows as varints, then each
// column whole: its name, its type, and its values in the type's binary
// form (little-endian numbers; strings as a varint length and the bytes).
//
// The columns are the contract's (rebate.Fields, in order), then where each
// event came from; a field added to the contract is written as its kind
// says, and a kind or column type this file does not know fails the insert
// rather than writing something the column would misread.

// nativeColumn appends one event's value of a column.
type nativeColumn struct {
	name, typ string
	put       func(b []byte, e *rebate.Event, src rebate.Source) []byte
}

// eventColumns are the columns of events the service writes, or why the
// contract cannot be encoded.
var eventColumns, eventColumnsErr = func() ([]nativeColumn, error) {
	var out []nativeColumn
	for _, f := range rebate.Fields {
		w, err := fieldWriter(f)
		if err != nil {
			return nil, err
		}
		out = append(out, nativeColumn{f.Name, f.Column, w})
	}
	return append(out,
		nativeColumn{"kafka_partition", "Int32", func(b []byte, _ *rebate.Event, src rebate.Source) []byte {
			return binary.LittleEndian.AppendUint32(b, uint32(src.Partition))
		}},
		nativeColumn{"kafka_offset", "Int64", func(b []byte, _ *rebate.Event, src rebate.Source) []byte {
			return binary.LittleEndian.AppendUint64(b, uint64(src.Offset))
		}}), nil
}()

var insertEventsSQL = insertEventsInto("events")

// insertEventsInto is the INSERT of the events' columns into table (events,
// or a table made AS events).
func insertEventsInto(table string) string {
	names := make([]string, len(eventColumns))
	for i, c := range eventColumns {
		names[i] = c.name
	}
	return "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ")"
}

func sourceOf(sources []rebate.Source, i int) rebate.Source {
	if sources == nil {
		return rebate.NoSource
	}
	return sources[i]
}

// fieldWriter encodes a contract field by its kind, checking that the
// column type is the one that binary form is for.
func fieldWriter(f *rebate.Field) (func([]byte, *rebate.Event, rebate.Source) []byte, error) {
	want := map[rebate.FieldKind]string{rebate.KindText: "String", rebate.KindTextOrInt: "String", rebate.KindType: "Enum8(",
		rebate.KindID: "UInt64", rebate.KindTime: "DateTime64(3, 'UTC')", rebate.KindMoney: "Decimal(18, 2)",
		rebate.KindRate: "Decimal(9, 4)", rebate.KindStock: "UInt32", rebate.KindTier: "UInt8"}[f.Kind]
	if want == "" || f.Column != want && !(strings.HasSuffix(want, "(") && strings.HasPrefix(f.Column, want)) {
		return nil, fmt.Errorf("insert events: no Native encoding for field %s (kind %d, column %s)", f.Name, f.Kind, f.Column)
	}
	switch f.Kind {
	case rebate.KindText, rebate.KindTextOrInt:
		get := getter[string](f)
		return func(b []byte, e *rebate.Event, _ rebate.Source) []byte {
			s := get(e)
			b = binary.AppendUvarint(b, uint64(len(s)))
			return append(b, s...)
		}, nil
	case rebate.KindType: // Enum8: the type's number as Int8
		get := getter[rebate.EventType](f)
		return func(b []byte, e *rebate.Event, _ rebate.Source) []byte { return append(b, byte(get(e))) }, nil
	case rebate.KindID:
		get := getter[uint64](f)
		return func(b []byte, e *rebate.Event, _ rebate.Source) []byte {
			return binary.LittleEndian.AppendUint64(b, get(e))
		}, nil
	case rebate.KindTime: // DateTime64(3): Int64 milliseconds since the epoch
		get := getter[time.Time](f)
		return func(b []byte, e *rebate.Event, _ rebate.Source) []byte {
			var ms int64
			if t := get(e); !t.IsZero() { // a time the type does not carry: the epoch
				ms = t.UnixMilli()
			}
			return binary.LittleEndian.AppendUint64(b, uint64(ms))
		}, nil
	case rebate.KindMoney: // Decimal(18, 2): Int64 cents
		get := getter[rebate.Money](f)
		return func(b []byte, e *rebate.Event, _ rebate.Source) []byte {
			return binary.LittleEndian.AppendUint64(b, uint64(get(e)))
		}, nil
	case rebate.KindRate: // Decimal(9, 4): Int32 ten-thousandths
		get := getter[rebate.Rate](f)
		return func(b []byte, e *rebate.Event, _ rebate.Source) []byte {
			return binary.LittleEndian.AppendUint32(b, uint32(get(e)))
		}, nil
	case rebate.KindStock:
		get := getter[uint32](f)
		return func(b []byte, e *rebate.Event, _ rebate.Source) []byte {
			return binary.LittleEndian.AppendUint32(b, get(e))
		}, nil
	case rebate.KindTier:
		get := getter[uint8](f)
		return func(b []byte, e *rebate.Event, _ rebate.Source) []byte { return append(b, get(e)) }, nil
	}
	return nil, fmt.Errorf("insert events: no Native encoding for field %s (kind %d)", f.Name, f.Kind)
}

// getter reads field f of an event as a T. Field.Value, the contract's
// one accessor, returns an interface: a heap allocation for most values,
// two thirds of the encoding's time (measured). So the fields known when
// this was written are read directly; a field added since falls back to
// Field.Value, slower and as correct.
func getter[T any](f *rebate.Field) func(*rebate.Event) T {
	if get, ok := direct[f].(func(*rebate.Event) T); ok {
		return get
	}
	return func(e *rebate.Event) T { return f.Value(e).(T) }
}

var direct = map[*rebate.Field]any{
	rebate.FieldEventID:        func(e *rebate.Event) string { return e.ID },
	rebate.FieldType:           func(e *rebate.Event) rebate.EventType { return e.Type },
	rebate.FieldTS:             func(e *rebate.Event) time.Time { return e.TS },
	rebate.FieldUserID:         func(e *rebate.Event) uint64 { return e.UserID },
	rebate.FieldMerchantID:     func(e *rebate.Event) uint64 { return e.MerchantID },
	rebate.FieldProductID:      func(e *rebate.Event) uint64 { return e.ProductID },
	rebate.FieldOrderID:        func(e *rebate.Event) string { return e.OrderID },
	rebate.FieldWithdrawalID:   func(e *rebate.Event) string { return e.WithdrawalID },
	rebate.FieldAmount:         func(e *rebate.Event) rebate.Money { return e.Amount },
	rebate.FieldCommission:     func(e *rebate.Event) rebate.Money { return e.Commission },
	rebate.FieldPlacedAt:       func(e *rebate.Event) time.Time { return e.PlacedAt },
	rebate.FieldPrice:          func(e *rebate.Event) rebate.Money { return e.Price },
	rebate.FieldStock:          func(e *rebate.Event) uint32 { return e.Stock },
	rebate.FieldCommissionRate: func(e *rebate.Event) rebate.Rate { return e.CommissionRate },
	rebate.FieldInviterID:      func(e *rebate.Event) uint64 { return e.InviterID },
	rebate.FieldTier:           func(e *rebate.Event) uint8 { return e.Tier },
}

// blockPool keeps encoded blocks' buffers between inserts: a
// 100,000-event block is ~12 MB, which would otherwise be allocated anew
// for every batch, and the heap would peak at twice that.
var blockPool sync.Pool

// blockBufs are a block being built: one buffer per column, filled in one
// pass over the events (a pass per column reads every event once per column, and
// 100,000 events do not fit in a cache: measured 40% slower), and the
// block's and each column's header. The body is read from them in turn,
// never copied into one buffer.
type blockBufs struct {
	cols  [][]byte
	heads []byte   // the block's header, then each column's name and type
	segs  [][]byte // what the body reads, in order
}

// nativeBlock is an encoded block, read once as an insert's body. Reads
// stop at release: net/http may still read a request body after the call
// that sent it returned (a cancelled or failed request), and the buffers
// go back to the pool for the next block.
type nativeBlock struct {
	mu   sync.Mutex
	bufs *blockBufs
	seg  int // segment being read
	off  int // offset in it
	done bool
}

var errBlockReleased = errors.New("insert body read after the insert ended")

func (r *nativeBlock) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return 0, errBlockReleased
	}
	n := 0
	for n < len(p) && r.seg < len(r.bufs.segs) {
		m := copy(p[n:], r.bufs.segs[r.seg][r.off:])
		n, r.off = n+m, r.off+m
		if r.off == len(r.bufs.segs[r.seg]) {
			r.seg, r.off = r.seg+1, 0
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// size is the body's length in bytes.
func (r *nativeBlock) size() int {
	n := 0
	for _, s := range r.bufs.segs {
		n += len(s)
	}
	return n
}

// release ends reading and returns the buffers to the pool.
func (r *nativeBlock) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.done {
		r.done = true
		blockPool.Put(r.bufs)
	}
}

// encodeEvents encodes events as one Native block of the events table.
func encodeEvents(events []rebate.Event, sources []rebate.Source) (*nativeBlock, error) {
	if eventColumnsErr != nil {
		return nil, eventColumnsErr
	}
	bufs, _ := blockPool.Get().(*blockBufs)
	if bufs == nil {
		bufs = &blockBufs{cols: make([][]byte, len(eventColumns))}
	}
	cols := bufs.cols
	for c := range cols {
		cols[c] = cols[c][:0]
	}
	for i := range events {
		e, src := &events[i], sourceOf(sources, i)
		for c := range eventColumns {
			cols[c] = eventColumns[c].put(cols[c], e, src)
		}
	}
	// Headers first, then the segments pointing into them: heads does not
	// move once written.
	h := binary.AppendUvarint(bufs.heads[:0], uint64(len(eventColumns)))
	h = binary.AppendUvarint(h, uint64(len(events)))
	ends := make([]int, len(eventColumns)+1)
	ends[0] = len(h)
	for c, col := range eventColumns {
		h = appendString(h, col.name)
		h = appendString(h, col.typ)
		ends[c+1] = len(h)
	}
	bufs.heads = h
	segs := append(bufs.segs[:0], h[:ends[0]])
	for c := range eventColumns {
		segs = append(segs, h[ends[c]:ends[c+1]], cols[c])
	}
	bufs.segs = segs
	return &nativeBlock{bufs: bufs}, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
