package chlocal

import (
	"regexp"
	"strings"
)

type stmtKind uint8

const (
	kindOutput  stmtKind = iota // SELECT, SHOW, DESCRIBE, EXISTS, EXPLAIN: has a result
	kindInsert                  // INSERT
	kindSession                 // SET, USE: only change the session
	kindOther                   // DDL and everything else
)

// statement is what the endpoint needs to know about one SQL statement.
type statement struct {
	kind    stmtKind
	keyword string // first keyword, upper case
	sql     string // the statement without a trailing ';' (for INSERT: up to its data)

	// Output statements.
	format           string // name in the FORMAT clause, "" when absent
	postFormatSetAt  int    // offset just after "SETTINGS" that follows FORMAT, or -1
	intoOutfile      bool
	createsTemporary bool
	droppedSync      bool // a trailing SYNC was removed from DROP/DETACH

	// INSERT statements.
	target     string // "INSERT INTO t (a, b)": everything before SETTINGS/VALUES/FORMAT/SELECT
	settings   string // the statement's own SETTINGS list, without the keyword
	inFormat   string // input format of inline data ("Values" for VALUES)
	dataStart  int    // offset of inline data in the scanned text, -1 when none
	selectSQL  string // INSERT ... SELECT: the SELECT part
	fromInfile bool
}

var outputKeywords = map[string]bool{
	"SELECT": true, "WITH": true, "SHOW": true, "DESCRIBE": true, "DESC": true,
	"EXISTS": true, "EXPLAIN": true, "CHECK": true,
}

// parseStatement analyses text, which must hold exactly one statement (an
// INSERT may be followed by its data, which is not scanned).
func parseStatement(text string) (*statement, *Exception) {
	s := &scanner{src: text}
	first := s.next()
	lead := first
	for lead.kind == tokPunct && text[lead.start] == '(' {
		lead = s.next()
	}
	if first.kind == tokEOF {
		return nil, newException(codeSyntaxError, "Empty query")
	}
	st := &statement{keyword: strings.ToUpper(s.text(lead)), dataStart: -1, postFormatSetAt: -1}
	if lead.kind != tokWord {
		st.keyword = ""
	}
	if st.keyword == "INSERT" {
		return parseInsert(s, st, first)
	}

	toks, end, ex := statementTokens(s, first)
	if ex != nil {
		return nil, ex
	}
	if len(toks) == 0 {
		return nil, newException(codeSyntaxError, "Empty query")
	}
	st.sql = strings.TrimRightFunc(text[:end], isSpaceRune)
	switch {
	case outputKeywords[st.keyword] || first.kind == tokPunct && text[first.start] == '(':
		st.kind = kindOutput
	case st.keyword == "SET" || st.keyword == "USE":
		st.kind = kindSession
	default:
		st.kind = kindOther
	}
	if st.keyword == "DROP" || st.keyword == "DETACH" {
		// The engine never finishes a synchronous drop (26.5): it waits for a
		// release that does not come. The table is gone from the catalog at
		// once either way; only its files are removed later.
		if at := syncClause(s, toks); at >= 0 {
			st.sql = strings.TrimRightFunc(text[:at], isSpaceRune)
			st.droppedSync = true
		}
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.depth != 0 || t.kind != tokWord {
			continue
		}
		w := s.text(t)
		switch {
		case strings.EqualFold(w, "INTO") && i+1 < len(toks) && isWord(s, toks[i+1], "OUTFILE"):
			st.intoOutfile = true
		case strings.EqualFold(w, "TEMPORARY") && i == 1 && st.keyword == "CREATE":
			st.createsTemporary = true
		case strings.EqualFold(w, "FORMAT") && i+1 < len(toks) && st.kind == kindOutput:
			name := toks[i+1]
			if name.kind != tokWord && name.kind != tokIdent {
				continue
			}
			if i+2 == len(toks) {
				st.format = unquoteIdent(s.text(name))
			} else if isWord(s, toks[i+2], "SETTINGS") {
				st.format = unquoteIdent(s.text(name))
				st.postFormatSetAt = toks[i+2].end
			}
		}
	}
	return st, nil
}

