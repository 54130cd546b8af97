package chlocal_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rebatehq/rebate/embedded/chlocal"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/procstat"
)

// BenchmarkBatchInsert sends 100,000-row batches through clickhouse-go over
// HTTP to the embedded engine, into a table shaped like the event log, alone
// and with a summing materialized view. Bytes are the Native block's size.
//
//	go test -run '^$' -bench BatchInsert -benchtime 20x -count 5 ./chlocal/
func BenchmarkBatchInsert(b *testing.B) {
	ep := chlocaltest.Start(b)
	const rows = 100_000
	// Native bytes per row: DateTime64 8, UInt64 8, UInt32 4, Decimal(18,2) 8,
	// Enum8 1, String of 24 bytes 1+24.
	const rowBytes = 8 + 8 + 4 + 8 + 1 + 25
	for _, view := range []bool{false, true} {
		b.Run(fmt.Sprintf("view=%v", view), func(b *testing.B) {
			db := ep.Database(b)
			conn := ep.Open(b, db)
			ctx := context.Background()
			ddl := []string{`CREATE TABLE events (ts DateTime64(3, 'UTC'), user_id UInt64, merchant_id UInt32,
				amount Decimal(18,2), kind Enum8('click' = 1, 'order_paid' = 2), event_id String)
				ENGINE = MergeTree ORDER BY (user_id, ts)`}
			if view {
				ddl = append(ddl,
					`CREATE TABLE user_sums (user_id UInt64, n UInt64, amount Decimal(38,2)) ENGINE = SummingMergeTree ORDER BY user_id`,
					`CREATE MATERIALIZED VIEW user_sums_mv TO user_sums AS
						SELECT user_id, count() AS n, sum(amount) AS amount FROM events GROUP BY user_id`)
			}
			for _, q := range ddl {
				if err := conn.Exec(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			amounts := make([]decimal.Decimal, 1000)
			for i := range amounts {
				amounts[i] = decimal.New(int64(i*137+1), -2)
			}
			b.SetBytes(rows * rowBytes)
			start, cpu := time.Now(), procstat.Self() // the engine runs in this process
			n := 0
			for b.Loop() {
				batch, err := conn.PrepareBatch(ctx, "INSERT INTO events")
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < rows; i++ {
					id := n*rows + i
					if err := batch.Append(base.Add(time.Duration(id)*time.Millisecond), uint64(id%50_000), uint32(id%300),
						amounts[id%len(amounts)], int8(1+id%2), fmt.Sprintf("evt-%020d", id)); err != nil {
						b.Fatal(err)
					}
				}
				if err := batch.Send(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n*rows)/time.Since(start).Seconds(), "rows/s")
			b.ReportMetric(procstat.PerMillion(procstat.Self()-cpu, n*rows), "cpu-s/M-rows")
		})
	}
}

// nativeEvents encodes rows of the events table as one Native block at
// revision 0, the way clickhouse-go sends it.
func nativeEvents(rows, offset int) []byte {
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	b := binary.AppendUvarint(nil, 6)
	b = binary.AppendUvarint(b, uint64(rows))
	col := func(name, typ string) {
		b = binary.AppendUvarint(b, uint64(len(name)))
		b = append(b, name...)
		b = binary.AppendUvarint(b, uint64(len(typ)))
		b = append(b, typ...)
	}
	col("ts", "DateTime64(3, 'UTC')")
	for i := 0; i < rows; i++ {
		b = binary.LittleEndian.AppendUint64(b, uint64(base+int64(offset+i)))
	}
	col("user_id", "UInt64")
	for i := 0; i < rows; i++ {
		b = binary.LittleEndian.AppendUint64(b, uint64((offset+i)%50_000))
	}
	col("merchant_id", "UInt32")
	for i := 0; i < rows; i++ {
		b = binary.LittleEndian.AppendUint32(b, uint32((offset+i)%300))
	}
	col("amount", "Decimal(18, 2)")
	for i := 0; i < rows; i++ {
		b = binary.LittleEndian.AppendUint64(b, uint64(((offset+i)%1000)*137+1))
	}
	col("kind", "Enum8('click' = 1, 'order_paid' = 2)")
	for i := 0; i < rows; i++ {
		b = append(b, byte(1+(offset+i)%2))
	}
	col("event_id", "String")
	for i := 0; i < rows; i++ {
		b = append(b, 24)
		b = fmt.Appendf(b, "evt-%020d", offset+i)
	}
	return b
}

// BenchmarkEndpointInsertNative posts pre-encoded Native bodies, so it
// measures the endpoint and the engine without clickhouse-go's encoding.
//
//	go test -run '^$' -bench EndpointInsertNative -benchtime 20x -count 5 ./chlocal/
func BenchmarkEndpointInsertNative(b *testing.B) {
	ep := chlocaltest.Start(b)
	const rows = 100_000
	for _, view := range []bool{false, true} {
		b.Run(fmt.Sprintf("view=%v", view), func(b *testing.B) {
			db := ep.Database(b)
			conn := ep.Open(b, db)
			ctx := context.Background()
			if err := conn.Exec(ctx, `CREATE TABLE events (ts DateTime64(3, 'UTC'), user_id UInt64, merchant_id UInt32,
				amount Decimal(18,2), kind Enum8('click' = 1, 'order_paid' = 2), event_id String)
				ENGINE = MergeTree ORDER BY (user_id, ts)`); err != nil {
				b.Fatal(err)
			}
			if view {
				for _, q := range []string{
					`CREATE TABLE user_sums (user_id UInt64, n UInt64, amount Decimal(38,2)) ENGINE = SummingMergeTree ORDER BY user_id`,
					`CREATE MATERIALIZED VIEW user_sums_mv TO user_sums AS
						SELECT user_id, count() AS n, sum(amount) AS amount FROM events GROUP BY user_id`,
				} {
					if err := conn.Exec(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
			}
			bodies := make([][]byte, 8)
			for i := range bodies {
				bodies[i] = nativeEvents(rows, i*rows)
			}
			u := ep.URL() + "/?" + url.Values{"database": {db}, "query": {"INSERT INTO events FORMAT Native"}}.Encode()
			b.SetBytes(int64(len(bodies[0])))
			start, cpu := time.Now(), procstat.Self() // the engine runs in this process
			n := 0
			for b.Loop() {
				resp, err := http.Post(u, "application/octet-stream", bytes.NewReader(bodies[n%len(bodies)]))
				if err != nil {
					b.Fatal(err)
				}
				msg, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%d %s", resp.StatusCode, msg)
				}
				n++
			}
			b.ReportMetric(float64(n*rows)/time.Since(start).Seconds(), "rows/s")
			b.ReportMetric(procstat.PerMillion(procstat.Self()-cpu, n*rows), "cpu-s/M-rows")
		})
	}
}

// BenchmarkPointQuery posts a point lookup, as the API's queries are:
// one text with a bound parameter ("same text"), and a text new on every
// call ("new text", a comment with a counter), which the fence must parse
// with EXPLAIN AST each time.
//
//	go test -run '^$' -bench PointQuery -benchtime 2000x -count 5 ./embedded/chlocal/
func BenchmarkPointQuery(b *testing.B) {
	ep := chlocaltest.Start(b)
	db := ep.Database(b)
	for _, sql := range []string{
		"CREATE TABLE sums (user_id UInt64, n UInt64) ENGINE = MergeTree ORDER BY user_id SETTINGS index_granularity = 256",
		"INSERT INTO sums SELECT number, number * 3 FROM numbers(100000)",
	} {
		resp, err := http.Post(ep.URL()+"/?database="+db, "text/plain", strings.NewReader(sql))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	for _, fresh := range []bool{false, true} {
		name := "same text"
		if fresh {
			name = "new text"
		}
		b.Run(name, func(b *testing.B) {
			n, cpu := 0, procstat.Self()
			for b.Loop() {
				sql := "SELECT n FROM sums WHERE user_id = {u:UInt64}"
				if fresh {
					sql += fmt.Sprintf(" /* %d */", n)
				}
				u := ep.URL() + "/?" + url.Values{"database": {db}, "param_u": {strconv.Itoa(n % 100000)}}.Encode()
				resp, err := http.Post(u, "text/plain", strings.NewReader(sql))
				if err != nil {
					b.Fatal(err)
				}
				msg, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%d %s", resp.StatusCode, msg)
				}
				n++
			}
			reportCPUPerOp(b, procstat.Self()-cpu, n)
		})
	}
}

// reportCPUPerOp reports the process's CPU per operation: the client, the
// endpoint and the engine together, all in this process.
func reportCPUPerOp(b *testing.B, cpu time.Duration, n int) {
	b.ReportMetric(float64(procstat.PerOp(cpu, n).Nanoseconds())/1e3, "cpu-us/op")
}

// BenchmarkFence measures what the fence adds to a statement, alone: the
// ingester's INSERT (its text repeats, so its judgement is cached), an
// API point query (likewise), and a point query whose text is new each
// time (an EXPLAIN AST round trip to the engine).
//
//	go test -run '^$' -bench Fence -benchtime 2000x -count 5 ./embedded/chlocal/
func BenchmarkFence(b *testing.B) {
	ep := chlocaltest.Start(b)
	insert := "INSERT INTO rebate.events (`event_id`, `type`, `ts`, `user_id`, `merchant_id`, `product_id`, `order_id`, " +
		"`withdrawal_id`, `amount`, `commission`, `placed_at`, `price`, `stock`, `commission_rate`, `kafka_partition`, " +
		"`kafka_offset`) SETTINGS insert_deduplication_token = 'p0-1-100' FORMAT Native"
	point := "SELECT sum(rebate) FROM rebate.user_totals FINAL WHERE user_id = {user_id:UInt64}"
	for _, tc := range []struct {
		name  string
		sql   func(n int) string
		param bool
	}{
		{"ingester insert", func(int) string { return insert }, false},
		{"point query", func(int) string { return point }, true},
		{"point query, new text", func(n int) string { return point + fmt.Sprintf(" /* %d */", n) }, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			n, cpu := 0, procstat.Self()
			for b.Loop() {
				var params map[string]string
				if tc.param {
					params = map[string]string{"user_id": strconv.Itoa(n)}
				}
				if err := chlocal.Fence(ep.Server, tc.sql(n), params); err != nil {
					b.Fatal(err)
				}
				n++
			}
			reportCPUPerOp(b, procstat.Self()-cpu, n)
		})
	}
}
