package clickhouse_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
)

// TestNativeStoresWhatAppendStored: the same events inserted through the
// Native block and through clickhouse-go's Append (the path before it) leave
// every table of the schema, the events table and each view's, with the
// same rows: every type of the contract, fields a type does not carry,
// extreme values, with and without Kafka positions and tokens.
func TestNativeStoresWhatAppendStored(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: 5, Users: 60, Merchants: 8, Products: 20, Orders: 300, Clicks: 400,
		Withdrawals: 80, ProductUpdates: 60, DuplicateRate: 0.1, Now: now})
	events := append(stream.Events, extremeEvents(now)...)
	half := len(events) / 2
	sources := make([]rebate.Source, half)
	for i := range sources {
		sources[i] = rebate.Source{Partition: int32(i % 7), Offset: int64(i) << 33}
	}
	ctx := context.Background()
	dbs := [2]*clickhouse.DB{}
	for i, insert := range []func(*clickhouse.DB) func(context.Context, []rebate.Event, []rebate.Source, string) error{
		func(db *clickhouse.DB) func(context.Context, []rebate.Event, []rebate.Source, string) error {
			return db.InsertEventsAppend
		},
		func(db *clickhouse.DB) func(context.Context, []rebate.Event, []rebate.Source, string) error {
			return db.InsertEvents
		},
	} {
		db, _ := clickhousetest.OpenStore(t, clickhousetest.Migrated(t))
		// The views' columns derived from the time a row was stored
		// (order_identity.first) must agree: one clock for both databases.
		if err := db.Conn().Exec(ctx, "ALTER TABLE events MODIFY COLUMN ingested_at DateTime64(3, 'UTC') DEFAULT toDateTime64('2026-01-02 03:04:05.678', 3, 'UTC')"); err != nil {
			t.Fatal(err)
		}
		if err := db.Conn().Exec(ctx, "ALTER TABLE events REMOVE TTL"); err != nil { // the extremes are from 2000
			t.Fatal(err)
		}
		// Merges would fold rows at different moments in the two databases.
		for _, table := range tables(t, db) {
			if err := db.Conn().Exec(ctx, "SYSTEM STOP MERGES "+table); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.InsertRules(ctx, stream.Rules); err != nil {
			t.Fatal(err)
		}
		if err := insert(db)(ctx, events[:half], sources, "tok-1"); err != nil {
			t.Fatal(err)
		}
		if err := insert(db)(ctx, events[half:], nil, ""); err != nil {
			t.Fatal(err)
		}
		dbs[i] = db
	}
	names := tables(t, dbs[0])
	if !slices.Contains(names, "events") || len(names) < 5 {
		t.Fatalf("tables %v: want events and the views' tables", names)
	}
	for _, table := range names {
		appended, native := tableRows(t, dbs[0], table), tableRows(t, dbs[1], table)
		if appended != native {
			t.Errorf("table %s differs:\nAppend: %.2000s\nNative: %.2000s", table, appended, native)
		}
		// Copies of an event_id in one insert are folded as it is stored.
		if want := distinct(events[:half]) + distinct(events[half:]); table == "events" && strings.Count(appended, "\n") != want {
			t.Errorf("events has %d rows, want %d", strings.Count(appended, "\n"), want)
		}
	}
}

