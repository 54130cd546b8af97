package chlocal_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rebatehq/rebate/internal/chlocaltest"
)

// These tests use the shared endpoint and plain HTTP only, so that they
// also run against an endpoint without the fence and fail there.

// TestCrossSiteRequestsRefused: a web page open in the user's browser can
// send a text/plain POST to 127.0.0.1 without a preflight; the endpoint
// refuses requests that a browser marks as coming from another site, and a
// Host name a DNS rebinding page would use, before reading any SQL.
func TestCrossSiteRequestsRefused(t *testing.T) {
	ep := chlocaltest.Start(t)
	db := ep.Database(t)
	base := ep.URL()
	create := func(table string) string { return "CREATE TABLE " + db + "." + table + " (a UInt8) ENGINE = Memory" }
	exists := func(table string) bool {
		return mustOK(t, post(t, base, nil, "EXISTS TABLE "+db+"."+table)) == "1\n"
	}
	for i, h := range []map[string]string{
		{"Origin": "http://evil.example", "Content-Type": "text/plain"},
		{"Origin": "null"},
		{"Origin": "http://localhost:3000"}, // a page on another port of this machine
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Host": "rebind.evil.example:" + port(ep.Addr)},
	} {
		table := "cross_" + strconv.Itoa(i)
		a := send(t, http.MethodPost, base, nil, create(table), h)
		wantException(t, a, 497, http.StatusForbidden)
		if exists(table) {
			t.Errorf("%v: the statement ran", h)
		}
		a = send(t, http.MethodGet, base, q("query", "SELECT 1"), "", h)
		wantException(t, a, 497, http.StatusForbidden)
	}
	// Same-origin browsers, navigations, and every client without Origin pass.
	for i, h := range []map[string]string{
		nil,
		{"Origin": base},
		{"Sec-Fetch-Site": "same-origin"},
		{"Sec-Fetch-Site": "none"},
		{"Host": "localhost:" + port(ep.Addr)},
	} {
		table := "same_" + strconv.Itoa(i)
		mustOK(t, send(t, http.MethodPost, base, nil, create(table), h))
		if !exists(table) {
			t.Errorf("%v: the statement did not run", h)
		}
	}
}

