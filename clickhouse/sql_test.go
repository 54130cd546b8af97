package clickhouse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
)

// analystLimits are generous enough for the reads below, small enough that
// the tests of each limit stay quick.
var analystLimits = rebate.QueryLimits{Timeout: 5 * time.Second, MaxRows: 1000, MaxBytesRead: 1 << 30, MaxMemory: 1 << 30}

func runSQL(t *testing.T, st *clickhouse.Store, sql string, args map[string]string, format string, lim rebate.QueryLimits) (string, *rebate.SQLAnswer, error) {
	t.Helper()
	ans, err := st.SQL(context.Background(), rebate.SQLRequest{SQL: sql, Args: args, Format: format, Limits: lim})
	if err != nil {
		return "", nil, err
	}
	defer ans.Body.Close()
	b, err := io.ReadAll(ans.Body)
	return string(b), ans, err
}

// TestSQLReads: an analyst's reads of the service's database answer in every
// format, money with its 2 decimals, with the engine's summary and as_of.
func TestSQLReads(t *testing.T) {
	db, st := openStore(t, migrated(t))
	now := time.Now().UTC()
	insertEvents(t, db, rebate.Event{ID: "e1", Type: rebate.OrderPaid, TS: now, OrderID: "o1", UserID: 1, MerchantID: 7, ProductID: 9,
		Amount: 5797580, Commission: 57975_80, PlacedAt: now}, rebate.Event{ID: "e1", Type: rebate.OrderPaid, TS: now, OrderID: "o1",
		UserID: 1, MerchantID: 7, ProductID: 9, Amount: 5797580, Commission: 57975_80, PlacedAt: now})
	before := time.Now().UTC()
	for format, want := range map[string]string{
		"CSV":          "\"order_paid\",1,57975.80\n",
		"TSVWithNames": "type\tevents\tcommission\norder_paid\t1\t57975.80\n",
		"JSONEachRow":  `{"type":"order_paid","events":1,"commission":"57975.80"}` + "\n",
	} {
		got, ans, err := runSQL(t, st, "SELECT type, uniqExact(event_id) AS events, any(commission) AS commission FROM events "+
			"WHERE user_id = {user:UInt64} GROUP BY type", map[string]string{"user": "1"}, format, analystLimits)
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", format, got, err, want)
			continue
		}
		var sum map[string]string
		if json.Unmarshal([]byte(ans.Summary), &sum) != nil || sum["read_rows"] == "" || sum["read_bytes"] == "" {
			t.Errorf("%s: summary %q", format, ans.Summary)
		}
		if ans.AsOf.Before(before.Add(-time.Second)) || ans.AsOf.After(time.Now()) {
			t.Errorf("%s: as_of %s", format, ans.AsOf)
		}
	}
	got, _, err := runSQL(t, st, "SELECT toDecimal64(57975.8, 2) AS m, 1 AS n", nil, "JSON", analystLimits)
	if err != nil || !strings.Contains(got, `"m": "57975.80"`) {
		t.Errorf("JSON: %v %s", err, got)
	}
	if got, _, err := runSQL(t, st, "SELECT number FROM numbers(3)", nil, "Parquet", analystLimits); err != nil || !strings.HasPrefix(got, "PAR1") {
		t.Errorf("Parquet: %v %q", err, got[:min(len(got), 8)])
	}
	for _, sql := range []string{"SHOW TABLES", "DESCRIBE TABLE events", "EXPLAIN SELECT count() FROM events",
		"SHOW CREATE TABLE clicks", "WITH t AS (SELECT 1 AS x) SELECT * FROM t UNION ALL SELECT 2",
		"SELECT count() FROM clicks FINAL", "SELECT * FROM numbers(2)", "SELECT count() FROM " + db.Config().Database + ".events"} {
		if _, _, err := runSQL(t, st, sql, nil, "CSV", analystLimits); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
	}
}

