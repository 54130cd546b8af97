package chlocal_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"

	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/testenv"
)

// typedRow holds one value of every type the schema uses.
type typedRow struct {
	U8    uint8
	U16   uint16
	U32   uint32
	U64   uint64
	I64   int64
	F64   float64
	Money decimal.Decimal // Decimal(18,2)
	Rate  decimal.Decimal // Decimal(9,4)
	S     string
	LC    string
	E     string // Enum8
	DT    time.Time
	DT64  time.Time
	D     time.Time
	NS    *string
	NI    *int64
	Arr   []string
	ArrU  []uint64
	M     map[string]uint64
}

const typedDDL = `CREATE TABLE typed (
	u8 UInt8, u16 UInt16, u32 UInt32, u64 UInt64, i64 Int64, f64 Float64,
	money Decimal(18,2), rate Decimal(9,4), s String, lc LowCardinality(String),
	e Enum8('click' = 1, 'order_paid' = 2, 'withdrawal' = -3),
	dt DateTime('UTC'), dt64 DateTime64(3, 'UTC'), d Date,
	ns Nullable(String), ni Nullable(Int64), arr Array(String), arru Array(UInt64),
	m Map(String, UInt64)
) ENGINE = MergeTree ORDER BY u64`

func ptr[T any](v T) *T { return &v }

func typedRows() []typedRow {
	utc := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t.UTC()
	}
	return []typedRow{
		{0, 0, 0, 0, math.MinInt64, 0, decimal.RequireFromString("0.00"), decimal.RequireFromString("0.0000"),
			"", "", "click", utc("1970-01-01T00:00:00Z"), utc("1970-01-01T00:00:00Z"), utc("1970-01-01T00:00:00Z"),
			nil, nil, []string{}, []uint64{}, map[string]uint64{}},
		{math.MaxUint8, math.MaxUint16, math.MaxUint32, math.MaxUint64, math.MaxInt64, -1.5e308,
			decimal.RequireFromString("9999999999999999.99"), decimal.RequireFromString("99999.9999"),
			"quote ' \" back \\ nul \x00 tab \t newline \n 中文 😀", "lc", "withdrawal",
			utc("2106-02-07T06:28:15Z"), utc("2262-04-11T23:47:16.854Z"), utc("2149-06-06T00:00:00Z"),
			ptr("not null"), ptr(int64(-42)), []string{"a", "", "c'd"}, []uint64{1, math.MaxUint64}, map[string]uint64{"k": 1, "": math.MaxUint64}},
		{7, 300, 70000, 1 << 40, -7, math.Inf(1), decimal.RequireFromString("-12.30"), decimal.RequireFromString("0.1234"),
			"plain", "lc2", "order_paid", utc("2026-11-21T10:11:12Z"), utc("2026-11-21T10:11:12.345Z"), utc("2026-11-21T00:00:00Z"),
			ptr(""), nil, []string{"x"}, []uint64{0}, map[string]uint64{"a": 2, "b": 3}},
	}
}

func TestTypesRoundTrip(t *testing.T) {
	ep := chlocaltest.Start(t)
	for _, method := range []clickhouse.CompressionMethod{clickhouse.CompressionNone, clickhouse.CompressionLZ4, clickhouse.CompressionZSTD, clickhouse.CompressionGZIP} {
		t.Run(method.String(), func(t *testing.T) {
			db := ep.Database(t)
			opts := ep.Options(db)
			opts.Compression = &clickhouse.Compression{Method: method}
			if method == clickhouse.CompressionGZIP {
				opts.Settings = clickhouse.Settings{"enable_http_compression": 1}
			}
			conn, err := clickhouse.Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx := context.Background()
			if err := conn.Exec(ctx, typedDDL); err != nil {
				t.Fatal(err)
			}
			want := typedRows()
			slices.SortFunc(want, func(a, b typedRow) int { return cmp.Compare(a.U64, b.U64) })
			batch, err := conn.PrepareBatch(ctx, "INSERT INTO typed")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range want {
				if err := batch.Append(r.U8, r.U16, r.U32, r.U64, r.I64, r.F64, r.Money, r.Rate, r.S, r.LC, r.E,
					r.DT, r.DT64, r.D, r.NS, r.NI, r.Arr, r.ArrU, r.M); err != nil {
					t.Fatal(err)
				}
			}
			if err := batch.Send(); err != nil {
				t.Fatalf("send: %v", err)
			}
			rows, err := conn.Query(ctx, "SELECT * FROM typed ORDER BY u64")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []typedRow
			for rows.Next() {
				var r typedRow
				if err := rows.Scan(&r.U8, &r.U16, &r.U32, &r.U64, &r.I64, &r.F64, &r.Money, &r.Rate, &r.S, &r.LC, &r.E,
					&r.DT, &r.DT64, &r.D, &r.NS, &r.NI, &r.Arr, &r.ArrU, &r.M); err != nil {
					t.Fatal(err)
				}
				r.DT, r.DT64, r.D = r.DT.UTC(), r.DT64.UTC(), r.D.UTC()
				got = append(got, r)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("got %d rows, want %d", len(got), len(want))
			}
			for i := range want {
				w, g := want[i], got[i]
				// Decimals compare by value: the scale comes back as the column's.
				if !w.Money.Equal(g.Money) || !w.Rate.Equal(g.Rate) {
					t.Errorf("row %d decimals: got %s %s, want %s %s", i, g.Money, g.Rate, w.Money, w.Rate)
				}
				w.Money, g.Money, w.Rate, g.Rate = decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
				if !reflect.DeepEqual(w, g) {
					t.Errorf("row %d:\n got %+v\nwant %+v", i, g, w)
				}
			}
		})
	}
}