// TestFenceKeepsClientsInsideTheDatabase: table functions, engines,
// settings and names that reach the host's files, processes or network
// are refused with ACCESS_DENIED (403) naming what was refused, and leave
// nothing behind.
func TestFenceKeepsClientsInsideTheDatabase(t *testing.T) {
	ep := chlocaltest.Start(t)
	db := ep.Database(t)
	base := ep.URL()
	p := q("database", db)
	mustOK(t, post(t, base, p, "CREATE TABLE victim (s String) ENGINE = MergeTree ORDER BY s"))
	tmp := t.TempDir()
	written := filepath.Join(tmp, "written")
	for _, tc := range []struct {
		sql    string
		params url.Values // extra URL parameters
		want   string     // in the refusal
	}{
		{"SELECT * FROM file('/etc/passwd', 'LineAsString')", nil, "function file"},
		{"SELECT file('/etc/passwd')", nil, "function file"},
		{"SELECT * FROM numbers(1) WHERE toString(number) IN (SELECT file('/etc/passwd'))", nil, "function file"},
		{"DESCRIBE file('/etc/passwd', 'LineAsString')", nil, "function file"},
		{"EXPLAIN SELECT * FROM file('/etc/passwd')", nil, "function file"},
		{"INSERT INTO FUNCTION file('" + written + "', 'LineAsString') SELECT 'y'", nil, "function file"},
		{"INSERT INTO victim SELECT * FROM file('/etc/passwd', 'LineAsString')", nil, "function file"},
		{"CREATE TABLE copy AS file('/etc/passwd', 'LineAsString')", nil, "function file"},
		{"SELECT count() FROM `/etc/passwd`", nil, "/etc/passwd"},
		{"SELECT count() FROM default.`/etc/passwd`", nil, "/etc/passwd"},
		{"SELECT count() FROM '/etc/passwd'", nil, "/etc/passwd"},
		{"SELECT count() FROM `handler.go`", nil, "handler.go"}, // a file in the working folder
		{"SELECT 1 IN `handler.go`", nil, "handler.go"},
		{"SELECT * FROM {t:Identifier}", q("param_t", "/etc/passwd"), "/etc/passwd"},
		{"SELECT * FROM url('http://127.0.0.1:1/x', 'CSV', 'a String')", nil, "function url"},
		{"SELECT * FROM remote('127.0.0.1:1', 'system.one')", nil, "function remote"},
		{"SELECT * FROM s3('http://127.0.0.1:1/b/k', 'CSV', 'a String')", nil, "function s3"},
		{"SELECT * FROM executable('x.sh', 'CSV', 'a String')", nil, "function executable"},
		{"SELECT * FROM merge('default', '.*')", nil, "function merge"},
		{"SELECT * FROM mysql('127.0.0.1:1', 'd', 't', 'u', 'p')", nil, "function mysql"},
		{"SELECT hasColumnInTable('default', '/etc/passwd', 'x')", nil, "hasColumnInTable"},
		{"CREATE TABLE f (a String) ENGINE = File(CSV)", nil, "File"},
		{"CREATE TABLE u (a String) ENGINE = URL('http://127.0.0.1:1/', CSV)", nil, "URL"},
		{"CREATE TABLE e (a String) ENGINE = Executable('x.sh', CSV)", nil, "Executable"},
		{"CREATE TABLE b (a String) ENGINE = Buffer(default, x, 1, 1, 1, 1, 1, 1, 1)", nil, "engine Buffer"},
		{"CREATE MATERIALIZED VIEW mv ENGINE = File(CSV) AS SELECT 1 AS a", nil, "File"},
		{"CREATE DATABASE fs_" + db + " ENGINE = Filesystem('/')", nil, "engine Filesystem"},
		{"CREATE DICTIONARY d (a UInt8) PRIMARY KEY a SOURCE(CLICKHOUSE(TABLE 'victim')) LAYOUT(FLAT()) LIFETIME(0)", nil, "dictionaries"},
		{"CREATE TABLE dd (a UInt8) ENGINE = MergeTree ORDER BY a SETTINGS disk = disk(type = local, path = '" + tmp + "/disk/')", nil, "disk"},
		{"SELECT 1 SETTINGS output_format_schema = '" + written + "'", nil, "output_format_schema"},
		{"SELECT 1 SETTINGS max_bytes_ratio_before_external_group_by = 0.5, output_format_schema = '" + written + "'", nil, "output_format_schema"},
		{"SELECT 1", q("format_template_row", "/etc/passwd"), "format_template_row"},
		{"CREATE TABLE de (a UInt8) ORDER BY a", q("default_table_engine", "File"), "default_table_engine"},
		{"ATTACH TABLE att FROM '" + tmp + "' (a UInt8) ENGINE = MergeTree ORDER BY a", nil, "ATTACH"},
		{"BACKUP TABLE victim TO S3('http://127.0.0.1:1/b', 'k', 's')", nil, "S3"},
		{"SYSTEM DROP DNS CACHE", nil, "SYSTEM DROP DNS"},
		{"INSERT INTO victim VALUES (file('/etc/passwd'))", nil, "function file"},
		{"INSERT INTO victim VALUES ((SELECT 'x'))", nil, "subqueries"},
		{"SELECT 1 AS `a\nb`", nil, "control characters"},
		{"SELECT * FROM FILE('/etc/passwd', 'LineAsString')", nil, "function FILE"},
		{"WITH '/etc/passwd' AS p SELECT `file`(p)", nil, "function file"},
		{"SELECT * FROM loop(numbers(1)) LIMIT 1", nil, "function loop"},
		{"INSERT INTO victim VALUES (file /* c */ ('/etc/passwd'))", nil, "function file"},
		{"ATTACH DATABASE fs2_" + db + " ENGINE = Filesystem('/')", nil, "engine Filesystem"},
		{"CREATE VIEW pv AS SELECT 1 IN {t:Identifier}", nil, "Identifier} parameters"},
		{"SELECT displayName(), version(), revision(), timezone()", q("default_format", "CapnProto", "output_format_schema", written), "output_format_schema"},
	} {
		params := url.Values{"database": {db}}
		for k, v := range tc.params {
			params[k] = v
		}
		a := post(t, base, params, tc.sql)
		wantException(t, a, 497, http.StatusForbidden)
		if !strings.Contains(a.body, tc.want) || !strings.Contains(a.body, "Not enough privileges") {
			t.Errorf("%s: refusal does not name %q: %s", tc.sql, tc.want, a.body)
		}
		if strings.Contains(a.body, "root:") {
			t.Errorf("%s: the answer holds /etc/passwd", tc.sql)
		}
	}
	wantException(t, call(t, http.MethodGet, base, q("query", "SELECT file('/etc/passwd')"), nil, nil), 497, http.StatusForbidden)
	if _, err := os.Stat(written); err == nil {
		t.Error("a refused statement wrote a file")
	}
	if _, err := os.Stat(filepath.Join(tmp, "disk")); err == nil {
		t.Error("a refused table made its disk folder")
	}
	if got := mustOK(t, post(t, base, p, "SELECT count() FROM victim")); got != "0\n" {
		t.Errorf("victim holds %q rows after refused inserts", got)
	}
	if got := mustOK(t, post(t, base, p, "SELECT count() FROM system.tables WHERE database = currentDatabase()")); got != "1\n" {
		t.Errorf("refused statements created tables: %q", got)
	}
}