// TestSQLRefusals: every write, DDL, SYSTEM statement, settings override,
// table function reaching out and read of another database is refused, by
// the fence (403) before it is sent or by the engine; nothing changes.
func TestSQLRefusals(t *testing.T) {
	db, st := openStore(t, migrated(t))
	ctx := context.Background()
	if err := db.Conn().Exec(ctx, "CREATE DATABASE IF NOT EXISTS analyst_other"); err != nil {
		t.Fatal(err)
	}
	if err := db.Conn().Exec(ctx, "CREATE TABLE IF NOT EXISTS analyst_other.secret (x UInt8) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"INSERT INTO rebate_rules (merchant_id, effective_from, share) VALUES (1, now64(3), 1)",
		"INSERT INTO rebate_rules SELECT 1, now64(3), 1, now64(3)",
		"ALTER TABLE events DELETE WHERE 1",
		"ALTER TABLE events UPDATE user_id = 0 WHERE 1",
		"DELETE FROM events WHERE 1",
		"TRUNCATE TABLE events",
		"DROP TABLE events",
		"CREATE TABLE x (a UInt8) ENGINE = Memory",
		"CREATE VIEW v AS SELECT 1",
		"RENAME TABLE events TO e2",
		"OPTIMIZE TABLE events FINAL",
		"SYSTEM STOP MERGES",
		"SYSTEM REFRESH VIEW leaderboard_mv",
		"SYSTEM SHUTDOWN",
		"KILL QUERY WHERE 1",
		"SET readonly = 0",
		"SELECT 1 SETTINGS readonly = 0",
		"SELECT 1 SETTINGS max_result_rows = 1000000000",
		"SELECT count() FROM events SETTINGS max_bytes_to_read = 0",
		"SELECT * FROM (SELECT 1 SETTINGS max_execution_time = 1000)",
		"EXPLAIN PLAN SELECT 1 SETTINGS max_threads = 1",
		"SELECT 1 FORMAT JSON",
		"SELECT 1 INTO OUTFILE 'x.csv'",
		"SELECT * FROM file('/etc/passwd', 'LineAsString')",
		"SELECT file('/etc/passwd')",
		"SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString', 'x String')",
		"SELECT * FROM remote('127.0.0.1', system.one)",
		"SELECT * FROM s3('http://127.0.0.1:1/x')",
		"SELECT * FROM executable('id', 'TSV', 'x String')",
		"SELECT * FROM merge('system', '^one$')",
		"SELECT * FROM view(SELECT * FROM system.one)",
		"SELECT * FROM system.tables",
		"SELECT * FROM system.users",
		"SELECT * FROM `system`.`query_log`",
		"SELECT * FROM information_schema.tables",
		"SELECT * FROM INFORMATION_SCHEMA.COLUMNS",
		"SELECT * FROM analyst_other.secret",
		"SELECT 1 WHERE 1 IN analyst_other.secret",
		"SELECT 1 WHERE 1 IN system.one",
		"SELECT * FROM events JOIN analyst_other.secret ON 1",
		"DESCRIBE TABLE system.one",
		"SHOW TABLES FROM system",
		"SHOW DATABASES",
		"SHOW PROCESSLIST",
		"SHOW USERS",
		"SHOW CREATE TABLE analyst_other.secret",
		"SELECT dictGet('d', 'a', 1)",
		"SELECT joinGet('analyst_other.secret', 'x', 1)",
		"SELECT 1; DROP TABLE events",
		"SELECT 1 AS `a\nTableIdentifier events`",
		"EXPLAIN SYNTAX DROP TABLE events",
	} {
		_, _, err := runSQL(t, st, sql, nil, "CSV", analystLimits)
		switch rebate.ErrorCode(err) {
		case rebate.EFORBIDDEN, rebate.EINVALID:
			t.Logf("%s: %s", sql, err)
		default:
			t.Errorf("%s: %v (code %q), want it refused", sql, err, rebate.ErrorCode(err))
		}
	}
	var n uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name IN ('events', 'rebate_rules')").Scan(&n); err != nil || n != 2 {
		t.Errorf("tables gone: %d %v", n, err)
	}
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM rebate_rules").Scan(&n); err != nil || n != 1 {
		t.Errorf("rules changed: %d rows %v", n, err)
	}
	// The check in Go refuses before anything is sent, so a server's
	// readonly=1 (or the embedded endpoint's own fence) is a second layer,
	// not the only one: forbidden, naming why.
	for sql, why := range map[string]string{
		"SELECT * FROM system.tables":              "database system",
		"DROP TABLE events":                        "only SELECT",
		"INSERT INTO clicks SELECT * FROM clicks":  "only SELECT",
		"SYSTEM STOP MERGES":                       "only SELECT",
		"SELECT 1 SETTINGS readonly = 0":           "SETTINGS clauses are refused",
		"SELECT 1 WHERE 1 IN analyst_other.secret": "database analyst_other",
		"SELECT 1 AS `a\nTableIdentifier events`":  "control characters",
		"SHOW DATABASES":                           "SHOW",
	} {
		_, _, err := runSQL(t, st, sql, nil, "CSV", analystLimits)
		if rebate.ErrorCode(err) != rebate.EFORBIDDEN || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v, want it forbidden saying %q", sql, err, why)
		}
	}
	// A statement ClickHouse refuses is the statement's fault, with its code.
	_, _, err := runSQL(t, st, "SELECT no_such_column FROM events", nil, "CSV", analystLimits)
	var de *rebate.Error
	if rebate.ErrorCode(err) != rebate.EINVALID || !asDomain(err, &de) || de.Upstream == nil || de.Upstream.Code != 47 || de.Field != "sql" {
		t.Errorf("unknown column: %v %+v", err, de)
	}
}

