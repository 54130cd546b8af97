package chlocal

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rebatehq/rebate/internal/sqlfence"
)

// The fence stands between a client and the engine: before a client's
// statement runs, it asks the engine for EXPLAIN AST of it (a parse only,
// so the engine's own grammar decides what the statement is, not a scanner
// of ours), walks the tree and refuses what reaches beyond the database
// (rules.go). The endpoint's own statements (the staged INSERT ... FROM
// INFILE it builds, USE, SET for URL settings, the hello) never pass
// through it. A refusal is ClickHouse's ACCESS_DENIED (497, HTTP 403)
// naming what was refused.

// catalog is what the engine has: the names the rules sort.
type catalog struct {
	tableFunctions map[string]bool // lower case
	engines        map[string]bool // table and database engines, as spelled
}

func (s *Server) readCatalog() error {
	sess, err := s.pool.acquire(context.Background(), "startup")
	if err != nil {
		return err
	}
	defer s.pool.release(sess)
	list := func(q string, lower bool) (map[string]bool, error) {
		r, err := sess.conn.Query(q, "TabSeparated")
		if err != nil {
			return nil, fmt.Errorf("read the engine's catalog: %w", err)
		}
		defer r.Close()
		m := map[string]bool{}
		for _, name := range strings.Split(strings.TrimSpace(string(r.Bytes())), "\n") {
			if lower {
				name = strings.ToLower(name)
			}
			m[name] = true
		}
		return m, nil
	}
	if s.cat.tableFunctions, err = list("SELECT name FROM system.table_functions", true); err != nil {
		return err
	}
	s.cat.engines, err = list("SELECT name FROM system.table_engines UNION ALL SELECT name FROM system.database_engines", false)
	return err
}

// verdict is the fence's judgement of one statement text, which depends on
// the text and the values of {name:Identifier} parameters only; checkName
// runs again on every request, as files come and go.
type verdict struct {
	refused *refusal
	names   []string
}

// verdicts caches judgements, and the scanner's facts, by statement text:
// the service sends the same few texts again and again (its queries bind
// values as parameters, the ingester's INSERT names the same columns), so
// most requests skip the EXPLAIN and the scan.
type verdicts struct {
	mu    sync.Mutex
	m     map[string]*verdict
	facts map[string]*scanned
}

// scanned is scanText's answer for one text.
type scanned struct {
	facts   *textFacts
	refused *refusal
}

const maxVerdicts = 1024

func (v *verdicts) get(key string) *verdict {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m[key]
}

func (v *verdicts) put(key string, vd *verdict) {
	if len(key) > 64<<10 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxVerdicts {
		v.m = make(map[string]*verdict) // start over rather than track use
	}
	v.m[key] = vd
}

// scan is scanText, cached.
func (v *verdicts) scan(text, keyword string) (*textFacts, *refusal) {
	v.mu.Lock()
	sc := v.facts[text]
	v.mu.Unlock()
	if sc != nil {
		return sc.facts, sc.refused
	}
	facts, r := scanText(text, keyword)
	if len(text) <= 64<<10 {
		v.mu.Lock()
		if v.facts == nil || len(v.facts) >= maxVerdicts {
			v.facts = make(map[string]*scanned)
		}
		v.facts[text] = &scanned{facts, r}
		v.mu.Unlock()
	}
	return facts, r
}

// settingRefused says why a client of role may not set name in the URL;
// nil lets it: what no one may set (settingDenied), then what the role may
// not (roleRefusesSetting).
func settingRefused(role Role, name string) *refusal {
	if r := settingDenied(name); r != nil {
		return r
	}
	return roleRefusesSetting(role, name)
}

// roleRefusesSetting says why a client of role may not set name beyond what
// no one may. A readonly user may not set the nice value of the engine's
// threads: where the process may change priorities (CAP_SYS_NICE, which
// lets the service's writes yield to reads: docs/operations.md), a negative
// value would put that user's reads ahead of the service's own.
func roleRefusesSetting(role Role, name string) *refusal {
	if l := strings.ToLower(name); role == RoleReadonly && (l == "os_thread_priority" || strings.HasPrefix(l, "os_threads_nice_value")) {
		return &refusal{codeReadonly, fmt.Sprintf("readonly users may not set %s (the engine's thread priority)", name)}
	}
	return nil
}

