package sqlfence

import "strings"

// CheckText refuses what would make the engine's parse tree lie: EXPLAIN AST
// prints names as they are, so a quoted name (`...` or "...") holding a line
// break could forge rows of the tree the fence reads. It follows ClickHouse's
// lexer where that matters (the endpoint's scanner in embedded/chlocal does
// the same for its own needs): '...' strings and quoted names with backslash
// and doubled-quote escapes, $tag$...$tag$ heredocs, -- and "# " comments,
// nested /* */ comments. A quote or comment left open is refused too: the
// engine would refuse it anyway, and a reading that disagrees with the
// engine's is the one thing a fence must not have.
func CheckText(text string) *Refusal {
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '-' && at(text, i+1) == '-', c == '#' && (at(text, i+1) == ' ' || at(text, i+1) == '!'):
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case c == '/' && at(text, i+1) == '*':
			i += 2
			nest := 1
			for nest > 0 && i < len(text) {
				switch {
				case text[i] == '/' && at(text, i+1) == '*':
					nest, i = nest+1, i+2
				case text[i] == '*' && at(text, i+1) == '/':
					nest, i = nest-1, i+2
				default:
					i++
				}
			}
			if nest > 0 {
				return refuse("an unclosed /* comment")
			}
		case c == '\'' || c == '"' || c == '`':
			end, closed := quoted(text, i)
			if !closed {
				return refuse("an unclosed %c", c)
			}
			if c != '\'' && strings.ContainsFunc(text[i+1:end-1], func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
				return refuse("quoted names with control characters or backslashes are refused")
			}
			i = end
		case c == '$': // a word's own $ was read with the word
			end, ok := heredoc(text, i)
			if !ok {
				i++
				continue
			}
			if end < 0 {
				return refuse("an unclosed $heredoc$")
			}
			i = end
		case isWordByte(c):
			for i < len(text) && (isWordByte(text[i]) || text[i] == '$') {
				i++
			}
		default:
			i++
		}
	}
	return nil
}

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// quoted returns the end (exclusive) of the quoted run opening at i.
func quoted(s string, i int) (int, bool) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			if at(s, j+1) == q {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return len(s), false
}

// heredoc reports whether $tag$ opens at i (ok) and where its closing tag
// ends, -1 when it never closes.
func heredoc(s string, i int) (end int, ok bool) {
	j := i + 1
	for j < len(s) && s[j] != '$' {
		if !isWordByte(s[j]) {
			return 0, false
		}
		j++
	}
	if j >= len(s) {
		return 0, false
	}
	tag := s[i : j+1]
	if k := strings.Index(s[j+1:], tag); k >= 0 {
		return j + 1 + k + len(tag), true
	}
	return -1, true
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
