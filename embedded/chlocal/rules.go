package chlocal

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rebatehq/rebate/internal/sqlfence"
)

// The fence's rules: what a client's statement may not do. The engine runs
// with the process's rights and reaches the host in many ways (table
// functions, table and database engines, the Filesystem overlay of the
// `default` database, dictionary sources, file-reading settings, dynamic
// disks, SYSTEM statements), so table functions and engines are allowed from
// short lists of what stays inside the database, and the rest is refused.

// enginesAllowed keep their data in the engine's data folder (Replicated*
// need a Keeper the embedded engine does not have, and fail).
var enginesAllowed = set(
	"MergeTree", "ReplacingMergeTree", "SummingMergeTree", "AggregatingMergeTree", "CollapsingMergeTree",
	"VersionedCollapsingMergeTree", "GraphiteMergeTree", "CoalescingMergeTree",
	"ReplicatedMergeTree", "ReplicatedReplacingMergeTree", "ReplicatedSummingMergeTree", "ReplicatedAggregatingMergeTree",
	"ReplicatedCollapsingMergeTree", "ReplicatedVersionedCollapsingMergeTree", "ReplicatedGraphiteMergeTree",
	"ReplicatedCoalescingMergeTree",
	"Memory", "Null", "Set", "Join", "Log", "TinyLog", "StripeLog", "EmbeddedRocksDB",
	// database engines
	"Atomic", "Ordinary", "Lazy")

// backupEnginesAllowed: BACKUP and RESTORE write and read where the engine's
// backups.allowed_path lets them, never the network.
var backupEnginesAllowed = set("File", "Disk")

// systemAllowed are the SYSTEM statements a client may send: the ones the
// service sends (REFRESH VIEW, WAIT VIEW) and their harmless kin. Others
// stop the process, reload config or reach the network.
var systemAllowed = set("REFRESH VIEW", "WAIT VIEW", "STOP VIEW", "START VIEW", "CANCEL VIEW", "STOP VIEWS",
	"START VIEWS", "FLUSH LOGS", "STOP MERGES", "START MERGES")

// set makes a set of names.
var set = sqlfence.Set

// scalarDenied, the settings settingDenied refuses and the allowed table
// functions are the lists every fence of the service shares
// (internal/sqlfence).
var scalarDenied = sqlfence.ScalarDenied

// refusal is why the fence refuses a statement, before the user's name is
// put in front of it.
type refusal struct {
	code   int
	reason string
}

func refuse(format string, args ...any) *refusal {
	return &refusal{code: codeAccessDenied, reason: fmt.Sprintf(format, args...)}
}

// textFacts is what the fence learns from the statement's text with the
// endpoint's own scanner: what EXPLAIN AST does not show (settings, SYSTEM
// kinds, ATTACH paths, the table of CREATE ... AS) and what must be
// refused before the engine is asked.
type textFacts struct {
	names       []string // every bare word and quoted identifier
	identParams []string // names of {name:Identifier} placeholders
	settings    []string // names set in SETTINGS clauses
}

