package chlocal

import (
	"bytes"
	"encoding/binary"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// stmt builds an expected statement; fields not set by the options keep the
// values parseStatement uses for "absent" (-1 for offsets).
func stmt(kind stmtKind, keyword, sql string, opts ...func(*statement)) statement {
	st := statement{kind: kind, keyword: keyword, sql: sql, dataStart: -1, postFormatSetAt: -1}
	for _, o := range opts {
		o(&st)
	}
	return st
}

func withFormat(name string) func(*statement) { return func(st *statement) { st.format = name } }

func withPostFormatSet(at int) func(*statement) {
	return func(st *statement) { st.postFormatSetAt = at }
}

// insertData describes an INSERT with inline data: target, the statement's
// own settings, input format, and the offset where data starts.
func insertData(target, settings, inFormat string, dataStart int) func(*statement) {
	return func(st *statement) {
		st.target, st.settings, st.inFormat, st.dataStart = target, settings, inFormat, dataStart
	}
}

func insertSelectOf(target, settings, selectSQL string) func(*statement) {
	return func(st *statement) { st.target, st.settings, st.selectSQL = target, settings, selectSQL }
}

type statementCase struct {
	name string
	text string
	want statement
	// data is text[dataStart:], spelled out so an off-by-one is obvious.
	data string
	// fixed names a bug review found here; the case keeps it fixed.
	fixed string
}

func runStatementCases(t *testing.T, tests []statementCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ex := parseStatement(tc.text)
			if ex != nil {
				t.Fatalf("parseStatement(%q): unexpected exception %v", tc.text, ex)
			}
			if *got != tc.want {
				t.Fatalf("parseStatement(%q)\n got %+v\nwant %+v", tc.text, *got, tc.want)
			}
			if got.dataStart >= 0 && tc.text[got.dataStart:] != tc.data {
				t.Fatalf("data = %q, want %q", tc.text[got.dataStart:], tc.data)
			}
		})
	}
}

func TestStatementOutput(t *testing.T) {
	const withSettings = "SELECT 1 FORMAT JSON SETTINGS a=1"
	runStatementCases(t, []statementCase{
		{name: "select", text: "SELECT 1", want: stmt(kindOutput, "SELECT", "SELECT 1")},
		// Leading text is kept: offsets into sql must match offsets into the text.
		{name: "surrounding whitespace", text: "  SELECT 1 \n\t", want: stmt(kindOutput, "SELECT", "  SELECT 1")},
		{name: "lowercase", text: "select 1 format json", want: stmt(kindOutput, "SELECT", "select 1 format json", withFormat("json"))},
		{name: "with", text: "WITH 1 AS x SELECT x", want: stmt(kindOutput, "WITH", "WITH 1 AS x SELECT x")},
		{name: "show", text: "SHOW TABLES", want: stmt(kindOutput, "SHOW", "SHOW TABLES")},
		{name: "describe", text: "DESCRIBE t", want: stmt(kindOutput, "DESCRIBE", "DESCRIBE t")},
		{name: "desc", text: "desc t", want: stmt(kindOutput, "DESC", "desc t")},
		{name: "exists", text: "EXISTS TABLE t", want: stmt(kindOutput, "EXISTS", "EXISTS TABLE t")},
		{name: "explain", text: "EXPLAIN SELECT 1", want: stmt(kindOutput, "EXPLAIN", "EXPLAIN SELECT 1")},
		{name: "check", text: "CHECK TABLE t", want: stmt(kindOutput, "CHECK", "CHECK TABLE t")},
		{name: "parenthesised select", text: "(SELECT 1)", want: stmt(kindOutput, "SELECT", "(SELECT 1)")},
		{name: "parenthesised union with format", text: "((SELECT 1)) UNION ALL (SELECT 2) FORMAT JSON",
			want: stmt(kindOutput, "SELECT", "((SELECT 1)) UNION ALL (SELECT 2) FORMAT JSON", withFormat("JSON"))},
		{name: "leading comment", text: "/* c */ -- d\nSELECT 1", want: stmt(kindOutput, "SELECT", "/* c */ -- d\nSELECT 1")},

		// "format" is an ordinary name unless it is the trailing clause.
		{name: "column named format", text: "SELECT format FROM t", want: stmt(kindOutput, "SELECT", "SELECT format FROM t")},
		{name: "alias format", text: "SELECT 1 AS format", want: stmt(kindOutput, "SELECT", "SELECT 1 AS format")},
		{name: "function format", text: "SELECT format('{}', 1)", want: stmt(kindOutput, "SELECT", "SELECT format('{}', 1)")},
		{name: "format in where", text: "SELECT 1 FROM t WHERE format = 'x'", want: stmt(kindOutput, "SELECT", "SELECT 1 FROM t WHERE format = 'x'")},
		{name: "format keyword alone", text: "SELECT 1 FORMAT", want: stmt(kindOutput, "SELECT", "SELECT 1 FORMAT")},
		{name: "format then junk", text: "SELECT 1 FORMAT JSON x", want: stmt(kindOutput, "SELECT", "SELECT 1 FORMAT JSON x")},
		{name: "format name as string", text: "SELECT 1 FORMAT 'JSON'", want: stmt(kindOutput, "SELECT", "SELECT 1 FORMAT 'JSON'")},
		{name: "format clause", text: "SELECT 1 FORMAT JSON", want: stmt(kindOutput, "SELECT", "SELECT 1 FORMAT JSON", withFormat("JSON"))},
		{name: "format backquoted", text: "SELECT 1 FORMAT `TSV`", want: stmt(kindOutput, "SELECT", "SELECT 1 FORMAT `TSV`", withFormat("TSV"))},
		{name: "format double-quoted", text: `SELECT 1 FORMAT "CSV"`, want: stmt(kindOutput, "SELECT", `SELECT 1 FORMAT "CSV"`, withFormat("CSV"))},
		{name: "format then semicolon", text: "SELECT 1 FORMAT JSON;\n", want: stmt(kindOutput, "SELECT", "SELECT 1 FORMAT JSON", withFormat("JSON"))},
		{name: "format then comment", text: "SELECT 1 FORMAT JSON -- c", want: stmt(kindOutput, "SELECT", "SELECT 1 FORMAT JSON -- c", withFormat("JSON"))},
		{name: "format then settings", text: withSettings,
			want: stmt(kindOutput, "SELECT", withSettings, withFormat("JSON"), withPostFormatSet(len("SELECT 1 FORMAT JSON SETTINGS")))},
		{name: "format then lowercase settings", text: "SELECT 1 FORMAT JSON settings a=1;",
			want: stmt(kindOutput, "SELECT", "SELECT 1 FORMAT JSON settings a=1", withFormat("JSON"), withPostFormatSet(len("SELECT 1 FORMAT JSON settings")))},
		// SETTINGS before FORMAT belongs to the SELECT; there is no post-format list.
		{name: "settings before format", text: "SELECT 1 SETTINGS a=1 FORMAT JSON",
			want: stmt(kindOutput, "SELECT", "SELECT 1 SETTINGS a=1 FORMAT JSON", withFormat("JSON"))},
		{name: "format in subquery", text: "SELECT * FROM (SELECT 1 FORMAT TSV)",
			want: stmt(kindOutput, "SELECT", "SELECT * FROM (SELECT 1 FORMAT TSV)")},
		{name: "format in subquery and outside", text: "SELECT * FROM (SELECT 1 FORMAT TSV) FORMAT JSON",
			want: stmt(kindOutput, "SELECT", "SELECT * FROM (SELECT 1 FORMAT TSV) FORMAT JSON", withFormat("JSON"))},
		{name: "format in string", text: "SELECT 'x FORMAT JSON'", want: stmt(kindOutput, "SELECT", "SELECT 'x FORMAT JSON'")},
		{name: "format in comment", text: "SELECT 1 -- FORMAT JSON", want: stmt(kindOutput, "SELECT", "SELECT 1 -- FORMAT JSON")},
		{name: "format on non-output", text: "CREATE TABLE t (a UInt8) ENGINE = Memory FORMAT JSON",
			want: stmt(kindOther, "CREATE", "CREATE TABLE t (a UInt8) ENGINE = Memory FORMAT JSON")},

		{name: "trailing semicolon", text: "SELECT 1;", want: stmt(kindOutput, "SELECT", "SELECT 1")},
		{name: "semicolon then whitespace", text: "SELECT 1 ; \n\t", want: stmt(kindOutput, "SELECT", "SELECT 1")},
		{name: "semicolon then dash comment", text: "SELECT 1; -- c", want: stmt(kindOutput, "SELECT", "SELECT 1")},
		{name: "semicolon then comments", text: "SELECT 1;\n/* a /* b */ */ # c\n", want: stmt(kindOutput, "SELECT", "SELECT 1")},
		{name: "semicolon in string", text: "SELECT ';'", want: stmt(kindOutput, "SELECT", "SELECT ';'")},
		{name: "semicolon in ident", text: "SELECT `a;b`", want: stmt(kindOutput, "SELECT", "SELECT `a;b`")},
		{name: "semicolon in heredoc", text: "SELECT $$;$$", want: stmt(kindOutput, "SELECT", "SELECT $$;$$")},
		// Inside brackets a ';' is not a statement end; the engine reports it.
		{name: "semicolon in brackets", text: "SELECT (1; SELECT 2)", want: stmt(kindOutput, "SELECT", "SELECT (1; SELECT 2)")},
		// The trailing comment stays: runOutput appends on a new line for this.
		{name: "trailing comment kept", text: "SELECT 1 -- c", want: stmt(kindOutput, "SELECT", "SELECT 1 -- c")},

		{name: "into outfile", text: "SELECT 1 INTO OUTFILE 'x'",
			want: stmt(kindOutput, "SELECT", "SELECT 1 INTO OUTFILE 'x'", func(st *statement) { st.intoOutfile = true })},
		{name: "into outfile lowercase with format", text: "select 1 into outfile 'x' format CSV",
			want: stmt(kindOutput, "SELECT", "select 1 into outfile 'x' format CSV", withFormat("CSV"), func(st *statement) { st.intoOutfile = true })},
		{name: "into outfile in subquery", text: "SELECT * FROM (SELECT 1 INTO OUTFILE 'x')",
			want: stmt(kindOutput, "SELECT", "SELECT * FROM (SELECT 1 INTO OUTFILE 'x')")},
		{name: "into then comma", text: "SELECT into, outfile FROM t", want: stmt(kindOutput, "SELECT", "SELECT into, outfile FROM t")},

		{name: "string lead", text: "'x'", want: stmt(kindOther, "", "'x'")},
	})
}

func TestStatementSessionAndOther(t *testing.T) {
	temporary := func(st *statement) { st.createsTemporary = true }
	dropped := func(st *statement) { st.droppedSync = true }
	runStatementCases(t, []statementCase{
		{name: "set", text: "SET max_threads = 1", want: stmt(kindSession, "SET", "SET max_threads = 1")},
		{name: "use lowercase", text: "use db;", want: stmt(kindSession, "USE", "use db")},
		{name: "create", text: "CREATE TABLE t (a UInt8) ENGINE = Memory",
			want: stmt(kindOther, "CREATE", "CREATE TABLE t (a UInt8) ENGINE = Memory")},
		{name: "create temporary", text: "CREATE TEMPORARY TABLE t (a UInt8)",
			want: stmt(kindOther, "CREATE", "CREATE TEMPORARY TABLE t (a UInt8)", temporary)},
		{name: "create temporary lowercase after comment", text: "/* c */ create temporary table t (a UInt8)",
			want: stmt(kindOther, "CREATE", "/* c */ create temporary table t (a UInt8)", temporary)},
		// Only the word right after CREATE makes a table temporary.
		{name: "table named temporary", text: "CREATE TABLE temporary (a UInt8)",
			want: stmt(kindOther, "CREATE", "CREATE TABLE temporary (a UInt8)")},
		{name: "temporary not after create", text: "SHOW TEMPORARY TABLES", want: stmt(kindOutput, "SHOW", "SHOW TEMPORARY TABLES")},

		{name: "drop table sync", text: "DROP TABLE x SYNC", want: stmt(kindOther, "DROP", "DROP TABLE x", dropped)},
		{name: "drop database sync lowercase", text: "drop database d sync;", want: stmt(kindOther, "DROP", "drop database d", dropped)},
		{name: "detach table sync", text: "DETACH TABLE x SYNC", want: stmt(kindOther, "DETACH", "DETACH TABLE x", dropped)},
		{name: "drop sync then comment", text: "DROP TABLE x SYNC -- now\n", want: stmt(kindOther, "DROP", "DROP TABLE x", dropped)},
		{name: "drop without sync", text: "DROP TABLE x", want: stmt(kindOther, "DROP", "DROP TABLE x")},
		{name: "drop quoted sync", text: "DROP TABLE `SYNC`", want: stmt(kindOther, "DROP", "DROP TABLE `SYNC`")},
		{name: "sync inside brackets", text: "DROP TABLE x (SYNC)", want: stmt(kindOther, "DROP", "DROP TABLE x (SYNC)")},
		{name: "drop alone", text: "DROP", want: stmt(kindOther, "DROP", "DROP")},
		{name: "truncate sync untouched", text: "TRUNCATE TABLE x SYNC", want: stmt(kindOther, "TRUNCATE", "TRUNCATE TABLE x SYNC")},
		{name: "select sync untouched", text: "SELECT sync", want: stmt(kindOutput, "SELECT", "SELECT sync")},
		{name: "table named sync", text: "DROP TABLE sync", want: stmt(kindOther, "DROP", "DROP TABLE sync"),
			fixed: "the table name is taken for the SYNC keyword: sql becomes \"DROP TABLE\" and droppedSync is set"},
		{name: "qualified table named sync", text: "DETACH TABLE db.sync", want: stmt(kindOther, "DETACH", "DETACH TABLE db.sync"),
			fixed: "the table name is taken for the SYNC keyword: sql becomes \"DETACH TABLE db.\""},
		{name: "drop no delay", text: "DROP TABLE x NO DELAY", want: stmt(kindOther, "DROP", "DROP TABLE x", dropped),
			fixed: "ClickHouse parses NO DELAY as a synonym of SYNC (ParserDropQuery), but only SYNC is stripped, so the engine gets a synchronous drop"},
	})
}

func TestStatementInsert(t *testing.T) {
	native := "INSERT INTO t FORMAT Native\n"
	binary := "\x02\x01\x00;'\"`$$--/*\x00\xff\n;SELECT 2"
	runStatementCases(t, []statementCase{
		{name: "values", text: "INSERT INTO t VALUES (1,'a')",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t VALUES", insertData("INSERT INTO t", "", "Values", len("INSERT INTO t VALUES"))),
			data: " (1,'a')"},
		{name: "values lowercase", text: "insert into t values (1)",
			want: stmt(kindInsert, "INSERT", "insert into t values", insertData("insert into t", "", "Values", len("insert into t values"))),
			data: " (1)"},
		{name: "column list", text: "INSERT INTO t (a, b) VALUES (1, 2)",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t (a, b) VALUES", insertData("INSERT INTO t (a, b)", "", "Values", len("INSERT INTO t (a, b) VALUES"))),
			data: " (1, 2)"},
		// Keywords inside the column list are column names.
		{name: "column list of keywords", text: "INSERT INTO t (values, format, settings) VALUES (1, 2, 3)",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t (values, format, settings) VALUES",
				insertData("INSERT INTO t (values, format, settings)", "", "Values", len("INSERT INTO t (values, format, settings) VALUES"))),
			data: " (1, 2, 3)"},
		// Values data is the engine's to parse, even a ';' in it.
		{name: "values data not scanned", text: "INSERT INTO t VALUES (';'); SELECT 2",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t VALUES", insertData("INSERT INTO t", "", "Values", len("INSERT INTO t VALUES"))),
			data: " (';'); SELECT 2"},
		{name: "settings before format", text: "INSERT INTO t SETTINGS a=1, b='x' FORMAT CSV\n1,2\n",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t SETTINGS a=1, b='x' FORMAT CSV",
				insertData("INSERT INTO t", "a=1, b='x'", "CSV", len("INSERT INTO t SETTINGS a=1, b='x' FORMAT CSV\n"))),
			data: "1,2\n"},
		{name: "column list then settings then values", text: "INSERT INTO t (a) settings a=1 VALUES (1)",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t (a) settings a=1 VALUES",
				insertData("INSERT INTO t (a)", "a=1", "Values", len("INSERT INTO t (a) settings a=1 VALUES"))),
			data: " (1)"},
		{name: "settings value with brackets", text: "INSERT INTO t SETTINGS a=(SELECT 1) FORMAT CSV",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t SETTINGS a=(SELECT 1) FORMAT CSV",
				insertData("INSERT INTO t", "a=(SELECT 1)", "CSV", len("INSERT INTO t SETTINGS a=(SELECT 1) FORMAT CSV"))),
			data: ""},
		{name: "native binary data", text: native + binary,
			want: stmt(kindInsert, "INSERT", "INSERT INTO t FORMAT Native", insertData("INSERT INTO t", "", "Native", len(native))),
			data: binary},
		{name: "quoted format name", text: "INSERT INTO t FORMAT `CSV`\n1",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t FORMAT `CSV`", insertData("INSERT INTO t", "", "CSV", len("INSERT INTO t FORMAT `CSV`\n"))),
			data: "1"},
		{name: "comment in target", text: "INSERT /* c */ INTO t FORMAT CSV\n1",
			want: stmt(kindInsert, "INSERT", "INSERT /* c */ INTO t FORMAT CSV", insertData("INSERT /* c */ INTO t", "", "CSV", len("INSERT /* c */ INTO t FORMAT CSV\n"))),
			data: "1"},
		{name: "insert into function", text: "INSERT INTO FUNCTION file('x','CSV','a UInt8') FORMAT CSV",
			want: stmt(kindInsert, "INSERT", "INSERT INTO FUNCTION file('x','CSV','a UInt8') FORMAT CSV",
				insertData("INSERT INTO FUNCTION file('x','CSV','a UInt8')", "", "CSV", len("INSERT INTO FUNCTION file('x','CSV','a UInt8') FORMAT CSV"))),
			data: ""},
		// A client's FROM INFILE goes to the engine as written; the endpoint refuses it.
		{name: "from infile", text: "INSERT INTO t FROM INFILE 'f' FORMAT CSV",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t FROM INFILE 'f' FORMAT CSV",
				func(st *statement) { st.target = "INSERT INTO t FROM INFILE 'f' FORMAT CSV"; st.fromInfile = true })},
		{name: "from infile compression lowercase", text: "insert into t from infile 'f.gz' compression 'gzip' format CSV",
			want: stmt(kindInsert, "INSERT", "insert into t from infile 'f.gz' compression 'gzip' format CSV",
				func(st *statement) {
					st.target = "insert into t from infile 'f.gz' compression 'gzip' format CSV"
					st.fromInfile = true
				})},

		{name: "select", text: "INSERT INTO t SELECT 1",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t SELECT 1", insertSelectOf("INSERT INTO t", "", "SELECT 1"))},
		{name: "select lowercase with semicolon", text: "insert into t select 1 ;\n",
			want: stmt(kindInsert, "INSERT", "insert into t select 1", insertSelectOf("insert into t", "", "select 1"))},
		{name: "with select", text: "INSERT INTO t WITH 1 AS x SELECT x",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t WITH 1 AS x SELECT x", insertSelectOf("INSERT INTO t", "", "WITH 1 AS x SELECT x"))},
		{name: "column list then parenthesised select", text: "INSERT INTO t (a) (SELECT 1)",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t (a) (SELECT 1)", insertSelectOf("INSERT INTO t (a)", "", "(SELECT 1)"))},
		{name: "parenthesised select", text: "INSERT INTO t (SELECT 1);",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t (SELECT 1)", insertSelectOf("INSERT INTO t", "", "(SELECT 1)"))},
		{name: "settings then select", text: "INSERT INTO t SETTINGS a=1 SELECT 1",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t SETTINGS a=1 SELECT 1", insertSelectOf("INSERT INTO t", "a=1", "SELECT 1"))},
		// The SELECT part is not data, so FORMAT inside it is no data clause.
		{name: "select with format", text: "INSERT INTO t SELECT * FROM s FORMAT CSV",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t SELECT * FROM s FORMAT CSV", insertSelectOf("INSERT INTO t", "", "SELECT * FROM s FORMAT CSV"))},

		{name: "no data clause", text: "INSERT INTO t", want: stmt(kindInsert, "INSERT", "INSERT INTO t", insertSelectOf("INSERT INTO t", "", ""))},
		{name: "no data clause with semicolon", text: "INSERT INTO t (a) ; -- c",
			want: stmt(kindInsert, "INSERT", "INSERT INTO t (a)", insertSelectOf("INSERT INTO t (a)", "", ""))},

		{name: "table named settings", text: "INSERT INTO settings (k, v) VALUES ('a', 'b')",
			want: stmt(kindInsert, "INSERT", "INSERT INTO settings (k, v) VALUES",
				insertData("INSERT INTO settings (k, v)", "", "Values", len("INSERT INTO settings (k, v) VALUES"))),
			data:  " ('a', 'b')",
			fixed: "the table name is taken for the SETTINGS keyword: target is \"INSERT INTO\" and settings \"(k, v)\""},
	})
}

func TestStatementInsertDataStart(t *testing.T) {
	const head = "INSERT INTO t FORMAT CSV"
	tests := []struct {
		name, after, data string
	}{
		{"nothing", "", ""},
		{"newline", "\n1", "1"},
		{"crlf", "\r\n1", "1"},
		{"spaces tabs formfeeds then crlf", " \t\f \r\n1", "1"},
		{"spaces then data", "  1,2", "1,2"},
		// Only one line break is eaten: a second one is data (an empty row).
		{"two newlines", "\n\n1", "\n1"},
		{"two carriage returns", "\r\r\n1", "\r\n1"},
		{"newline then carriage return", "\n\r1", "\r1"},
		{"newline then spaces", "\n  1", "  1"},
		{"vertical tab is data", "\v1", "\v1"},
		// A comment after the name is data, as in ClickHouse.
		{"comment is data", " -- c\n1", "-- c\n1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, ex := parseStatement(head + tc.after)
			if ex != nil {
				t.Fatal(ex)
			}
			if st.sql != head || st.inFormat != "CSV" {
				t.Fatalf("sql %q inFormat %q, want %q CSV", st.sql, st.inFormat, head)
			}
			if got := (head + tc.after)[st.dataStart:]; got != tc.data {
				t.Fatalf("data = %q, want %q", got, tc.data)
			}
		})
	}
}

func TestInsertDataStart(t *testing.T) {
	tests := []struct {
		text string
		from int
		want int
	}{
		{"", 0, 0},
		{"abc", 3, 3},
		{"x \t\f", 1, 4},
		{"x\r", 1, 2},
		{"x\n", 1, 2},
		{"x\r\ny", 1, 3},
		{"x\n\ny", 1, 2},
		{"x \r \ny", 1, 3},
		{"x y", 1, 2},
	}
	for _, tc := range tests {
		if got := insertDataStart(tc.text, tc.from); got != tc.want {
			t.Errorf("insertDataStart(%q, %d) = %d, want %d", tc.text, tc.from, got, tc.want)
		}
	}
}

func TestStatementErrors(t *testing.T) {
	tests := []struct{ name, text, fixed string }{
		{name: "empty", text: ""},
		{name: "whitespace", text: " \n\t "},
		{name: "comment only", text: "-- nothing\n"},
		{name: "block comment only", text: "/* nothing */"},
		{name: "two statements", text: "SELECT 1; SELECT 2"},
		{name: "two statements no space", text: "SELECT 1;SELECT 2"},
		{name: "double semicolon", text: "SELECT 1;;"},
		{name: "statement after comment", text: "SELECT 1; -- c\nSELECT 2"},
		{name: "ddl then select", text: "DROP TABLE x SYNC; SELECT 1"},
		{name: "insert select then another", text: "INSERT INTO t SELECT 1; SELECT 2"},
		{name: "insert without clause then another", text: "INSERT INTO t; DROP TABLE x"},
		{name: "insert format without name", text: "INSERT INTO t FORMAT"},
		{name: "insert format with punct", text: "INSERT INTO t FORMAT ;"},
		{name: "insert format with string", text: "INSERT INTO t FORMAT 'CSV'"},
		{name: "insert then select", text: "INSERT INTO t; SELECT 1", fixed: "a ';' before an INSERT's data clause does not end the statement: " +
			"it is accepted as INSERT ... SELECT with target \"INSERT INTO t;\" and runInsert sends \"INSERT INTO t; SELECT 1\" on"},
		{name: "insert then show with format", text: "INSERT INTO t; SHOW TABLES FORMAT JSON", fixed: "a ';' before an INSERT's data clause does not end the statement: " +
			"it is accepted as an INSERT with target \"INSERT INTO t; SHOW TABLES\" and inFormat JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, ex := parseStatement(tc.text)
			if ex == nil {
				t.Fatalf("parseStatement(%q) = %+v, want an exception", tc.text, *st)
			}
			if st != nil {
				t.Fatalf("parseStatement(%q) returned both a statement and %v", tc.text, ex)
			}
			if ex.Code != codeSyntaxError {
				t.Fatalf("code = %d, want %d", ex.Code, codeSyntaxError)
			}
			if !strings.HasPrefix(ex.Message, "Code: 62. DB::Exception: ") || !strings.HasSuffix(ex.Message, "(SYNTAX_ERROR)") {
				t.Fatalf("message %q is not in the server's form", ex.Message)
			}
		})
	}
}

// runInsert splices target and settings into new SQL ("<target> FROM INFILE
// ... SETTINGS <settings> FORMAT ..."), so neither may end inside a comment
// that would swallow what follows.
func TestStatementInsertPartsSplice(t *testing.T) {
	tests := []struct {
		name, text, fixed string
	}{
		{name: "plain", text: "INSERT INTO t SETTINGS a=1 FORMAT CSV\n1"},
		{name: "block comments", text: "INSERT INTO t /* c */ SETTINGS a=1 /* d */ FORMAT CSV\n1"},
		{name: "line comment after target", text: "INSERT INTO t -- note\nVALUES (1)",
			fixed: "target keeps a trailing line comment (\"INSERT INTO t -- note\"), so runInsert's \" FROM INFILE ...\" is commented out"},
		{name: "line comment after settings", text: "INSERT INTO t SETTINGS a=1 -- note\nFORMAT CSV\n1",
			fixed: "settings keeps a trailing line comment (\"a=1 -- note\"), so runInsert's \" FORMAT CSV\" is commented out"},
		{name: "line comment before select", text: "INSERT INTO t # note\nSELECT 1",
			fixed: "target keeps a trailing line comment, so runInsert's \" \" + selectSQL is commented out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, ex := parseStatement(tc.text)
			if ex != nil {
				t.Fatal(ex)
			}
			for _, part := range []string{st.target, st.settings} {
				if part == "" {
					continue
				}
				s := &scanner{src: part + " MARKER"}
				var last token
				for tk := s.next(); tk.kind != tokEOF; tk = s.next() {
					last = tk
				}
				if s.text(last) != "MARKER" {
					t.Fatalf("text appended to %q is not read as SQL", part)
				}
			}
		})
	}
}

