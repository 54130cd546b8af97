package chlocal

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// tok is a token as a test expects it: kind, exact text and bracket depth.
type tok struct {
	kind  tokKind
	text  string
	depth int
}

func (t tok) String() string {
	return fmt.Sprintf("%s(%q)@%d", [...]string{"EOF", "Word", "Ident", "String", "Punct"}[t.kind], t.text, t.depth)
}

// scanAll scans src to EOF. It fails the test rather than hang if the
// scanner stops advancing, which is the failure mode unterminated input risks.
func scanAll(tb testing.TB, src string) []tok {
	tb.Helper()
	s := &scanner{src: src}
	var out []tok
	for i := 0; ; i++ {
		if i > len(src)+1 {
			tb.Fatalf("scanner did not reach EOF after %d tokens on %q", i, src)
		}
		t := s.next()
		if t.kind == tokEOF {
			if t.start != len(src) || t.end != len(src) {
				tb.Fatalf("EOF token at [%d,%d), want [%d,%d)", t.start, t.end, len(src), len(src))
			}
			return out
		}
		out = append(out, tok{t.kind, s.text(t), t.depth})
	}
}

func tw(text string) tok        { return tok{tokWord, text, 0} }
func ti(text string) tok        { return tok{tokIdent, text, 0} }
func ts(text string) tok        { return tok{tokString, text, 0} }
func tp(text string) tok        { return tok{tokPunct, text, 0} }
func atDepth(t tok, d int) tok  { t.depth = d; return t }
func tokList(list ...tok) []tok { return list }