// scanText applies the rules that need the text, not the parse tree.
func scanText(text, keyword string) (*textFacts, *refusal) {
	s := &scanner{src: text}
	var toks []token
	for t := s.next(); t.kind != tokEOF; t = s.next() {
		toks = append(toks, t)
	}
	facts := &textFacts{}
	seen := map[string]bool{}
	for i, t := range toks {
		w := s.text(t)
		switch t.kind {
		case tokIdent:
			// Names are printed raw in EXPLAIN AST: a line break in one
			// would forge rows of the tree the fence reads.
			if strings.ContainsFunc(w, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
				return nil, refuse("quoted names with control characters or backslashes are refused")
			}
			w = unquoteIdent(w)
		case tokWord:
			if w[0] >= '0' && w[0] <= '9' {
				continue // a number
			}
		case tokPunct:
			if w == "{" && i+4 < len(toks) && toks[i+1].kind == tokWord && s.text(toks[i+2]) == ":" &&
				strings.EqualFold(s.text(toks[i+3]), "Identifier") {
				facts.identParams = append(facts.identParams, s.text(toks[i+1]))
			}
			continue
		default:
			continue
		}
		if w != "" && !seen[w] {
			seen[w] = true
			facts.names = append(facts.names, w)
		}
		next := func(k int, word string) bool { return i+k < len(toks) && isWord(s, toks[i+k], word) }
		switch {
		case isWord(s, t, "INTO") && next(1, "OUTFILE"):
			return nil, &refusal{codeIntoOutfileNotAllowed, "INTO OUTFILE is not allowed"}
		case isWord(s, t, "FROM") && next(1, "INFILE"):
			return nil, &refusal{codeSupportIsDisabled, "FROM INFILE is not allowed over HTTP: send the data in the request body"}
		case isWord(s, t, "FROM") && t.depth == 0 && keyword == "ATTACH":
			return nil, refuse("ATTACH ... FROM a path reads files outside the database")
		case isWord(s, t, "SETTINGS") || isWord(s, t, "SETTING"):
			if r := checkSettingsClause(s, toks, i, facts); r != nil {
				return nil, r
			}
		}
	}
	if keyword == "SYSTEM" {
		kind := ""
		// The keyword is the statement's first word, so toks holds it; the
		// bounds hold for any text all the same.
		for _, t := range toks[min(1, len(toks)):min(3, len(toks))] {
			kind = strings.TrimSpace(kind + " " + strings.ToUpper(s.text(t)))
		}
		if !systemAllowed[kind] {
			return nil, refuse("SYSTEM %s is refused; allowed: REFRESH/WAIT/STOP/START/CANCEL VIEW, STOP/START VIEWS, FLUSH LOGS, STOP/START MERGES", kind)
		}
	}
	return facts, nil
}

// checkSettingsClause reads the name = value list after SETTINGS (or
// SETTING) at toks[at], refusing denied names and values that are function
// calls (a table's disk = disk(type = local, path = ...) puts its data
// anywhere; EXPLAIN AST shows a SETTINGS clause as a bare "Set"), and
// noting each name in facts (what a role may set is judged by the fence,
// after this scan, which every role shares). A value
// runs to the next comma at the list's depth (1.5, [1, 2] and (1, 2) are
// several tokens); the list ends at a clause keyword, a ';', or the bracket
// that holds it.
func checkSettingsClause(s *scanner, toks []token, at int, facts *textFacts) *refusal {
	depth := toks[at].depth
	expectName := true
	for j := at + 1; j < len(toks); j++ {
		t := toks[j]
		if t.depth < depth {
			return nil
		}
		if t.depth > depth {
			continue // inside a value's brackets
		}
		w := s.text(t)
		if w == ";" || t.kind == tokWord && settingsEnd[strings.ToUpper(w)] {
			return nil
		}
		if !expectName {
			expectName = w == ","
			continue
		}
		if t.kind != tokWord && t.kind != tokIdent {
			return nil
		}
		n := unquoteIdent(w)
		facts.settings = append(facts.settings, n)
		if r := settingDenied(n); r != nil {
			return r
		}
		expectName = false
		if j+3 < len(toks) && s.text(toks[j+1]) == "=" && (toks[j+2].kind == tokWord || toks[j+2].kind == tokIdent) &&
			s.text(toks[j+3]) == "(" {
			fn := unquoteIdent(s.text(toks[j+2]))
			if !(strings.EqualFold(n, "base_backup") && backupEnginesAllowed[fn]) {
				return refuse("the setting %s = %s(...) is refused: a setting's value may not be a function call", n, fn)
			}
		}
	}
	return nil
}

// settingDenied refuses a setting no client may set, whatever its role.
func settingDenied(name string) *refusal {
	if sqlfence.SettingDenied(name) {
		return refuse("the setting %s reaches files, the network or the engine's internals", name)
	}
	return nil
}

// settingsEnd are the keywords that may follow a SETTINGS list.
var settingsEnd = set("SELECT", "WITH", "VALUES", "FORMAT", "FROM", "AS", "COMMENT", "INTO", "UNION", "EXCEPT", "INTERSECT")