func asDomain(err error, de **rebate.Error) bool {
	e, ok := err.(*rebate.Error)
	*de = e
	return ok
}

// TestSQLParameters: values of the statement's {name:Type} placeholders are
// checked in Go against their types before anything is sent, each error
// naming the parameter.
func TestSQLParameters(t *testing.T) {
	_, st := openStore(t, migrated(t))
	sql := "SELECT {n:UInt8} + 1 AS x, {w:Enum8('a' = 1, 'b' = 2)} AS w, {s:String} AS s"
	got, _, err := runSQL(t, st, sql, map[string]string{"n": "41", "w": "b", "s": "x'; DROP TABLE events; --"}, "CSV", analystLimits)
	if err != nil || got != "42,\"b\",\"x'; DROP TABLE events; --\"\n" {
		t.Errorf("bound: %q %v", got, err)
	}
	for _, c := range []struct {
		args  map[string]string
		sql   string
		field string
	}{
		{map[string]string{"n": "256", "w": "a", "s": ""}, sql, "n"},
		{map[string]string{"n": "x", "w": "a", "s": ""}, sql, "n"},
		{map[string]string{"n": "1", "w": "c", "s": ""}, sql, "w"},
		{map[string]string{"w": "a", "s": ""}, sql, "n"},
		{map[string]string{"n": "1", "w": "a", "s": "", "extra": "1"}, sql, "extra"},
		{map[string]string{"t": "events"}, "SELECT * FROM {t:Identifier}", "t"},
		{map[string]string{"a": "[1]"}, "SELECT {a:Array(UInt8)}", "a"},
		{map[string]string{"d": "2026-13-01"}, "SELECT {d:Date}", "d"},
		{map[string]string{"m": "1.234"}, "SELECT {m:Decimal(18, 2)}", "m"},
	} {
		_, _, err := runSQL(t, st, c.sql, c.args, "CSV", analystLimits)
		if rebate.ErrorCode(err) != rebate.EINVALID || rebate.ErrorField(err) != c.field {
			t.Errorf("%v: %v (field %q), want invalid %s", c.args, err, rebate.ErrorField(err), c.field)
		}
	}
	if _, _, err := runSQL(t, st, "SELECT 1", nil, "XML", analystLimits); rebate.ErrorField(err) != "format" {
		t.Errorf("format XML: %v", err)
	}
}

// TestSQLLimits: the engine enforces the role's limits on rows, bytes read,
// time and memory; each one hit is ELIMIT naming its setting.
func TestSQLLimits(t *testing.T) {
	_, st := openStore(t, migrated(t))
	lim := analystLimits
	lim.MaxRows = 5
	_, _, err := runSQL(t, st, "SELECT number FROM numbers(100)", nil, "CSV", lim)
	if rebate.ErrorCode(err) != rebate.ELIMIT || rebate.ErrorField(err) != "max_result_rows" {
		t.Errorf("rows: %v", err)
	}
	lim.Overflow = "break"
	got, _, err := runSQL(t, st, "SELECT number FROM numbers(1000000)", nil, "CSV", lim)
	if n := strings.Count(got, "\n"); err != nil || n < 5 || n >= 1000000 {
		t.Errorf("rows with break: %d rows, %v", n, err)
	}
	lim = analystLimits
	lim.MaxBytesRead = 1000
	_, _, err = runSQL(t, st, "SELECT sum(number) FROM numbers(100000)", nil, "CSV", lim)
	if rebate.ErrorCode(err) != rebate.ELIMIT || rebate.ErrorField(err) != "max_bytes_to_read" {
		t.Errorf("bytes: %v", err)
	}
	lim = analystLimits
	lim.MaxMemory = 20 << 20
	_, _, err = runSQL(t, st, "SELECT length(groupArray(number)) FROM numbers(10000000)", nil, "CSV", lim)
	if rebate.ErrorCode(err) != rebate.ELIMIT || rebate.ErrorField(err) != "max_memory_usage" {
		t.Errorf("memory: %v", err)
	}
	lim = analystLimits
	lim.Timeout, lim.MaxBytesRead = time.Second, 0
	start := time.Now()
	_, _, err = runSQL(t, st, "SELECT count() FROM numbers(100000000000)", nil, "CSV", lim)
	if rebate.ErrorCode(err) != rebate.ELIMIT || rebate.ErrorField(err) != "max_execution_time" || time.Since(start) > 10*time.Second {
		t.Errorf("time: %v after %s", err, time.Since(start))
	}
}