func TestScanTokens(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []tok
	}{
		{"empty", "", nil},
		{"only whitespace", " \t\n\r\f\v ", nil},
		{"words and numbers", "SELECT a_1, 42", tokList(tw("SELECT"), tw("a_1"), tp(","), tw("42"))},
		// Numbers are not one token: the statement parser only needs words.
		{"decimal splits at dot", "1.5e-3", tokList(tw("1"), tp("."), tw("5e"), tp("-"), tw("3"))},
		{"qualified name", "db.t", tokList(tw("db"), tp("."), tw("t"))},
		{"cast operator", "x::Int8", tokList(tw("x"), tp(":"), tp(":"), tw("Int8"))},
		{"punctuation one byte each", "a<=b", tokList(tw("a"), tp("<"), tp("="), tw("b"))},
		{"whitespace of every kind separates", "a\tb\nc\rd\fe\vf", tokList(tw("a"), tw("b"), tw("c"), tw("d"), tw("e"), tw("f"))},

		{"string", "'abc' x", tokList(ts("'abc'"), tw("x"))},
		{"empty string", "''", tokList(ts("''"))},
		{"string doubled quote", "'it''s' x", tokList(ts("'it''s'"), tw("x"))},
		{"string backslash quote", `'it\'s' x`, tokList(ts(`'it\'s'`), tw("x"))},
		// An escaped backslash must not escape the closing quote.
		{"string escaped backslash then close", `'a\\' x`, tokList(ts(`'a\\'`), tw("x"))},
		{"string holds other quotes", "'\"`$$--/*;' x", tokList(ts("'\"`$$--/*;'"), tw("x"))},
		{"adjacent strings with space", "'a' 'b'", tokList(ts("'a'"), ts("'b'"))},
		{"double-quoted ident", `"my col" x`, tokList(ti(`"my col"`), tw("x"))},
		{"double-quoted ident doubled", `"a""b" x`, tokList(ti(`"a""b"`), tw("x"))},
		{"double-quoted ident backslash", `"a\"b" x`, tokList(ti(`"a\"b"`), tw("x"))},
		{"backquoted ident", "`a b` x", tokList(ti("`a b`"), tw("x"))},
		{"backquoted ident doubled", "`a``b` x", tokList(ti("`a``b`"), tw("x"))},
		{"backquoted ident backslash", "`a\\`b` x", tokList(ti("`a\\`b`"), tw("x"))},
		{"quote kinds do not close each other", "'a\"b`c' x", tokList(ts("'a\"b`c'"), tw("x"))},

		{"dash comment", "a -- c ; 'x\nb", tokList(tw("a"), tw("b"))},
		{"dash comment no space", "a --c", tokList(tw("a"))},
		{"dash comment at end", "a--", tokList(tw("a"))},
		{"single dash is punct", "a - b", tokList(tw("a"), tp("-"), tw("b"))},
		{"hash space comment", "a # c ;\nb", tokList(tw("a"), tw("b"))},
		{"hash bang comment", "#!/usr/bin/clickhouse-local\nb", tokList(tw("b"))},
		// ClickHouse only treats "# " and "#!" as comments; "#x" is punctuation.
		{"hash word is not a comment", "a #x b", tokList(tw("a"), tp("#"), tw("x"), tw("b"))},
		{"hash at end is punct", "a #", tokList(tw("a"), tp("#"))},
		{"hash tab is not a comment", "a #\tb", tokList(tw("a"), tp("#"), tw("b"))},
		{"block comment", "a /* c ; ' */ b", tokList(tw("a"), tw("b"))},
		{"empty block comment", "a/**/b", tokList(tw("a"), tw("b"))},
		{"nested block comment", "a /* x /* y */ z */ b", tokList(tw("a"), tw("b"))},
		// With nesting, the first */ only closes the inner comment.
		{"nested block comment unterminated", "a /* x /* y */ b", tokList(tw("a"))},
		{"block comment unterminated", "a /* b", tokList(tw("a"))},
		{"slash is punct", "a / b", tokList(tw("a"), tp("/"), tw("b"))},
		{"comment inside string is text", "'--x' '/*' b", tokList(ts("'--x'"), ts("'/*'"), tw("b"))},
		{"comments back to back", "-- a\n/* b */# c\n#!d\nx", tokList(tw("x"))},

		{"heredoc empty tag", "$$a'b;$$ x", tokList(ts("$$a'b;$$"), tw("x"))},
		{"heredoc tag", "$t$ $$ $u$ $t$ x", tokList(ts("$t$ $$ $u$ $t$"), tw("x"))},
		{"heredoc empty body", "$$$$x", tokList(ts("$$$$"), tw("x"))},
		{"heredoc unterminated", "$t$ abc ;", tokList(ts("$t$ abc ;"))},
		{"heredoc empty tag unterminated", "$$ abc", tokList(ts("$$ abc"))},
		// A '$' that cannot open a heredoc is plain punctuation.
		// ClickHouse reads a '$' inside a word as part of the identifier.
		{"dollar before non-word", "$a b$", tokList(tp("$"), tw("a"), tw("b$"))},
		{"dollar then word at end", "$1", tokList(tp("$"), tw("1"))},
		{"lone dollar", "$", tokList(tp("$"))},

		{"unterminated string", "'abc ;", tokList(ts("'abc ;"))},
		{"unterminated string after backslash", `'abc\`, tokList(ts(`'abc\`))},
		{"unterminated string escaped quote", `'abc\'`, tokList(ts(`'abc\'`))},
		{"unterminated double-quoted ident", `x "abc`, tokList(tw("x"), ti(`"abc`))},
		{"unterminated backquoted ident", "x `abc", tokList(tw("x"), ti("`abc"))},
		{"lone quote", "'", tokList(ts("'"))},

		{"depth", "f(a[1], {b})c", tokList(
			tw("f"), tp("("), atDepth(tw("a"), 1), atDepth(tp("["), 1), atDepth(tw("1"), 2), atDepth(tp("]"), 2),
			atDepth(tp(","), 1), atDepth(tp("{"), 1), atDepth(tw("b"), 2), atDepth(tp("}"), 2), atDepth(tp(")"), 1), tw("c"))},
		// Closers are not matched by kind: the lexer only counts.
		{"depth mismatched closers", "(]x", tokList(tp("("), atDepth(tp("]"), 1), tw("x"))},
		{"depth never negative", ") ) x (y", tokList(tp(")"), tp(")"), tw("x"), tp("("), atDepth(tw("y"), 1))},
		{"brackets in strings ignored", "'(' \"[\" `{` x", tokList(ts("'('"), ti(`"["`), ti("`{`"), tw("x"))},
		{"brackets in comments ignored", "/* ( */ -- [\nx", tokList(tw("x"))},

		{"utf8 words", "SELECT привет, 日本語", tokList(tw("SELECT"), tw("привет"), tp(","), tw("日本語"))},
		{"utf8 joins ascii", "a→b café", tokList(tw("a→b"), tw("café"))},
		{"utf8 in string", "'ü;' x", tokList(ts("'ü;'"), tw("x"))},
		{"invalid utf8 byte is word", "a\xffb", tokList(tw("a\xffb"))},
		{"nul is punct", "a\x00b", tokList(tw("a"), tp("\x00"), tw("b"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := scanAll(t, tc.src)
			if !slices.Equal(got, tc.want) {
				t.Errorf("scan %q\n got %v\nwant %v", tc.src, got, tc.want)
			}
		})
	}
}

func TestScanEOFIsSticky(t *testing.T) {
	s := &scanner{src: "(a"}
	for range 2 {
		s.next()
	}
	for i := range 3 {
		e := s.next()
		if e.kind != tokEOF || e.start != 2 || e.end != 2 {
			t.Fatalf("call %d after end: got %+v, want EOF at 2", i, e)
		}
		// EOF reports the depth left open, which tells a caller the text is unbalanced.
		if e.depth != 1 {
			t.Fatalf("EOF depth = %d, want 1", e.depth)
		}
	}
}

// Offsets must index the original text, so a statement can be cut at them.
func TestScanOffsets(t *testing.T) {
	src := "  SELECT /* c */ 'x'\n, `y`"
	s := &scanner{src: src}
	want := []struct {
		kind       tokKind
		start, end int
	}{
		{tokWord, 2, 8},
		{tokString, strings.Index(src, "'x'"), strings.Index(src, "'x'") + 3},
		{tokPunct, strings.Index(src, ","), strings.Index(src, ",") + 1},
		{tokIdent, strings.Index(src, "`y`"), len(src)},
		{tokEOF, len(src), len(src)},
	}
	for i, wt := range want {
		got := s.next()
		if got.kind != wt.kind || got.start != wt.start || got.end != wt.end {
			t.Fatalf("token %d: got kind %d [%d,%d), want kind %d [%d,%d)",
				i, got.kind, got.start, got.end, wt.kind, wt.start, wt.end)
		}
	}
}

// Unterminated constructs must consume everything at once; a long input
// guards against a scanner that advances only a byte per call in a loop.
func TestScanUnterminatedLongInput(t *testing.T) {
	body := strings.Repeat("a\\b''c ", 10000)
	for _, src := range []string{
		"'" + body,
		"\"" + body,
		"`" + body,
		"$x$" + body,
		"/*" + strings.Repeat("/* ", 10000),
		"--" + body,
	} {
		name := src[:2]
		t.Run(name, func(t *testing.T) {
			got := scanAll(t, src)
			if len(got) > 1 {
				t.Fatalf("got %d tokens, want at most 1", len(got))
			}
			if len(got) == 1 && got[0].text != src {
				t.Fatalf("token does not run to the end: %d of %d bytes", len(got[0].text), len(src))
			}
		})
	}
}