// checkTree applies the rules to the engine's parse tree.
func (s *Server) checkTree(n, parent *sqlfence.Node, names *[]string) *refusal {
	kind := n.Kind()
	switch kind {
	case "Function":
		name := n.FuncName()
		lower := strings.ToLower(name)
		pk := ""
		if parent != nil {
			pk = parent.Kind()
		}
		switch {
		case pk == "BackupQuery" || pk == "RestoreQuery":
			if !backupEnginesAllowed[name] {
				return refuse("backups go to File(...) or Disk(...), not %s", name)
			}
		case pk == "Storage definition" && parent.Children[0] == n && s.cat.engines[name]:
			if !enginesAllowed[name] {
				return refuse("the engine %s keeps data outside the database or reaches the network "+
					"(allowed: the MergeTree family, Memory, Null, Set, Join, Log, TinyLog, StripeLog, EmbeddedRocksDB; "+
					"databases: Atomic, Ordinary, Lazy)", name)
			}
		case s.cat.tableFunctions[lower] && !sqlfence.TableFunctionsAllowed[lower], scalarDenied(lower):
			// Wherever it appears: a table function's name is not a scalar's.
			// In a table's place, a name the engine has no table function
			// for is a parameterized view, v(x = 1).
			return refuse("the function %s reaches files, processes or the network (table functions allowed: %s)",
				name, sqlfence.AllowedTableFunctions)
		}
	case "Dictionary definition":
		return refuse("dictionaries are refused: their sources run queries and reach hosts the fence cannot see")
	case "FunctionWithKeyValueArguments":
		return refuse("key-value sources (dictionaries, named collections) are refused")
	case "Identifier", "TableIdentifier":
		*names = append(*names, n.Name())
	}
	for _, c := range n.Children {
		if r := s.checkTree(c, n, names); r != nil {
			return r
		}
	}
	return nil
}

// checkName refuses a name that would reach a host file: the `default`
// database is a Filesystem overlay, so a table named like a path, or like a
// file in the working folder, reads that file. Every part of a dotted name
// is tried, as the overlay takes the part after the database.
func (s *Server) checkName(name string) *refusal {
	if strings.ContainsRune(name, '/') {
		return refuse("the name %q looks like a path: names with / are refused", name)
	}
	for rest := name; ; {
		for _, cand := range []string{rest, strings.SplitN(rest, ".", 2)[0]} {
			if s.cwd.has(cand) {
				return refuse("the name %q is a file in the working folder, which the default database would read", cand)
			}
		}
		_, after, ok := strings.Cut(rest, ".")
		if !ok {
			return nil
		}
		rest = after
	}
}

// cwdFiles knows the files of the working folder, where the overlay looks
// for a name without a /: one stat of the folder a request, and a new
// listing when it changed (cheaper than a stat for each name).
type cwdFiles struct {
	mu    sync.Mutex
	mtime time.Time
	names map[string]bool // regular files and symbolic links
	err   error
}

func (c *cwdFiles) refresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
	fi, err := os.Stat(".")
	if err == nil && fi.ModTime().Equal(c.mtime) && c.names != nil {
		return
	}
	c.names, c.err = map[string]bool{}, err
	if err != nil {
		return
	}
	c.mtime = fi.ModTime()
	entries, err := os.ReadDir(".")
	if err != nil {
		c.err = err
		return
	}
	for _, e := range entries {
		if t := e.Type(); t.IsRegular() || t&os.ModeSymlink != 0 {
			c.names[e.Name()] = true
		}
	}
}

// has reports whether name is a file in the working folder; when the
// folder cannot be read, every name might be.
func (c *cwdFiles) has(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		fi, err := os.Stat(name)
		return err == nil && !fi.IsDir()
	}
	return c.names[name]
}

// checkValuesData refuses what the Values input format would evaluate and
// the fence cannot parse: the engine evaluates expressions in VALUES data,
// so (file('/etc/passwd')) or a subquery in a row would run.
func (s *Server) checkValuesData(data string) *refusal {
	sc := &scanner{src: data}
	prev := token{kind: tokEOF}
	for t := sc.next(); t.kind != tokEOF; prev, t = t, sc.next() {
		if isWord(sc, t, "SELECT") || isWord(sc, t, "WITH") {
			return refuse("subqueries in VALUES data are refused")
		}
		if t.kind == tokPunct && sc.text(t) == "(" && (prev.kind == tokWord || prev.kind == tokIdent) {
			lower := strings.ToLower(unquoteIdent(sc.text(prev)))
			if scalarDenied(lower) || s.cat.tableFunctions[lower] {
				return refuse("the function %s in VALUES data reaches files, processes or the network", sc.text(prev))
			}
		}
	}
	return nil
}