// syncClause finds a trailing SYNC or NO DELAY keyword of a DROP/DETACH and
// returns its offset, or -1. A word right after TABLE, EXISTS, a dot or a
// comma is a name (DROP TABLE sync), not the keyword.
func syncClause(s *scanner, toks []token) int {
	n := len(toks)
	at := -1
	switch {
	case n > 2 && isWord(s, toks[n-1], "DELAY") && isWord(s, toks[n-2], "NO"):
		at = n - 2
	case n > 1 && isWord(s, toks[n-1], "SYNC"):
		at = n - 1
	default:
		return -1
	}
	prev := toks[at-1]
	if prev.kind == tokPunct || prev.kind == tokString {
		return -1
	}
	switch strings.ToUpper(s.text(prev)) {
	case "TABLE", "DATABASE", "VIEW", "DICTIONARY", "EXISTS", "TEMPORARY", "DROP", "DETACH":
		return -1
	}
	return toks[at].start
}

// statementTokens scans to the end of the statement: the text or a top-level
// ';' with nothing but comments after it. It returns the tokens before the
// ';' and the offset where the statement ends.
func statementTokens(s *scanner, first token) ([]token, int, *Exception) {
	var toks []token
	for t := first; t.kind != tokEOF; t = s.next() {
		if t.kind == tokPunct && t.depth == 0 && s.src[t.start] == ';' {
			if rest := s.next(); rest.kind != tokEOF {
				return nil, 0, newException(codeSyntaxError,
					"Multi-statements are not allowed: send one statement per request")
			}
			return toks, t.start, nil
		}
		toks = append(toks, t)
	}
	return toks, len(s.src), nil
}

// parseInsert follows ClickHouse's INSERT grammar far enough to know the
// target, the statement's own SETTINGS and where its data starts:
//
//	INSERT INTO [TABLE] {name[.name] | FUNCTION f(...)} [(columns)]
//	    [SETTINGS ...] {VALUES | FORMAT name | SELECT ... | WITH ... | (SELECT ...) | FROM INFILE ...}
//
// The target is parsed by position, so a table named settings, values or
// format stays a name. Nothing after the data clause's start is scanned.
func parseInsert(s *scanner, st *statement, first token) (*statement, *Exception) {
	st.kind = kindInsert
	text := s.src
	// asIs hands the statement to the engine unchanged, for the forms this
	// parser does not follow; the engine reports what is wrong with them.
	asIs := func() (*statement, *Exception) {
		_, end, ex := statementTokens(&scanner{src: text}, first)
		if ex != nil {
			return nil, ex
		}
		st.sql = strings.TrimRightFunc(text[:end], isSpaceRune)
		st.target = st.sql
		return st, nil
	}
	t := s.next()
	if !isWord(s, t, "INTO") {
		return asIs()
	}
	t = s.next()
	if isWord(s, t, "TABLE") {
		t = s.next()
	}
	switch {
	case isWord(s, t, "FUNCTION"):
		if name := s.next(); name.kind != tokWord && name.kind != tokIdent {
			return asIs()
		}
		if open := s.next(); open.kind != tokPunct || text[open.start] != '(' {
			return asIs()
		}
		if !skipGroup(s) { // unclosed arguments
			return asIs()
		}
		t = s.next()
	case t.kind == tokWord || t.kind == tokIdent:
		t = s.next()
		for t.kind == tokPunct && text[t.start] == '.' {
			if part := s.next(); part.kind != tokWord && part.kind != tokIdent {
				return asIs()
			}
			t = s.next()
		}
	default:
		return asIs()
	}
	targetEnd := t.start
	if t.kind == tokPunct && text[t.start] == '(' {
		save := *s
		if n := s.next(); isWord(s, n, "SELECT") || isWord(s, n, "WITH") {
			st.target = trimComments(text[:t.start])
			return insertSelect(s, st, t.start)
		}
		*s = save
		if !skipGroup(s) {
			return asIs()
		}
		t = s.next()
		targetEnd = t.start
	}
	st.target = trimComments(text[:targetEnd])
	settingsStart := -1
	if isWord(s, t, "SETTINGS") {
		settingsStart = t.end
		for t = s.next(); t.kind != tokEOF; t = s.next() {
			if t.depth == 0 && (isWord(s, t, "VALUES") || isWord(s, t, "FORMAT") || isWord(s, t, "SELECT") ||
				isWord(s, t, "WITH") || isWord(s, t, "FROM") || t.kind == tokPunct && text[t.start] == ';') {
				break
			}
		}
		st.settings = strings.TrimSpace(trimComments(text[settingsStart:t.start]))
	}
	switch {
	case isWord(s, t, "VALUES"):
		st.inFormat = "Values"
		st.dataStart = t.end
		st.sql = text[:t.end]
		return st, nil
	case isWord(s, t, "FORMAT"):
		name := s.next()
		if name.kind != tokWord && name.kind != tokIdent {
			return nil, newException(codeSyntaxError, "INSERT: FORMAT must be followed by a format name")
		}
		st.inFormat = unquoteIdent(s.text(name))
		st.dataStart = insertDataStart(text, name.end)
		st.sql = text[:name.end]
		return st, nil
	case isWord(s, t, "SELECT"), isWord(s, t, "WITH"):
		return insertSelect(s, st, t.start)
	case t.kind == tokPunct && text[t.start] == '(':
		return insertSelect(s, st, t.start)
	case isWord(s, t, "FROM"):
		st.fromInfile = true
		return asIs()
	}
	// No data clause (or a ';' where one should be): the engine judges it,
	// but a second statement never gets through.
	return asIs()
}

// trimComments cuts s after its last token, dropping trailing comments and
// space, so that text appended to it is read as SQL.
func trimComments(s string) string {
	sc := &scanner{src: s}
	end := 0
	for t := sc.next(); t.kind != tokEOF; t = sc.next() {
		end = t.end
	}
	return s[:end]
}

// skipGroup moves past the bracket group just opened; false if it never closes.
func skipGroup(s *scanner) bool {
	for {
		t := s.next()
		if t.kind == tokEOF {
			return false
		}
		if s.depth == 0 {
			return true
		}
	}
}

func insertSelect(s *scanner, st *statement, selectStart int) (*statement, *Exception) {
	rest := &scanner{src: s.src, pos: selectStart}
	_, end, ex := statementTokens(rest, rest.next())
	if ex != nil {
		return nil, ex
	}
	st.selectSQL = strings.TrimRightFunc(s.src[selectStart:end], isSpaceRune)
	st.sql = strings.TrimRightFunc(s.src[:end], isSpaceRune)
	return st, nil
}

// insertDataStart applies ClickHouse's rule: data starts after the format
// name, spaces and tabs, and at most one line break.
func insertDataStart(text string, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\f') {
		i++
	}
	if i < len(text) && text[i] == '\r' {
		i++
	}
	if i < len(text) && text[i] == '\n' {
		i++
	}
	return i
}

func isWord(s *scanner, t token, w string) bool {
	return t.kind == tokWord && strings.EqualFold(s.text(t), w)
}

func isSpaceRune(r rune) bool { return r < 0x80 && isSpace(byte(r)) }

func unquoteIdent(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '`') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

var settingNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// quoteString renders v as a ClickHouse string literal.
func quoteString(v string) string {
	var b strings.Builder
	b.Grow(len(v) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// quoteIdent renders name as a ClickHouse identifier.
func quoteIdent(name string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`").Replace(name) + "`"
}