// TestFenceLetsTheDatabaseWork: what stays inside the database runs.
func TestFenceLetsTheDatabaseWork(t *testing.T) {
	ep := chlocaltest.Start(t)
	db := ep.Database(t)
	base := ep.URL()
	p := q("database", db)
	for _, sql := range []string{
		"CREATE TABLE src (a UInt64, s String) ENGINE = MergeTree ORDER BY a SETTINGS index_granularity = 256",
		"CREATE TABLE dst (a UInt64, n UInt64) ENGINE = SummingMergeTree ORDER BY a",
		"CREATE MATERIALIZED VIEW mv TO dst AS SELECT a % 10 AS a, count() AS n FROM src GROUP BY a",
		"CREATE TABLE mem (a UInt8) ENGINE = Memory",
		"CREATE VIEW v AS SELECT * FROM src WHERE a > {min:UInt64}",
		"INSERT INTO src SELECT number, toString(number) FROM numbers(1000)",
		"INSERT INTO src VALUES (5000, concat('a', toString(1 + 2))), (5001, 'b')",
		"INSERT INTO mem SELECT * FROM generateRandom('a UInt8') LIMIT 3",
		"ALTER TABLE src MODIFY COMMENT 'fenced'",
		"OPTIMIZE TABLE dst FINAL",
		"SYSTEM FLUSH LOGS",
		"SELECT count() FROM src SETTINGS max_threads = 1",
		"SELECT * FROM view(SELECT 1) AS a, values('x UInt8', 1, 2) AS b, zeros(2) AS c, format(JSONEachRow, '{\"x\":1}') AS d",
		"SELECT * FROM system.tables WHERE database = currentDatabase() FORMAT JSON",
		"SHOW TABLES",
		"DESCRIBE TABLE src",
		"EXISTS TABLE src",
		"EXPLAIN SELECT * FROM src",
		"DROP TABLE mem",
	} {
		if a := post(t, base, p, sql); a.status != http.StatusOK {
			t.Fatalf("%s: %d %s", sql, a.status, a.body)
		}
	}
	mustOK(t, post(t, base, p, "SELECT count() FROM v(min = 10)"))
	mustOK(t, post(t, base, q("database", db, "param_t", "src"), "SELECT count() FROM {t:Identifier}"))
	mustOK(t, post(t, base, p, "INSERT INTO src FORMAT TSV\n9000\tx\n"))
	if got := mustOK(t, post(t, base, p, "SELECT count() FROM src")); got != "1003\n" {
		t.Errorf("src holds %q rows, want 1003", got)
	}
}

// send is call with a string body and headers, Host included.
func send(t *testing.T, method, base string, params url.Values, body string, header map[string]string) answer {
	t.Helper()
	return call(t, method, base, params, strings.NewReader(body), header)
}

func port(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }
