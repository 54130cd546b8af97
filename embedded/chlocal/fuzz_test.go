package chlocal

import (
	"strings"
	"testing"
	"unicode"
)

var fuzzStatements = []string{
	"SELECT 1",
	"select format FROM t",
	"SELECT format('{}', 1) AS format",
	"SELECT * FROM (SELECT 1 FORMAT TSV) FORMAT JSON SETTINGS max_threads=1;",
	"SELECT 1; -- done\n",
	"SELECT ';'; SELECT 2",
	"WITH $$a;b$$ AS x SELECT x INTO OUTFILE 'f' /* c /* d */ */",
	"CREATE TEMPORARY TABLE t (a UInt8) ENGINE = Memory",
	"DROP TABLE x SYNC",
	"SET a = 1 # c\n",
	"INSERT INTO t (a, b) SETTINGS a=1, b='x' VALUES (1, 'a')",
	"INSERT INTO t FORMAT Native\r\n\x01\x00;'\"`\xff",
	"INSERT INTO t (a) (SELECT 1)",
	"INSERT INTO FUNCTION file('x', 'CSV', 'a UInt8') FORMAT CSV\n1\n",
	"insert into t from infile 'f' format CSV",
	"(((",
	"'unterminated \\",
}

// FuzzParseStatement checks what callers rely on: offsets they slice with
// stay in range and point where the fields say.
func FuzzParseStatement(f *testing.F) {
	for _, s := range fuzzStatements {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		st, ex := parseStatement(text)
		if (st == nil) == (ex == nil) {
			t.Fatalf("want exactly one of statement and exception, got %v and %v", st, ex)
		}
		if ex != nil {
			if ex.Code != codeSyntaxError {
				t.Fatalf("exception code %d, want %d", ex.Code, codeSyntaxError)
			}
			return
		}
		// Every form of sql is text cut at some offset, never rewritten.
		if !strings.HasPrefix(text, st.sql) {
			t.Fatalf("sql %q is not a prefix of the text", st.sql)
		}
		if st.keyword != strings.ToUpper(st.keyword) {
			t.Fatalf("keyword %q is not upper case", st.keyword)
		}
		if st.kind != kindInsert {
			if st.dataStart != -1 || st.target != "" || st.settings != "" || st.inFormat != "" || st.selectSQL != "" || st.fromInfile {
				t.Fatalf("INSERT fields set on a %v statement: %+v", st.kind, *st)
			}
			// The statement was cut at its end, so no top-level ';' remains.
			// (Not checked for INSERT, which keeps one before its data clause:
			// see the BUG cases in TestStatementErrors.)
			s := &scanner{src: st.sql}
			for tk := s.next(); tk.kind != tokEOF; tk = s.next() {
				if tk.kind == tokPunct && tk.depth == 0 && st.sql[tk.start] == ';' {
					t.Fatalf("sql %q keeps a top-level ';' at %d", st.sql, tk.start)
				}
			}
		}
		if st.kind != kindOutput && (st.format != "" || st.postFormatSetAt != -1) {
			t.Fatalf("FORMAT clause recorded on a %v statement: %+v", st.kind, *st)
		}
		if st.kind == kindOutput && st.postFormatSetAt >= 0 {
			if st.postFormatSetAt > len(st.sql) || st.postFormatSetAt < len("SETTINGS") {
				t.Fatalf("postFormatSetAt %d outside sql of %d bytes", st.postFormatSetAt, len(st.sql))
			}
			if kw := st.sql[st.postFormatSetAt-len("SETTINGS") : st.postFormatSetAt]; !strings.EqualFold(kw, "SETTINGS") {
				t.Fatalf("postFormatSetAt %d follows %q, not SETTINGS", st.postFormatSetAt, kw)
			}
		}
		if st.droppedSync {
			if st.keyword != "DROP" && st.keyword != "DETACH" {
				t.Fatalf("SYNC stripped from a %s statement", st.keyword)
			}
			if rest := strings.TrimLeft(text[len(st.sql):], " \t\n\r\f\v"); len(rest) < 4 || !strings.EqualFold(rest[:4], "SYNC") {
				t.Fatalf("stripped text %q does not start with SYNC", rest)
			}
		}
		if st.kind == kindInsert {
			if st.keyword != "INSERT" {
				t.Fatalf("INSERT kind with keyword %q", st.keyword)
			}
			if st.dataStart >= 0 {
				if st.dataStart > len(text) {
					t.Fatalf("dataStart %d past the text's %d bytes", st.dataStart, len(text))
				}
				// The statement ends before its data; nothing between is data.
				if len(st.sql) > st.dataStart {
					t.Fatalf("sql of %d bytes overlaps data at %d", len(st.sql), st.dataStart)
				}
				gap := text[len(st.sql):st.dataStart]
				if strings.Trim(gap, " \t\f\r\n") != "" || strings.Count(gap, "\n") > 1 || strings.Count(gap, "\r") > 1 {
					t.Fatalf("between sql and data: %q", gap)
				}
				if st.selectSQL != "" {
					t.Fatalf("INSERT with both data and a SELECT: %+v", *st)
				}
			} else if st.dataStart != -1 {
				t.Fatalf("dataStart %d", st.dataStart)
			}
			if st.selectSQL != "" && !strings.HasSuffix(st.sql, st.selectSQL) {
				t.Fatalf("sql %q does not end with its SELECT %q", st.sql, st.selectSQL)
			}
			// The target is the statement's head, so runInsert can rebuild the
			// statement from it; leading space may or may not be trimmed.
			if !strings.HasPrefix(text, st.target) && !strings.HasPrefix(strings.TrimLeftFunc(text, unicode.IsSpace), st.target) {
				t.Fatalf("target %q is not the head of the text", st.target)
			}
			if !strings.Contains(text, st.settings) {
				t.Fatalf("settings %q not taken from the text", st.settings)
			}
		}
	})
}

// FuzzScanner checks the lexer's contract: ordered, non-overlapping,
// non-empty tokens inside the text, depth as counted from the brackets, and
// an end reached in at most one call per byte.
func FuzzScanner(f *testing.F) {
	for _, s := range fuzzStatements {
		f.Add(s)
	}
	for _, s := range []string{"$t$ $$ $t$", "$a b$", "#x # y\n#!z", "/* /* */", "`a``b` \"c\\\"d\" 'e''f'", "a→b ([{ }])) ]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s := &scanner{src: src}
		prevEnd, depth := 0, 0
		for calls := 0; ; calls++ {
			if calls > len(src)+1 {
				t.Fatalf("no EOF after %d calls on %d bytes", calls, len(src))
			}
			tk := s.next()
			if tk.depth != depth {
				t.Fatalf("token at %d has depth %d, brackets give %d", tk.start, tk.depth, depth)
			}
			if tk.kind == tokEOF {
				if tk.start != len(src) || tk.end != len(src) {
					t.Fatalf("EOF at [%d,%d), want %d", tk.start, tk.end, len(src))
				}
				if gap := (&scanner{src: src[prevEnd:]}).next(); gap.kind != tokEOF {
					t.Fatalf("text after the last token %q holds a token", src[prevEnd:])
				}
				return
			}
			if tk.start < prevEnd || tk.end <= tk.start || tk.end > len(src) {
				t.Fatalf("token [%d,%d) after %d in %d bytes", tk.start, tk.end, prevEnd, len(src))
			}
			// What was skipped is only whitespace and comments.
			if gap := (&scanner{src: src[prevEnd:tk.start]}).next(); gap.kind != tokEOF {
				t.Fatalf("skipped text %q holds a token", src[prevEnd:tk.start])
			}
			// A token lexes the same on its own: it does not depend on what follows.
			alone := &scanner{src: src[tk.start:tk.end]}
			if a := alone.next(); a.kind != tk.kind || a.end != tk.end-tk.start || alone.next().kind != tokEOF {
				t.Fatalf("token %q (kind %d) lexes differently alone: kind %d end %d", src[tk.start:tk.end], tk.kind, a.kind, a.end)
			}
			switch {
			case tk.kind == tokPunct && tk.end-tk.start != 1:
				t.Fatalf("punctuation token %q is not one byte", src[tk.start:tk.end])
			case tk.kind == tokPunct && strings.IndexByte("([{", src[tk.start]) >= 0:
				depth++
			case tk.kind == tokPunct && strings.IndexByte(")]}", src[tk.start]) >= 0 && depth > 0:
				depth--
			}
			prevEnd = tk.end
		}
	})
}