func TestUnquoteIdent(t *testing.T) {
	tests := map[string]string{
		"JSON":    "JSON",
		"`JSON`":  "JSON",
		`"JSON"`:  "JSON",
		"``":      "",
		"`":       "`",
		`"`:       `"`,
		`"JSON`:   `"JSON`,
		"`JSON\"": "`JSON\"",
		"'JSON'":  "'JSON'",
	}
	for in, want := range tests {
		if got := unquoteIdent(in); got != want {
			t.Errorf("unquoteIdent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQuoteString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `''`},
		{"abc", `'abc'`},
		{"it's", `'it\'s'`},
		{`a\b`, `'a\\b'`},
		{`\'`, `'\\\''`},
		{`'; DROP TABLE t; --`, `'\'; DROP TABLE t; --'`},
		{"a\nb\x00ü", "'a\nb\x00ü'"},
		{`"` + "`", `'"` + "`'"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := quoteString(tc.in)
			if got != tc.want {
				t.Fatalf("quoteString(%q) = %s, want %s", tc.in, got, tc.want)
			}
			// The literal must lex as exactly one string, whatever the value holds.
			if toks := scanAll(t, got+" x"); len(toks) != 2 || toks[0].kind != tokString || toks[0].text != got {
				t.Fatalf("quoteString(%q) = %s does not lex as one string: %v", tc.in, got, toks)
			}
		})
	}
}

func TestQuoteIdent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "``"},
		{"col", "`col`"},
		{"a`b", "`a\\`b`"},
		{`a\b`, "`a\\\\b`"},
		{`\` + "`", "`\\\\\\``"},
		{`a"b c`, "`a\"b c`"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := quoteIdent(tc.in)
			if got != tc.want {
				t.Fatalf("quoteIdent(%q) = %s, want %s", tc.in, got, tc.want)
			}
			if toks := scanAll(t, got+" x"); len(toks) != 2 || toks[0].kind != tokIdent || toks[0].text != got {
				t.Fatalf("quoteIdent(%q) = %s does not lex as one identifier: %v", tc.in, got, toks)
			}
		})
	}
}

func TestSettingsList(t *testing.T) {
	tests := []struct {
		name string
		url  []setting
		own  string
		want string
	}{
		{"none", nil, "", ""},
		{"own only", nil, "a=1", "a=1"},
		{"url only", []setting{{"max_threads", "1"}}, "", "max_threads = '1'"},
		// The engine applies the last value of a repeated setting, so the
		// statement's own list must come last to win over the URL.
		{"url first then own", []setting{{"a", "1"}, {"b", "x"}}, "a=2, c='y'", "a = '1', b = 'x', a=2, c='y'"},
		{"url values quoted", []setting{{"s", `it's \`}}, "", `s = 'it\'s \\'`},
		{"url order kept", []setting{{"z", "1"}, {"a", "2"}, {"m", "3"}}, "", "z = '1', a = '2', m = '3'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := settingsList(tc.url, tc.own); got != tc.want {
				t.Fatalf("settingsList = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIsHello(t *testing.T) {
	tests := []struct {
		sql  string
		want bool
	}{
		{helloQuery, true},
		{"select displayname(), VERSION(), revision(), timezone()", true},
		{"\n  SELECT  displayName(),\n\tversion(), revision(),   timezone() \n", true},
		{"SELECT displayName(), version(), revision(), timezone() FORMAT Native", false},
		{"SELECT displayName(), version(), revision()", false},
		{"SELECT version()", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := isHello(tc.sql); got != tc.want {
			t.Errorf("isHello(%q) = %v, want %v", tc.sql, got, tc.want)
		}
	}
}

// helloReader decodes the Native block by hand, independently of the writer.
type helloReader struct {
	t   *testing.T
	b   []byte
	off int
}

func (r *helloReader) bytes(n int) []byte {
	r.t.Helper()
	if r.off+n > len(r.b) {
		r.t.Fatalf("block ends at %d, need %d more bytes at %d", len(r.b), n, r.off)
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v
}

func (r *helloReader) uvarint() uint64 {
	r.t.Helper()
	var v uint64
	for shift := 0; ; shift += 7 {
		c := r.bytes(1)[0]
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
}

func (r *helloReader) string() string {
	r.t.Helper()
	return string(r.bytes(int(r.uvarint())))
}

func TestHelloBlock(t *testing.T) {
	tests := []struct {
		rev                 uint64
		blockInfo, serFlags bool
	}{
		{0, false, false},
		{54453, true, false},
		{54454, true, true},
		{54460, true, true},
	}
	for _, tc := range tests {
		t.Run("rev="+strconv.FormatUint(tc.rev, 10), func(t *testing.T) {
			b := helloBlock(tc.rev, "rebate", "26.5.1.1", "Europe/Amsterdam")
			r := &helloReader{t: t, b: b}
			if tc.blockInfo {
				want := []byte{1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0}
				if got := r.bytes(len(want)); string(got) != string(want) {
					t.Fatalf("block info = % x, want % x", got, want)
				}
			}
			if n := r.uvarint(); n != 4 {
				t.Fatalf("columns = %d, want 4", n)
			}
			if n := r.uvarint(); n != 1 {
				t.Fatalf("rows = %d, want 1", n)
			}
			cols := []struct{ name, typ, value string }{
				{"displayName()", "String", "rebate"},
				{"version()", "String", "26.5.1.1"},
				{"revision()", "UInt32", "\x00\x00\x00\x00"},
				{"timezone()", "String", "Europe/Amsterdam"},
			}
			for _, c := range cols {
				if name, typ := r.string(), r.string(); name != c.name || typ != c.typ {
					t.Fatalf("column header %q %q, want %q %q", name, typ, c.name, c.typ)
				}
				if tc.serFlags {
					if f := r.bytes(1)[0]; f != 0 {
						t.Fatalf("column %s: custom serialization flag %d, want 0", c.name, f)
					}
				}
				var v string
				if c.typ == "UInt32" {
					// The hello reports revision 0, the revision of every later block.
					v = string(r.bytes(4))
				} else {
					v = r.string()
				}
				if v != c.value {
					t.Fatalf("column %s = %q, want %q", c.name, v, c.value)
				}
			}
			if r.off != len(b) {
				t.Fatalf("%d trailing bytes after the block", len(b)-r.off)
			}
		})
	}
}

func TestContentType(t *testing.T) {
	const (
		tsv    = "text/tab-separated-values; charset=UTF-8"
		csv    = "text/csv; charset=UTF-8"
		json   = "application/json; charset=UTF-8"
		ndjson = "application/x-ndjson; charset=UTF-8"
		plain  = "text/plain; charset=UTF-8"
		binary = "application/octet-stream"
	)
	tests := map[string]string{
		"TabSeparated": tsv, "TSV": tsv, "TSVWithNames": tsv, "TabSeparatedRaw": tsv, "tsv": tsv,
		"CSV": csv, "CSVWithNamesAndTypes": csv,
		"JSON": json, "JSONCompact": json, "JSONStrings": json, "json": json,
		"JSONEachRow": ndjson, "JSONLines": ndjson, "NDJSON": ndjson, "JSONCompactEachRowWithNames": ndjson,
		"JSONStringsEachRow": ndjson, "jsoneachrow": ndjson,
		"XML":    "application/xml; charset=UTF-8",
		"Pretty": plain, "PrettyCompactMonoBlock": plain, "Vertical": plain, "Markdown": plain, "Values": plain,
		"Native": binary, "RowBinary": binary, "Parquet": binary, "": binary,
	}
	for format, want := range tests {
		if got := contentType(format); got != want {
			t.Errorf("contentType(%q) = %q, want %q", format, got, want)
		}
	}
}

func TestResponseEncoding(t *testing.T) {
	tests := []struct{ accept, want string }{
		{"", ""},
		{"gzip", "gzip"},
		{"gzip, deflate, br", "gzip"},
		// Order decides, not q-values: the server takes the first it knows.
		{"br;q=0.1, gzip;q=1.0", "br"},
		{"identity, *, zstd", "zstd"},
		{"compress, x-gzip, LZ4", "lz4"},
		{" DEFLATE ;q=0.5", "deflate"},
		{"identity", ""},
		{"gzipx, brotli", ""},
	}
	for _, tc := range tests {
		if got := responseEncoding(tc.accept); got != tc.want {
			t.Errorf("responseEncoding(%q) = %q, want %q", tc.accept, got, tc.want)
		}
	}
}

// compressible returns n deterministic bytes mixing text and noise, so every
// codec both shrinks it and has to carry literals.
func compressible(n int) []byte {
	b := make([]byte, 0, n)
	x := uint32(2463534242)
	for len(b) < n {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		if x%4 == 0 {
			b = append(b, byte(x), byte(x>>8), byte(x>>16))
		} else {
			b = append(b, "SELECT 1;\n\x00'\""...)
		}
	}
	return b[:n]
}

func readBody(t *testing.T, body []byte, enc string, decompress bool) ([]byte, error) {
	t.Helper()
	r, closer, ex := requestBody(bytes.NewReader(body), enc, decompress)
	if ex != nil {
		t.Fatalf("requestBody(%q): %v", enc, ex)
	}
	defer closer()
	return io.ReadAll(r)
}

func TestHTTPEncodingRoundTrip(t *testing.T) {
	in := compressible(300 << 10)
	for _, enc := range []string{"gzip", "deflate", "br", "zstd", "lz4"} {
		t.Run(enc, func(t *testing.T) {
			z, err := httpCompressed(in, enc)
			if err != nil {
				t.Fatal(err)
			}
			if len(z) >= len(in) {
				t.Fatalf("%s did not compress: %d >= %d bytes", enc, len(z), len(in))
			}
			for _, header := range []string{enc, " " + strings.ToUpper(enc) + " "} {
				out, err := readBody(t, z, header, false)
				if err != nil {
					t.Fatalf("read with Content-Encoding %q: %v", header, err)
				}
				if !bytes.Equal(out, in) {
					t.Fatalf("round trip with Content-Encoding %q changed the data (%d bytes back of %d)", header, len(out), len(in))
				}
			}
		})
	}
}

func TestRequestBodyIdentity(t *testing.T) {
	in := []byte("SELECT 1\x00\xff")
	for _, enc := range []string{"", "identity", "None"} {
		out, err := readBody(t, in, enc, false)
		if err != nil || !bytes.Equal(out, in) {
			t.Errorf("Content-Encoding %q: got %q, %v; want the body unchanged", enc, out, err)
		}
	}
	// httpCompressed leaves the body alone for an encoding it does not write.
	if out, err := httpCompressed(in, ""); err != nil || !bytes.Equal(out, in) {
		t.Errorf("httpCompressed(\"\") = %q, %v; want the input", out, err)
	}
}

// nativeFrames splits ClickHouse compressed blocks: 16-byte checksum, method
// byte, then little-endian compressed size (with the 9-byte header) and raw size.
func nativeFrames(t *testing.T, z []byte) (methods []byte, rawSizes []int) {
	t.Helper()
	for off := 0; off < len(z); {
		if off+25 > len(z) {
			t.Fatalf("truncated block header at %d", off)
		}
		h := z[off+16:]
		compressed := int(binary.LittleEndian.Uint32(h[1:5]))
		methods = append(methods, h[0])
		rawSizes = append(rawSizes, int(binary.LittleEndian.Uint32(h[5:9])))
		off += 16 + compressed
		if off > len(z) {
			t.Fatalf("block runs past the end: %d > %d", off, len(z))
		}
	}
	return methods, rawSizes
}

func TestNativeCompressionRoundTrip(t *testing.T) {
	const mib = 1 << 20
	in := compressible(2*mib + 12345)
	tests := []struct {
		method string
		code   byte
	}{
		{"", 0x82},
		{"LZ4", 0x82},
		{"ZSTD", 0x90},
		{"zstd", 0x90},
	}
	for _, tc := range tests {
		t.Run("method="+tc.method, func(t *testing.T) {
			z, err := nativeCompressed(in, tc.method)
			if err != nil {
				t.Fatal(err)
			}
			methods, sizes := nativeFrames(t, z)
			// Blocks of the server's 1 MiB buffer: two full ones and the rest.
			wantSizes := []int{mib, mib, 12345}
			if !slices.Equal(sizes, wantSizes) {
				t.Fatalf("block raw sizes %v, want %v", sizes, wantSizes)
			}
			for i, m := range methods {
				if m != tc.code {
					t.Fatalf("block %d method 0x%02x, want 0x%02x", i, m, tc.code)
				}
			}
			out, err := readBody(t, z, "", true)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, in) {
				t.Fatalf("round trip changed the data (%d bytes back of %d)", len(out), len(in))
			}
		})
	}
}

// clickhouse-go may wrap compressed blocks in an HTTP encoding too.
func TestNativeInsideHTTPCompression(t *testing.T) {
	in := compressible(1<<20 + 1)
	z, err := nativeCompressed(in, "LZ4")
	if err != nil {
		t.Fatal(err)
	}
	gz, err := httpCompressed(z, "gzip")
	if err != nil {
		t.Fatal(err)
	}
	out, err := readBody(t, gz, "gzip", true)
	if err != nil || !bytes.Equal(out, in) {
		t.Fatalf("gzip over native blocks: %d bytes back of %d, err %v", len(out), len(in), err)
	}
}

func TestNativeDecompressEnd(t *testing.T) {
	in := compressible(100 << 10)
	z, err := nativeCompressed(in, "LZ4")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("end is sticky", func(t *testing.T) {
		r, closer, ex := requestBody(bytes.NewReader(z), "", true)
		if ex != nil {
			t.Fatal(ex)
		}
		defer closer()
		if out, err := io.ReadAll(r); err != nil || !bytes.Equal(out, in) {
			t.Fatalf("first read: %d bytes, %v", len(out), err)
		}
		// A reader that handed out its last block again here would duplicate rows.
		for range 2 {
			if n, err := r.Read(make([]byte, 16)); n != 0 || err != io.EOF {
				t.Fatalf("read after end = %d, %v; want 0, io.EOF", n, err)
			}
		}
	})
	t.Run("cut inside a block fails", func(t *testing.T) {
		out, err := readBody(t, z[:len(z)-7], "", true)
		if err == nil {
			t.Fatalf("a truncated block read cleanly (%d bytes)", len(out))
		}
	})
	t.Run("empty body", func(t *testing.T) {
		out, err := readBody(t, nil, "", true)
		if err != nil || len(out) != 0 {
			t.Fatalf("empty compressed body: %d bytes, %v; want none and no error", len(out), err)
		}
	})
}

func TestRequestBodyErrors(t *testing.T) {
	tests := []struct {
		enc  string
		body string
		code int
	}{
		{"compress", "", codeUnknownCompressionMethod},
		{"gzip, br", "", codeUnknownCompressionMethod},
		{"snappy", "x", codeUnknownCompressionMethod},
		// gzip and zlib read their header at once, so garbage fails up front.
		{"gzip", "not gzip at all", codeCannotDecompress},
		{"deflate", "not zlib at all", codeCannotDecompress},
	}
	for _, tc := range tests {
		t.Run(tc.enc, func(t *testing.T) {
			r, closer, ex := requestBody(strings.NewReader(tc.body), tc.enc, false)
			if ex == nil {
				closer()
				t.Fatalf("requestBody(%q) gave a reader, want exception %d", tc.enc, tc.code)
			}
			if r != nil || closer != nil {
				t.Fatalf("requestBody(%q) returned a reader or closer with its exception", tc.enc)
			}
			if ex.Code != tc.code {
				t.Fatalf("code = %d, want %d (%s)", ex.Code, tc.code, ex.Message)
			}
		})
	}
}

// readStatement parses the INSERT head from growing prefixes of the body, so
// parseStatement's answer on a prefix must not be final when more may come.
func TestStatementInsertFormatAtReadBoundary(t *testing.T) {
	s := &Server{cfg: Config{MaxQueryBytes: 16 << 20}}
	const head, tail = "INSERT INTO t /*", "*/ FORMAT"
	body := head + strings.Repeat("x", 64<<10-len(head)-len(tail)) + tail + " CSV\n1\n"
	st, data, ex := s.readStatement("", strings.NewReader(body), true)
	if ex != nil {
		t.Fatalf("readStatement: %v", ex)
	}
	if st.inFormat != "CSV" || data == nil {
		t.Fatalf("inFormat %q, data %v; want CSV and a reader", st.inFormat, data)
	}
	if b, err := io.ReadAll(data); err != nil || string(b) != "1\n" {
		t.Fatalf("data = %q, %v; want \"1\\n\"", b, err)
	}
}
