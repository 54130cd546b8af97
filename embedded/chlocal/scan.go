package chlocal

// A small lexer for ClickHouse SQL: enough to find statement boundaries, the
// FORMAT and SETTINGS clauses and where an INSERT's inline data starts. It
// follows ClickHouse's own lexer where that matters: '...' strings and
// "..."/`...` identifiers with backslash and doubled-quote escapes,
// $tag$...$tag$ heredocs, -- and "# " line comments, nested /* */ comments.
// Anything it does not understand is left for the engine to report.

type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokWord           // bare word or number
	tokIdent          // "quoted" or `quoted` identifier
	tokString         // 'string' or $$heredoc$$
	tokPunct          // one byte of punctuation
)

type token struct {
	kind       tokKind
	start, end int // byte offsets in the scanned text
	depth      int // bracket depth at the token's start
}

type scanner struct {
	src   string
	pos   int
	depth int
}

func (s *scanner) text(t token) string { return s.src[t.start:t.end] }

// next returns the next token, skipping whitespace and comments.
func (s *scanner) next() token {
	s.skipSpace()
	if s.pos >= len(s.src) {
		return token{kind: tokEOF, start: len(s.src), end: len(s.src), depth: s.depth}
	}
	start, depth := s.pos, s.depth
	c := s.src[s.pos]
	switch {
	case c == '\'':
		s.skipQuoted('\'')
		return token{tokString, start, s.pos, depth}
	case c == '"' || c == '`':
		s.skipQuoted(c)
		return token{tokIdent, start, s.pos, depth}
	case c == '$' && s.heredoc():
		return token{tokString, start, s.pos, depth}
	case isWordByte(c):
		// ClickHouse allows $ inside identifiers (not at their start, where
		// it opens a heredoc).
		for s.pos < len(s.src) && (isWordByte(s.src[s.pos]) || s.src[s.pos] == '$') {
			s.pos++
		}
		return token{tokWord, start, s.pos, depth}
	}
	s.pos++
	switch c {
	case '(', '[', '{':
		s.depth++
	case ')', ']', '}':
		if s.depth > 0 {
			s.depth--
		}
	}
	return token{tokPunct, start, s.pos, depth}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case isSpace(c):
			s.pos++
		case c == '-' && s.peek(1) == '-', c == '#' && (s.peek(1) == ' ' || s.peek(1) == '!'):
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
		case c == '/' && s.peek(1) == '*':
			s.pos += 2
			for nest := 1; nest > 0 && s.pos < len(s.src); {
				switch {
				case s.src[s.pos] == '/' && s.peek(1) == '*':
					nest++
					s.pos += 2
				case s.src[s.pos] == '*' && s.peek(1) == '/':
					nest--
					s.pos += 2
				default:
					s.pos++
				}
			}
		default:
			return
		}
	}
}

func (s *scanner) peek(n int) byte {
	if s.pos+n < len(s.src) {
		return s.src[s.pos+n]
	}
	return 0
}

// skipQuoted moves past a quoted run; an unterminated one runs to the end.
func (s *scanner) skipQuoted(q byte) {
	s.pos++
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case '\\':
			s.pos += 2
		case q:
			if s.peek(1) == q {
				s.pos += 2
				continue
			}
			s.pos++
			return
		default:
			s.pos++
		}
	}
	s.pos = len(s.src)
}

// heredoc moves past $tag$...$tag$ if one starts here.
func (s *scanner) heredoc() bool {
	end := s.pos + 1
	for end < len(s.src) && s.src[end] != '$' {
		if !isWordByte(s.src[end]) {
			return false
		}
		end++
	}
	if end >= len(s.src) {
		return false
	}
	tag := s.src[s.pos : end+1]
	for i := end + 1; i+len(tag) <= len(s.src); i++ {
		if s.src[i:i+len(tag)] == tag {
			s.pos = i + len(tag)
			return true
		}
	}
	s.pos = len(s.src)
	return true
}