// TestReadmeSQL: the statements the README gives for the API's and the
// engine's curl lines run as written through the analysts' fence and count
// each event once, however many copies of it are stored.
func TestReadmeSQL(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	stmts := regexp.MustCompile(`--data-binary '([^']+)'`).FindAllStringSubmatch(string(readme), -1)
	if len(stmts) == 0 {
		t.Fatal("no --data-binary statement in the README")
	}
	db, st := openStore(t, migrated(t))
	now := time.Now().UTC()
	click := rebate.Event{ID: "c1", Type: rebate.Click, TS: now, UserID: 1, MerchantID: 7, ProductID: 9}
	other := click
	other.ID = "c2"
	insertEvents(t, db, click, other)
	insertEvents(t, db, click) // a redelivery
	for _, m := range stmts {
		got, _, err := runSQL(t, st, m[1], nil, "CSV", analystLimits)
		if err != nil || got != "\"click\",2\n" {
			t.Errorf("%s: %q, %v; want 2 clicks", m[1], got, err)
		}
	}
}

// swapProxy answers the first fail analysts' statements since reset (those
// that ask the server to hold the answer, wait_end_of_query) with the
// engine's error code, as the engine answers a read that resolved its table
// while the leaderboards' refresh exchanged it; every other request passes.
type swapProxy struct {
	mu   sync.Mutex
	code string
	fail int
	sent int // the analysts' statements that reached the proxy
}

func (p *swapProxy) reset(code string, fail int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.code, p.fail, p.sent = code, fail, 0
}

func (p *swapProxy) serve(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		// clickhouse-go's hello on a new connection carries the caller's
		// settings too.
		if r.URL.Query().Get("wait_end_of_query") != "1" || bytes.HasPrefix(body, []byte("SELECT displayName()")) {
			next.ServeHTTP(w, r)
			return
		}
		p.mu.Lock()
		p.sent++
		fail, code := p.sent <= p.fail, p.code
		p.mu.Unlock()
		if !fail {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("X-ClickHouse-Exception-Code", code)
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "Code: %s. DB::Exception: Table rebate.leaderboards (2f0c) does not match rebate.`.tmp.inner_id.2f0c` (9a1e). (TABLE_UUID_MISMATCH)\n", code)
	})
}

// TestSQLReadsAgainWhenSwapped: an analyst's statement that meets a table
// swapped under it (the leaderboards' refresh every 2 s) runs once more and
// answers, as the service's reads do; a second failure is a retryable
// error (EUNAVAIL: HTTP 503), and any other error is not run again.
func TestSQLReadsAgainWhenSwapped(t *testing.T) {
	p := &swapProxy{}
	_, st := openStore(t, throughProxy(t, migrated(t), p.serve))
	for _, c := range []struct {
		name       string
		code       string
		fail, sent int
		want       string // the error code; "" for an answer
	}{
		{"swapped once", "741", 1, 2, ""},
		{"swapped twice", "741", 2, 2, rebate.EUNAVAIL},
		{"another error", "60", 1, 1, rebate.EINVALID},
	} {
		p.reset(c.code, c.fail)
		got, _, err := runSQL(t, st, "SELECT count() FROM events", nil, "CSV", analystLimits)
		p.mu.Lock()
		sent := p.sent
		p.mu.Unlock()
		if sent != c.sent {
			t.Errorf("%s: the statement was sent %d times, want %d", c.name, sent, c.sent)
		}
		if c.want == "" {
			if err != nil || got != "0\n" {
				t.Errorf("%s: answer %q, %v; want 0 (no event stored)", c.name, got, err)
			}
			continue
		}
		if code := rebate.ErrorCode(err); code != c.want {
			t.Errorf("%s: error %v (code %q), want code %q", c.name, err, code, c.want)
		}
	}
}