// TestMaterializedViewMillionRows inserts one batch of 1,000,000 rows into a
// table with a view and checks the view's totals against sums made here.
func TestMaterializedViewMillionRows(t *testing.T) {
	testenv.Long(t, "1M rows")
	ep := chlocaltest.Start(t)
	db := ep.Database(t)
	conn := ep.Open(t, db)
	ctx := context.Background()
	for _, ddl := range []string{
		`CREATE TABLE orders (id UInt64, user_id UInt32, amount Decimal(18,2), ts DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY id`,
		`CREATE TABLE user_totals (user_id UInt32, orders UInt64, amount Decimal(38,2)) ENGINE = SummingMergeTree ORDER BY user_id`,
		`CREATE MATERIALIZED VIEW user_totals_mv TO user_totals AS
			SELECT user_id, count() AS orders, sum(amount) AS amount FROM orders GROUP BY user_id`,
	} {
		if err := conn.Exec(ctx, ddl); err != nil {
			t.Fatal(err)
		}
	}
	const rows, users = 1_000_000, 1000
	rng := rand.New(rand.NewPCG(1, 2))
	wantOrders := make(map[uint32]uint64, users)
	wantCents := make(map[uint32]int64, users)
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO orders")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < rows; i++ {
		user := uint32(rng.IntN(users))
		cents := rng.Int64N(1_000_000_00)
		wantOrders[user]++
		wantCents[user] += cents
		if err := batch.Append(uint64(i), user, decimal.New(cents, -2), base.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if err := batch.Send(); err != nil {
		t.Fatalf("send 1M rows: %v", err)
	}
	t.Logf("1M rows with a view sent in %s", time.Since(start))

	var total uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM orders").Scan(&total); err != nil {
		t.Fatal(err)
	}
	if total != rows {
		t.Fatalf("orders: %d rows, want %d", total, rows)
	}
	got, err := conn.Query(ctx, "SELECT user_id, sum(orders), sum(amount) FROM user_totals GROUP BY user_id")
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	seen := 0
	for got.Next() {
		var user uint32
		var n uint64
		var amount decimal.Decimal
		if err := got.Scan(&user, &n, &amount); err != nil {
			t.Fatal(err)
		}
		seen++
		if want := decimal.New(wantCents[user], -2); n != wantOrders[user] || !amount.Equal(want) {
			t.Errorf("user %d: %d orders, %s; want %d, %s", user, n, amount, wantOrders[user], want)
		}
	}
	if err := got.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(wantOrders) {
		t.Errorf("view has %d users, want %d", seen, len(wantOrders))
	}
}