// extremeEvents are valid events at the edges of every field's range.
func extremeEvents(now time.Time) []rebate.Event {
	return []rebate.Event{
		{ID: "x-max-order", Type: rebate.OrderPaid, TS: rebate.MaxTime.Add(-time.Millisecond), UserID: 1<<64 - 1, MerchantID: 1<<64 - 1,
			ProductID: 1<<64 - 1, OrderID: strings.Repeat("é", 128), Amount: rebate.MaxMoney, Commission: rebate.MaxMoney, PlacedAt: rebate.MinTime},
		{ID: "x-min-withdrawal", Type: rebate.WithdrawalFailed, TS: rebate.MinTime, UserID: 1, WithdrawalID: "w\u2028'\"\\", Amount: 1},
		{ID: "x-product", Type: rebate.ProductUpdated, TS: now, ProductID: 1, MerchantID: 1, Price: 0, Stock: 1<<32 - 1, CommissionRate: rebate.RateOne},
		{ID: "x-product-zero", Type: rebate.ProductUpdated, TS: now, ProductID: 2, MerchantID: 1, Price: rebate.MaxMoney},
		{ID: strings.Repeat("z", 128), Type: rebate.Click, TS: now, UserID: 2, MerchantID: 3, ProductID: 4},
		{ID: "x-joined", Type: rebate.UserJoined, TS: now, UserID: 1<<64 - 1, InviterID: 1<<64 - 2},
		{ID: "x-joined-alone", Type: rebate.UserJoined, TS: now, UserID: 5},
		{ID: "x-tier-max", Type: rebate.UserTierChanged, TS: now, UserID: 5, Tier: rebate.MaxTier},
		{ID: "x-tier-0", Type: rebate.UserTierChanged, TS: now, UserID: 6},
	}
}

// tables lists the schema's MergeTree tables but the leaderboard (a
// snapshot stamped with the time it was computed).
func tables(t *testing.T, db *clickhouse.DB) []string {
	t.Helper()
	// The rule timeline is built by InsertRules, not by the inserts
	// compared, and stamped with the clock.
	return column(t, db, `SELECT name FROM system.tables WHERE database = currentDatabase()
		AND engine LIKE '%MergeTree' AND name NOT LIKE 'leaderboard%' AND name NOT LIKE 'schema_migrations%'
		AND name NOT IN ('rule_timeline', 'rule_builds') ORDER BY name`)
}

// tableRows is every row of table as text, sorted, without the columns
// whose default reads the clock (ingested_at).
func tableRows(t *testing.T, db *clickhouse.DB, table string) string {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Conn().Query(ctx, `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '`+table+`'
		AND NOT (default_kind != '' AND positionCaseInsensitive(default_expression, 'now') > 0) ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, "`"+c+"`")
	}
	rows.Close()
	var out []string
	rows, err = db.Conn().Query(ctx, fmt.Sprintf("SELECT formatRow('TabSeparated', %s) FROM `%s`", strings.Join(cols, ", "), table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	slices.Sort(out)
	return strings.Join(out, "")
}

// TestNativeRoundTrip: random valid events of every type, made from the
// contract table (each field of the type with a random value of its kind,
// through the decoder), inserted in batches of random size and read back
// column by column: every field as stored equals the field as sent.
func TestNativeRoundTrip(t *testing.T) {
	db, _ := clickhousetest.OpenStore(t, clickhousetest.Migrated(t))
	ctx := context.Background()
	// Times span the whole contract (2000-2099): no retention may drop them.
	if err := db.Conn().Exec(ctx, "ALTER TABLE events REMOVE TTL"); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, uint64(time.Now().UnixNano())))
	sent := map[string]rebate.Event{}
	var srcs = map[string]rebate.Source{}
	// Few rounds: random times spread a batch over hundreds of monthly
	// partitions, a part each.
	for round := 0; round < 12; round++ {
		n := rng.IntN(300)
		if round%5 == 0 {
			n = 1
		}
		events := make([]rebate.Event, n)
		sources := make([]rebate.Source, n)
		for i := range events {
			events[i] = randomEvent(t, rng, fmt.Sprintf("r%d-%d", round, i))
			sources[i] = rebate.Source{Partition: rng.Int32N(1 << 20), Offset: rng.Int64()}
			sent[events[i].ID], srcs[events[i].ID] = events[i], sources[i]
		}
		if err := db.InsertEvents(ctx, events, sources, fmt.Sprint("round-", round)); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	exprs := []string{"event_id"}
	for _, f := range rebate.Fields[1:] {
		exprs = append(exprs, storedAs(f))
	}
	rows, err := db.Conn().Query(ctx, "SELECT "+strings.Join(exprs, ", ")+", toString(kafka_partition), toString(kafka_offset) FROM events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := 0
	for rows.Next() {
		vals := make([]string, len(exprs)+2)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		e, ok := sent[vals[0]]
		if !ok {
			t.Fatalf("stored event %q was never sent", vals[0])
		}
		got++
		for i, f := range rebate.Fields[1:] {
			if want := sentAs(f, &e); vals[i+1] != want {
				t.Errorf("event %s: %s stored as %q, sent %q", e.ID, f.Name, vals[i+1], want)
			}
		}
		src := srcs[e.ID]
		if vals[len(exprs)] != fmt.Sprint(src.Partition) || vals[len(exprs)+1] != fmt.Sprint(src.Offset) {
			t.Errorf("event %s: source stored as %v, sent %+v", e.ID, vals[len(exprs):], src)
		}
	}
	if got != len(sent) {
		t.Errorf("%d events stored, %d sent", got, len(sent))
	}
}

// storedAs reads a column as the text sentAs writes for its field.
func storedAs(f *rebate.Field) string {
	switch f.Kind {
	case rebate.KindType:
		return "toString(toInt8(" + f.Name + "))"
	case rebate.KindTime:
		return "toString(toUnixTimestamp64Milli(" + f.Name + "))"
	case rebate.KindMoney:
		return "toString(toInt64(" + f.Name + " * 100))"
	case rebate.KindRate:
		return "toString(toInt64(" + f.Name + " * 10000))"
	}
	return "toString(" + f.Name + ")"
}

func sentAs(f *rebate.Field, e *rebate.Event) string {
	switch v := f.Value(e).(type) {
	case string:
		return v
	case rebate.EventType:
		return strconv.Itoa(int(v))
	case time.Time:
		if v.IsZero() {
			return "0"
		}
		return strconv.FormatInt(v.UnixMilli(), 10)
	case rebate.Money:
		return strconv.FormatInt(int64(v), 10)
	case rebate.Rate:
		return strconv.Itoa(int(v))
	default:
		return fmt.Sprint(v)
	}
}

// randomEvent is a valid event of a random type: each field the type
// carries gets a random JSON value of its kind, and the decoder makes the
// event, so a field added to the contract is covered as it comes.
func randomEvent(t *testing.T, rng *rand.Rand, id string) rebate.Event {
	t.Helper()
	types := rebate.EventTypes()
	typ := types[rng.IntN(len(types))]
	json := fmt.Sprintf(`{"event_id":%q,"type":%q,"ts":%s`, id, typ, randomJSON(rng, rebate.KindTime))
	for _, f := range rebate.FieldsOf(typ) {
		json += fmt.Sprintf(",%q:%s", f.Name, randomJSON(rng, f.Kind))
	}
	e, err := rebate.Decode([]byte(json + "}"))
	if err != nil {
		t.Fatalf("random event %s: %v", json, err)
	}
	return e
}

func randomJSON(rng *rand.Rand, kind rebate.FieldKind) string {
	switch kind {
	case rebate.KindText, rebate.KindTextOrInt:
		alphabet := []rune("aZ09-_.:/ éß中文😀'\\\"")
		s := make([]rune, 1+rng.IntN(128))
		for i := range s {
			s[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return strconv.Quote(string(s))
	case rebate.KindID:
		return strconv.FormatUint(1+rng.Uint64N(1<<64-1), 10)
	case rebate.KindTime:
		span := rebate.MaxTime.Sub(rebate.MinTime).Milliseconds()
		return strconv.FormatInt(rebate.MinTime.UnixMilli()+rng.Int64N(span), 10)
	case rebate.KindMoney:
		return strconv.Quote(rebate.Money(rng.Int64N(int64(rebate.MaxMoney) + 1)).String())
	case rebate.KindRate:
		return strconv.Quote(rebate.Rate(rng.IntN(int(rebate.RateOne) + 1)).String())
	case rebate.KindStock:
		return strconv.FormatUint(uint64(rng.Uint32()), 10)
	case rebate.KindTier:
		return strconv.Itoa(rng.IntN(rebate.MaxTier + 1))
	}
	panic(fmt.Sprintf("no random JSON for kind %d", kind))
}
