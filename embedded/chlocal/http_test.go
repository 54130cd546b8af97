package chlocal_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	chcompress "github.com/ClickHouse/ch-go/compress"

	"github.com/rebatehq/rebate/embedded/chlocal"
	"github.com/rebatehq/rebate/internal/chlocaltest"
)

type answer struct {
	status int
	header http.Header
	body   string
}

// call sends one request to base with the given URL parameters.
func call(t *testing.T, method, base string, params url.Values, body io.Reader, header map[string]string) answer {
	t.Helper()
	u := base + "/"
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func q(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func post(t *testing.T, base string, params url.Values, body string) answer {
	t.Helper()
	return call(t, http.MethodPost, base, params, strings.NewReader(body), nil)
}

func mustOK(t *testing.T, a answer) string {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	return a.body
}

// wantException checks the server's error shape: status, code header, text.
func wantException(t *testing.T, a answer, code, status int) {
	t.Helper()
	if a.status != status || a.header.Get("X-ClickHouse-Exception-Code") != strconv.Itoa(code) ||
		!strings.HasPrefix(a.body, fmt.Sprintf("Code: %d. DB::Exception: ", code)) {
		t.Errorf("want exception %d with status %d; got status %d, code header %q, body %q",
			code, status, a.status, a.header.Get("X-ClickHouse-Exception-Code"), a.body)
	}
}

func TestErrorCodesMatchEngine(t *testing.T) {
	ep := chlocaltest.Start(t)
	for code, name := range chlocal.CodeNames {
		got := mustOK(t, call(t, http.MethodGet, ep.URL(), q("query", fmt.Sprintf("SELECT errorCodeToName(%d)", code)), nil, nil))
		if strings.TrimSpace(got) != name {
			t.Errorf("code %d is %q in the engine, %q here", code, strings.TrimSpace(got), name)
		}
		if own := chlocal.CodeName(code); own != "UNKNOWN_EXCEPTION" && own != name {
			t.Errorf("code %d: endpoint names it %q, engine %q", code, own, name)
		}
	}
}

func TestHTTPBasics(t *testing.T) {
	ep := chlocaltest.Start(t)
	base := ep.URL()
	for _, path := range []string{"/ping", "/", "/replicas_status"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "Ok.\n" {
			t.Errorf("GET %s: %d %q", path, resp.StatusCode, b)
		}
	}
	a := call(t, http.MethodGet, base, q("query", "SELECT 1", "query_id", "my-query"), nil, nil)
	if mustOK(t, a) != "1\n" {
		t.Errorf("SELECT 1 = %q", a.body)
	}
	if a.header.Get("X-ClickHouse-Query-Id") != "my-query" || a.header.Get("X-ClickHouse-Format") != "TabSeparated" ||
		!strings.HasPrefix(a.header.Get("Content-Type"), "text/tab-separated-values") {
		t.Errorf("headers: %v", a.header)
	}
	var summary map[string]string
	if err := json.Unmarshal([]byte(a.header.Get("X-ClickHouse-Summary")), &summary); err != nil || summary["read_rows"] != "1" || summary["result_rows"] != "1" {
		t.Errorf("summary %q: %v", a.header.Get("X-ClickHouse-Summary"), err)
	}
	a = post(t, base, nil, "SELECT number, toString(number) AS s FROM numbers(2) FORMAT JSONEachRow")
	if mustOK(t, a) != "{\"number\":0,\"s\":\"0\"}\n{\"number\":1,\"s\":\"1\"}\n" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/x-ndjson") {
		t.Errorf("JSONEachRow: %q %v", a.body, a.header.Get("Content-Type"))
	}
	// default_format applies without a FORMAT clause; a FORMAT clause wins.
	if got := mustOK(t, post(t, base, q("default_format", "CSV"), "SELECT 'a', 1")); got != "\"a\",1\n" {
		t.Errorf("default_format=CSV: %q", got)
	}
	if got := mustOK(t, post(t, base, q("default_format", "CSV"), "SELECT 'a', 1 FORMAT TSV")); got != "a\t1\n" {
		t.Errorf("FORMAT clause over default_format: %q", got)
	}
	// The query parameter and the body join with a line break.
	if got := mustOK(t, post(t, base, q("query", "SELECT 1 +"), "2")); got != "3\n" {
		t.Errorf("query param + body: %q", got)
	}
	if got := mustOK(t, call(t, http.MethodGet, base, q("query", "SELECT {x:String}, {n:UInt8}", "param_x", "it's", "param_n", "7"), nil, nil)); got != "it\\'s\t7\n" {
		t.Errorf("param_: %q", got)
	}
	a = call(t, http.MethodHead, base, q("query", "SELECT 1"), nil, nil)
	if a.status != 200 || a.body != "" {
		t.Errorf("HEAD: %d %q", a.status, a.body)
	}
	a = call(t, http.MethodPut, base, q("query", "SELECT 1"), nil, nil)
	if a.status != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", a.status)
	}
}

func TestHTTPErrors(t *testing.T) {
	ep := chlocaltest.Start(t)
	base := ep.URL()
	db := ep.Database(t)
	mustOK(t, post(t, base, q("database", db), "CREATE TABLE victim (a UInt8) ENGINE = MergeTree ORDER BY a"))

	wantException(t, post(t, base, nil, "SELEC 1"), 62, 400)
	wantException(t, call(t, http.MethodGet, base, q("query", "SELEC 1"), nil, nil), 62, 400)
	wantException(t, post(t, base, nil, "SELECT * FROM no_such_table"), 60, 404)
	wantException(t, post(t, base, nil, ""), 62, 400)
	wantException(t, post(t, base, q("no_such_setting", "1"), "SELECT 1"), 115, 404)
	wantException(t, post(t, base, q("session_id", "s1"), "SELECT 1"), 48, 501)
	wantException(t, post(t, base, nil, "SELECT 1 INTO OUTFILE 'x.csv'"), 358, 500)
	wantException(t, post(t, base, q("database", db), "INSERT INTO victim FROM INFILE '/etc/passwd' FORMAT TSV"), 344, 500)
	wantException(t, post(t, base, nil, "CREATE TEMPORARY TABLE tmp (a UInt8)"), 48, 501)
	wantException(t, post(t, base, q("database", "no_such_db"), "SELECT 1"), 81, 404)
	wantException(t, call(t, http.MethodPost, base, nil, strings.NewReader("SELECT 1"), map[string]string{"Content-Encoding": "xz"}), 89, 500)

	// A failure after rows were produced is still a whole error, never a 200
	// with half a result.
	a := post(t, base, nil, "SELECT throwIf(number = 300000) FROM numbers(1000000)")
	wantException(t, a, 395, 500)
	a = post(t, base, q("max_result_rows", "10", "result_overflow_mode", "throw"), "SELECT number FROM numbers(100)")
	wantException(t, a, 396, 500)

	// GET is read-only: writes are refused before they run.
	for _, sql := range []string{"INSERT INTO victim VALUES (1)", "DROP TABLE victim", "CREATE TABLE x (a UInt8) ENGINE = Memory"} {
		wantException(t, call(t, http.MethodGet, base, q("query", sql, "database", db), nil, nil), 164, 500)
	}
	// readonly=1 as a URL setting holds on POST too, for every kind of statement.
	wantException(t, post(t, base, q("readonly", "1", "database", db), "INSERT INTO victim VALUES (1)"), 164, 500)
	wantException(t, post(t, base, q("readonly", "1", "database", db), "DROP TABLE victim"), 164, 500)
	wantException(t, post(t, base, q("readonly", "1", "database", db), "INSERT INTO victim FORMAT TSV\n1\n"), 164, 500)

	// A second statement never runs.
	wantException(t, post(t, base, q("database", db), "SELECT 1; DROP TABLE victim"), 62, 400)
	wantException(t, post(t, base, q("database", db), "INSERT INTO victim; DROP TABLE victim"), 62, 400)
	wantException(t, post(t, base, q("database", db), "INSERT INTO victim SETTINGS a = 1; DROP TABLE victim"), 62, 400)
	wantException(t, post(t, base, q("database", db), "CREATE TABLE y (a UInt8) ENGINE = Memory; DROP TABLE victim"), 62, 400)
	if got := mustOK(t, post(t, base, q("database", db), "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name IN ('victim', 'y')")); got != "1\n" {
		t.Errorf("after refused multi-statements: %q tables, want only victim", got)
	}
	if got := mustOK(t, post(t, base, q("database", db), "SELECT count() FROM victim")); got != "0\n" {
		t.Errorf("victim has rows %q after refused writes", got)
	}
}

// TestSessionStateDoesNotLeak checks that SET, USE and URL settings of one
// request never reach the next, though connections are pooled.
func TestSessionStateDoesNotLeak(t *testing.T) {
	ep := chlocaltest.Start(t)
	base := ep.URL()
	def := strings.TrimSpace(mustOK(t, post(t, base, nil, "SELECT getSetting('max_block_size')")))
	for i := 0; i < 20; i++ { // more requests than pooled connections
		mustOK(t, post(t, base, nil, "SET max_block_size = 1234"))
		mustOK(t, post(t, base, nil, "USE system"))
		if got := mustOK(t, post(t, base, q("max_block_size", "777"), "SELECT getSetting('max_block_size')")); got != "777\n" {
			t.Fatalf("URL setting not applied: %q", got)
		}
		if got := strings.TrimSpace(mustOK(t, post(t, base, nil, "SELECT getSetting('max_block_size')"))); got != def {
			t.Fatalf("request %d saw max_block_size=%s, default is %s", i, got, def)
		}
		if got := mustOK(t, post(t, base, nil, "SELECT currentDatabase()")); got != "default\n" {
			t.Fatalf("request %d runs in %q", i, got)
		}
	}
	// A statement's own SETTINGS win over the URL's, as on a server.
	if got := mustOK(t, post(t, base, q("max_block_size", "777"), "SELECT getSetting('max_block_size') SETTINGS max_block_size = 555")); got != "555\n" {
		t.Errorf("statement SETTINGS vs URL: %q", got)
	}
	if got := mustOK(t, post(t, base, q("max_block_size", "777"), "SELECT getSetting('max_block_size') FORMAT TSV SETTINGS max_block_size = 556")); got != "556\n" {
		t.Errorf("post-FORMAT SETTINGS vs URL: %q", got)
	}
	// URL settings and the statement's own post-FORMAT list both apply.
	if got := mustOK(t, post(t, base, q("max_block_size", "777"), "SELECT getSetting('max_block_size'), getSetting('max_threads') FORMAT TSV SETTINGS max_threads = 1")); got != "777\t1\n" {
		t.Errorf("URL and post-FORMAT settings together: %q", got)
	}
	// Settings reach DDL through a connection of their own.
	db := ep.Database(t)
	mustOK(t, post(t, base, q("database", db, "max_block_size", "999"), "CREATE TABLE t (a UInt8) ENGINE = Memory"))
	if got := mustOK(t, post(t, base, q("database", db), "EXISTS TABLE t")); got != "1\n" {
		t.Errorf("DDL with settings did not run: %q", got)
	}
	// A trailing comment must not swallow appended settings.
	if got := mustOK(t, post(t, base, q("max_block_size", "778"), "SELECT getSetting('max_block_size') -- why")); got != "778\n" {
		t.Errorf("setting after a trailing comment: %q", got)
	}
}

func TestHTTPInsertFormats(t *testing.T) {
	ep := chlocaltest.Start(t)
	base := ep.URL()
	db := ep.Database(t)
	p := q("database", db)
	mustOK(t, post(t, base, p, "CREATE TABLE t (id UInt32, name String) ENGINE = MergeTree ORDER BY id"))

	rowBinary := func(id uint32, name string) []byte {
		b := binary.LittleEndian.AppendUint32(nil, id)
		b = binary.AppendUvarint(b, uint64(len(name)))
		return append(b, name...)
	}
	native := func(id uint32, name string) []byte { // revision 0: no block info
		b := []byte{2, 1}
		b = append(b, 2, 'i', 'd', 6, 'U', 'I', 'n', 't', '3', '2')
		b = binary.LittleEndian.AppendUint32(b, id)
		b = append(b, 4, 'n', 'a', 'm', 'e', 6, 'S', 't', 'r', 'i', 'n', 'g')
		b = binary.AppendUvarint(b, uint64(len(name)))
		return append(b, name...)
	}
	cases := []struct {
		name   string
		params url.Values
		body   []byte
	}{
		{"TSV in URL", q("query", "INSERT INTO t FORMAT TSV"), []byte("1\ttab\\tname\n")},
		{"CSV in body", nil, []byte("INSERT INTO t FORMAT CSV\n2,\"comma, name\"\n")},
		{"CSV with CRLF", nil, []byte("INSERT INTO t FORMAT CSV\r\n3,crlf\r\n")},
		{"JSONEachRow", q("query", "INSERT INTO t (id, name) FORMAT JSONEachRow"), []byte(`{"id":4,"name":"json \"q\""}` + "\n")},
		{"RowBinary", q("query", "INSERT INTO t FORMAT RowBinary"), rowBinary(5, "bin\x00;'")},
		{"Native", q("query", "INSERT INTO t FORMAT Native"), native(6, "native ; ' \n")},
		{"Values", nil, []byte("INSERT INTO t VALUES (7, 'it''s'), (8, 'semi;colon')")},
		{"SETTINGS before FORMAT", nil, []byte("INSERT INTO t SETTINGS max_insert_block_size = 10 FORMAT TSV\n9\tsettings\n")},
		{"INSERT SELECT", nil, []byte("INSERT INTO t SELECT 10, 'selected'")},
	}
	for _, tc := range cases {
		params := url.Values{"database": {db}}
		for k, v := range tc.params {
			params[k] = v
		}
		if a := call(t, http.MethodPost, base, params, bytes.NewReader(tc.body), nil); a.status != 200 {
			t.Errorf("%s: %d %s", tc.name, a.status, a.body)
		}
	}
	want := "1\ttab\\tname\n2\tcomma, name\n3\tcrlf\n4\tjson \"q\"\n5\tbin\\0;\\'\n6\tnative ; \\' \\n\n7\tit\\'s\n8\tsemi;colon\n9\tsettings\n10\tselected\n"
	if got := mustOK(t, post(t, base, p, "SELECT * FROM t ORDER BY id")); got != want {
		t.Errorf("rows:\n%s\nwant:\n%s", got, want)
	}
}

// TestHTTPInsertStatementAcrossReads covers a statement whose FORMAT name is
// cut by the endpoint's first read, and a body far bigger than one read.
func TestHTTPInsertStatementAcrossReads(t *testing.T) {
	ep := chlocaltest.Start(t)
	base := ep.URL()
	db := ep.Database(t)
	mustOK(t, post(t, base, q("database", db), "CREATE TABLE t (n UInt64) ENGINE = MergeTree ORDER BY n"))
	head := "INSERT INTO t /*"
	tail := "*/ FORMAT TabSeparated\n"
	// Put the 64 KiB read boundary inside "TabSeparated".
	pad := strings.Repeat("x", 64<<10-len(head)-len("*/ FORMAT Tab"))
	var body strings.Builder
	body.WriteString(head + pad + tail)
	var sum uint64
	const rows = 200_000
	for i := uint64(1); i <= rows; i++ {
		fmt.Fprintf(&body, "%d\n", i)
		sum += i
	}
	mustOK(t, post(t, base, q("database", db), body.String()))
	want := fmt.Sprintf("%d\t%d\n", rows, sum)
	if got := mustOK(t, post(t, base, q("database", db), "SELECT count(), sum(n) FROM t")); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestHTTPCompression(t *testing.T) {
	ep := chlocaltest.Start(t)
	base := ep.URL()
	db := ep.Database(t)
	mustOK(t, post(t, base, q("database", db), "CREATE TABLE t (n UInt64) ENGINE = MergeTree ORDER BY n"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	fmt.Fprint(zw, "INSERT INTO t FORMAT TSV\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(zw, "%d\n", i)
	}
	zw.Close()
	a := call(t, http.MethodPost, base, q("database", db), &gz, map[string]string{"Content-Encoding": "gzip"})
	mustOK(t, a)
	plain := mustOK(t, post(t, base, q("database", db), "SELECT n FROM t ORDER BY n"))
	if !strings.HasPrefix(plain, "0\n1\n") || strings.Count(plain, "\n") != 1000 {
		t.Fatalf("gzip insert: %d rows", strings.Count(plain, "\n"))
	}
	// compress=1: ClickHouse's own compressed blocks.
	a = post(t, base, q("database", db, "compress", "1"), "SELECT n FROM t ORDER BY n")
	out, err := io.ReadAll(chcompress.NewReader(strings.NewReader(mustOK(t, a))))
	if err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Fatal(err)
	}
	if string(out) != plain {
		t.Errorf("compress=1 answer differs from plain")
	}
	// enable_http_compression=1 with Accept-Encoding.
	req, _ := http.NewRequest(http.MethodPost, base+"/?"+q("database", db, "enable_http_compression", "1").Encode(), strings.NewReader("SELECT n FROM t ORDER BY n"))
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	if string(got) != plain {
		t.Errorf("gzip answer differs from plain")
	}
}

func TestDropSyncFinishes(t *testing.T) {
	ep := chlocaltest.Start(t)
	base := ep.URL()
	db := ep.Database(t)
	mustOK(t, post(t, base, q("database", db), "CREATE TABLE t (n UInt64) ENGINE = MergeTree ORDER BY n"))
	mustOK(t, post(t, base, q("database", db), "INSERT INTO t VALUES (1)"))
	// The engine alone never finishes a SYNC drop; the endpoint must.
	mustOK(t, post(t, base, q("database", db), "DROP TABLE t SYNC"))
	if got := mustOK(t, post(t, base, q("database", db), "EXISTS TABLE t")); got != "0\n" {
		t.Errorf("table still exists: %q", got)
	}
	// NO DELAY is the same clause; a table named sync is a name.
	mustOK(t, post(t, base, q("database", db), "CREATE TABLE sync (n UInt64) ENGINE = MergeTree ORDER BY n"))
	mustOK(t, post(t, base, q("database", db), "DROP TABLE sync NO DELAY"))
	if got := mustOK(t, post(t, base, q("database", db), "EXISTS TABLE sync")); got != "0\n" {
		t.Errorf("table sync still exists: %q", got)
	}
}

func TestLimits(t *testing.T) {
	ep := chlocaltest.Start(t)
	// A second endpoint on the same engine and data, with small limits.
	srv, err := chlocal.Open(ep.Lib, chlocal.Config{Path: ep.DataDir, Conns: 1, MaxQueryBytes: 2048, MaxInsertBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer func() {
		hs.Close()
		if err := srv.Close(t.Context()); err != nil {
			t.Error(err)
		}
	}()
	db := ep.Database(t)
	mustOK(t, post(t, hs.URL, q("database", db), "CREATE TABLE t (s String) ENGINE = MergeTree ORDER BY s"))
	wantException(t, post(t, hs.URL, nil, "SELECT '"+strings.Repeat("x", 4096)+"'"), 229, 413)
	wantException(t, post(t, hs.URL, q("database", db, "query", "INSERT INTO t FORMAT TSV"), strings.Repeat("y", 101)+"\n"), 229, 413)
	mustOK(t, post(t, hs.URL, q("database", db, "query", "INSERT INTO t FORMAT TSV"), strings.Repeat("y", 99)+"\n"))
	if got := mustOK(t, post(t, hs.URL, q("database", db), "SELECT count() FROM t")); got != "1\n" {
		t.Errorf("rows after a refused and an accepted insert: %q", got)
	}
}