func TestQueryParameters(t *testing.T) {
	ep := chlocaltest.Start(t)
	db := ep.Database(t)
	conn := ep.Open(t, db)
	ctx := context.Background()
	if err := conn.Exec(ctx, "CREATE TABLE victim (name String) ENGINE = MergeTree ORDER BY name"); err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec(ctx, "INSERT INTO victim VALUES ('alice'), ('bob')"); err != nil {
		t.Fatal(err)
	}
	attacks := []string{
		"'; DROP TABLE victim; --",
		"alice' OR '1'='1",
		"x') UNION ALL SELECT name FROM victim --",
		"{name:String}",
		"\" OR 1=1; --",
		"$$ OR 1=1 $$",
	}
	for _, attack := range attacks {
		pctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"name": attack, "n": "41"}))
		var echoed string
		var n uint64
		if err := conn.QueryRow(pctx, "SELECT {name:String}, {n:UInt64} + 1").Scan(&echoed, &n); err != nil {
			t.Fatalf("%q: %v", attack, err)
		}
		if echoed != attack || n != 42 {
			t.Errorf("echo %q: got %q, %d", attack, echoed, n)
		}
		var matches uint64
		if err := conn.QueryRow(pctx, "SELECT count() FROM victim WHERE name = {name:String}").Scan(&matches); err != nil {
			t.Fatalf("%q: %v", attack, err)
		}
		if matches != 0 {
			t.Errorf("%q matched %d rows: the value was read as SQL", attack, matches)
		}
	}
	var left uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM victim").Scan(&left); err != nil || left != 2 {
		t.Fatalf("victim has %d rows (err %v), want 2", left, err)
	}
	// A value that does not parse as its placeholder's type is the engine's
	// BAD_QUERY_PARAMETER, not a different query.
	pctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"n": "1 OR 1=1"}))
	err := conn.QueryRow(pctx, "SELECT {n:UInt64}").Scan(new(uint64))
	var ex *clickhouse.Exception
	if !errors.As(err, &ex) || ex.Code != 457 {
		t.Fatalf("ill-typed parameter: got %v, want exception 457", err)
	}
}

func TestExceptionCodes(t *testing.T) {
	ep := chlocaltest.Start(t)
	conn := ep.Open(t, ep.Database(t))
	ctx := context.Background()
	for _, tc := range []struct {
		sql  string
		code int32
	}{
		{"SELEC 1", 62},
		{"SELECT * FROM no_such_table", 60},
		{"SELECT no_such_function(1)", 46},
		{"SELECT 1; SELECT 2", 62},
		{"SELECT 1 INTO OUTFILE 'x'", 358},
		{"SELECT throwIf(1)", 395},
	} {
		err := conn.QueryRow(ctx, tc.sql).Scan(new(any))
		var ex *clickhouse.Exception
		if !errors.As(err, &ex) || ex.Code != tc.code {
			t.Errorf("%s: got %v, want exception %d", tc.sql, err, tc.code)
		}
		err = conn.Exec(ctx, tc.sql)
		if !errors.As(err, &ex) || ex.Code != tc.code {
			t.Errorf("exec %s: got %v, want exception %d", tc.sql, err, tc.code)
		}
	}
}

// TestConcurrentClients runs 8 clients at once, each with its own rows,
// database switching and parameters; any cross-talk shows up as a wrong sum.
func TestConcurrentClients(t *testing.T) {
	ep := chlocaltest.Start(t)
	dbs := [2]string{ep.Database(t), ep.Database(t)}
	ctx := context.Background()
	for _, db := range dbs {
		if err := ep.Open(t, db).Exec(ctx, "CREATE TABLE shared (client UInt8, v UInt64) ENGINE = MergeTree ORDER BY (client, v)"); err != nil {
			t.Fatal(err)
		}
	}
	const clients, rounds, rowsPerRound = 8, 10, 5000
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := clickhouse.Open(ep.Options(dbs[c%2]))
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			var want uint64
			for r := 0; r < rounds; r++ {
				batch, err := conn.PrepareBatch(ctx, "INSERT INTO shared")
				if err != nil {
					errs <- err
					return
				}
				for i := 0; i < rowsPerRound; i++ {
					v := uint64(c*1_000_000 + r*rowsPerRound + i)
					want += v
					if err := batch.Append(uint8(c), v); err != nil {
						errs <- err
						return
					}
				}
				if err := batch.Send(); err != nil {
					errs <- fmt.Errorf("client %d round %d: %w", c, r, err)
					return
				}
				pctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"c": fmt.Sprint(c)}))
				var n, sum uint64
				var echoed uint8
				if err := conn.QueryRow(pctx, "SELECT count(), sum(v), {c:UInt8} FROM shared WHERE client = {c:UInt8}").Scan(&n, &sum, &echoed); err != nil {
					errs <- err
					return
				}
				if n != uint64((r+1)*rowsPerRound) || sum != want || echoed != uint8(c) {
					errs <- fmt.Errorf("client %d round %d: count %d sum %d param %d; want %d %d %d", c, r, n, sum, echoed, (r+1)*rowsPerRound, want, c)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, db := range dbs {
		var n uint64
		if err := ep.Open(t, db).QueryRow(ctx, "SELECT count() FROM shared").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := uint64(clients / 2 * rounds * rowsPerRound); n != want {
			t.Errorf("database %d: %d rows, want %d", i, n, want)
		}
	}
}