// fence decides whether a client's statement may run; nil lets it.
func (s *Server) fence(ctx context.Context, req *request, st *statement) *Exception {
	if st.kind == kindSession {
		return nil // SET and USE change nothing here (no sessions)
	}
	who := req.who()
	if req.role() == RoleReadonly && (st.kind != kindOutput || st.keyword == "CHECK") {
		return newException(codeReadonly, "%s: Cannot execute query in readonly mode: the user's role is readonly", who)
	}
	// URL settings reach every statement, the hello included when it is
	// not answered here (another format).
	for _, set := range req.settings {
		if r := settingRefused(req.role(), set.name); r != nil {
			return denied(who, r)
		}
	}
	if st.kind == kindOutput && isHello(st.sql) {
		return nil // a fixed text of harmless functions
	}
	key := st.sql
	facts, r := s.verdicts.scan(st.sql, st.keyword)
	if r != nil {
		return denied(who, r)
	}
	// The scan, shared by every role, refused what no one may set; what
	// depends on the role is judged here.
	for _, name := range facts.settings {
		if r := roleRefusesSetting(req.role(), name); r != nil {
			return denied(who, r)
		}
	}
	if len(facts.identParams) > 0 && st.kind == kindOther {
		// A view keeps its placeholders; their values come later as
		// strings, where no name check sees them.
		return denied(who, refuse("{name:Identifier} parameters in stored queries are refused"))
	}
	for _, p := range facts.identParams {
		v := paramValue(req, p)
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return denied(who, refuse("the Identifier parameter %s holds control characters", p))
		}
		key += "\x00" + p + "=" + v
	}
	vd := s.verdicts.get(key)
	if vd == nil {
		var ex *Exception
		if vd, ex = s.judge(ctx, req, st.sql, facts); ex != nil {
			return ex
		}
		s.verdicts.put(key, vd)
	}
	if vd.refused != nil {
		return denied(who, vd.refused)
	}
	s.cwd.refresh()
	for _, name := range vd.names {
		if r := s.checkName(name); r != nil {
			return denied(who, r)
		}
	}
	return nil
}

// judge asks the engine for the statement's parse tree and applies the rules.
func (s *Server) judge(ctx context.Context, req *request, sql string, facts *textFacts) (*verdict, *Exception) {
	out, ex := s.explain(ctx, req, sql)
	if ex != nil {
		return nil, ex
	}
	tree, err := sqlfence.ParseAST(out)
	if err != nil {
		return &verdict{refused: refuse("%v", err)}, nil
	}
	names := append([]string(nil), facts.names...)
	if r := s.checkTree(tree, nil, &names); r != nil {
		return &verdict{refused: r}, nil
	}
	slices.Sort(names)
	return &verdict{names: slices.Compact(names)}, nil
}

// explainPrefix is put before a statement to parse it; the engine's syntax
// errors count positions from it.
const explainPrefix = "EXPLAIN AST "

var positionRe = regexp.MustCompile(`(failed at position )(\d+)`)

func (s *Server) explain(ctx context.Context, req *request, sql string) (string, *Exception) {
	p := s.poolFor(req)
	sess, ex := p.take(ctx, "check")
	if ex != nil {
		return "", ex
	}
	defer p.release(sess)
	res, err := sess.conn.QueryWithParams(explainPrefix+sql, "TabSeparated", req.params)
	if err != nil {
		ex := asException(err)
		// Report the position in the client's statement, not in ours.
		ex.Message = positionRe.ReplaceAllStringFunc(ex.Message, func(m string) string {
			sub := positionRe.FindStringSubmatch(m)
			n, _ := strconv.Atoi(sub[2])
			return sub[1] + strconv.Itoa(max(1, n-len(explainPrefix)))
		})
		return "", ex
	}
	defer res.Close()
	return string(res.Bytes()), nil
}

func paramValue(req *request, name string) string {
	for _, p := range req.params {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// denied is the refusal as the client sees it.
func denied(who string, r *refusal) *Exception {
	if r.code != codeAccessDenied {
		return newException(r.code, "%s", r.reason)
	}
	return newException(codeAccessDenied, "%s: Not enough privileges: %s. The embedded endpoint keeps clients inside the database "+
		"(docs/security.md)", who, r.reason)
}
