package clickhouse

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/rebatehq/rebate"
)

// Query is one .sql file of queries/: a single statement whose values are
// {name:Type} placeholders the server binds.
type Query struct {
	Name        string              // the file name without .sql, verb_noun
	Description string              // the file's leading comment
	SQL         string              // the statement, comment included
	Params      []rebate.QueryParam // in order of first use
	ReadOnly    bool                // a SELECT: may run for analysts under readonly=1
	// Internal queries ("-- for: service" in the leading comment) serve the
	// service itself; analysts neither see nor run them.
	Internal bool
	// Settings come from a "-- settings: name = value, ..." line of the
	// leading comment. They are sent with the request rather than written
	// as a SETTINGS clause, which readonly=1 would refuse.
	Settings map[string]string
	// A query published at run time (published.go) rather than a file.
	Published bool
	Version   uint32
	CacheTTL  time.Duration
	Author    string
	At        time.Time
	Deleted   bool // a version that ended the endpoint (in a history)
}

// named is the query as analysts see it.
func (q *Query) named() rebate.NamedQuery {
	nq := rebate.NamedQuery{Name: q.Name, Description: q.Description, Params: q.Params, Published: q.Published,
		Version: q.Version, CacheTTL: q.CacheTTL, Author: q.Author, At: q.At, Deleted: q.Deleted}
	if q.Published {
		nq.SQL = q.SQL // a file's SQL is in the repository; a published one only here
	}
	return nq
}

// Queries are the loaded query files, by name.
type Queries struct {
	byName map[string]*Query
	names  []string
}

var (
	queryNameRe   = regexp.MustCompile(`^[a-z]+(_[a-z0-9]+)+$`)
	placeholderRe = regexp.MustCompile(`\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+?)\s*\}`)
	lineCommentRe = regexp.MustCompile(`--[^\n]*`)
)

// LoadQueries reads every *.sql in fsys. A malformed file is an error, so a
// service fails at start-up rather than on a request.
func LoadQueries(fsys fs.FS) (*Queries, error) {
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("load queries: %w", err)
	}
	qs := &Queries{byName: map[string]*Query{}}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("load queries: %w", err)
		}
		q, err := parseQuery(strings.TrimSuffix(path.Base(f), ".sql"), string(b))
		if err != nil {
			return nil, fmt.Errorf("load query %s: %w", f, err)
		}
		qs.byName[q.Name] = q
		qs.names = append(qs.names, q.Name)
	}
	sort.Strings(qs.names)
	return qs, nil
}

func parseQuery(name, text string) (*Query, error) {
	if !queryNameRe.MatchString(name) {
		return nil, fmt.Errorf("name %q: want verb_noun in lower case, like get_balance", name)
	}
	q := &Query{Name: name, SQL: strings.TrimSpace(text)}
	var desc []string
	body := q.SQL
	for strings.HasPrefix(body, "--") {
		line, rest, _ := strings.Cut(body, "\n")
		text := strings.TrimSpace(strings.TrimPrefix(line, "--"))
		body = strings.TrimSpace(rest)
		if who, ok := strings.CutPrefix(text, "for:"); ok {
			if f := strings.Fields(who); len(f) == 0 || f[0] != "service" {
				return nil, fmt.Errorf("%q: the only audience a query may name is service", text)
			}
			q.Internal = true
			continue
		}
		if list, ok := strings.CutPrefix(text, "settings:"); ok {
			settings, err := parseSettings(list)
			if err != nil {
				return nil, err
			}
			q.Settings = settings
			continue
		}
		desc = append(desc, text)
	}
	q.Description = strings.Join(desc, " ")
	if body == "" {
		return nil, fmt.Errorf("no statement")
	}
	if q.Description == "" {
		return nil, fmt.Errorf("no leading comment saying what the query answers")
	}
	first := strings.ToUpper(strings.Fields(body)[0])
	q.ReadOnly = first == "SELECT" || first == "WITH"
	// Placeholders in comments are prose, not parameters.
	seen := map[string]string{}
	for _, m := range placeholderRe.FindAllStringSubmatch(lineCommentRe.ReplaceAllString(body, ""), -1) {
		pname, ptype := m[1], strings.Join(strings.Fields(m[2]), " ")
		if prev, ok := seen[pname]; ok {
			if prev != ptype {
				return nil, fmt.Errorf("parameter %s declared as both %s and %s", pname, prev, ptype)
			}
			continue
		}
		seen[pname] = ptype
		q.Params = append(q.Params, rebate.QueryParam{Name: pname, Type: ptype})
	}
	return q, nil
}

var settingRe = regexp.MustCompile(`^\s*([a-z_][a-z0-9_]*)\s*=\s*([A-Za-z0-9_.']+)\s*$`)

// parseSettings reads "name = value, ..." up to an optional "(why)".
func parseSettings(list string) (map[string]string, error) {
	list, _, _ = strings.Cut(list, "(")
	out := map[string]string{}
	for _, item := range strings.Split(list, ",") {
		m := settingRe.FindStringSubmatch(item)
		if m == nil {
			return nil, fmt.Errorf("settings line: %q is not name = value", strings.TrimSpace(item))
		}
		out[m[1]] = strings.Trim(m[2], "'")
	}
	return out, nil
}

// Get returns the named query.
func (qs *Queries) Get(name string) (*Query, bool) {
	q, ok := qs.byName[name]
	return q, ok
}

// All lists the queries by name.
func (qs *Queries) All() []*Query {
	out := make([]*Query, 0, len(qs.names))
	for _, n := range qs.names {
		out = append(out, qs.byName[n])
	}
	return out
}

// Require fails unless every name is loaded.
func (qs *Queries) Require(names ...string) error {
	var missing []string
	for _, n := range names {
		if _, ok := qs.byName[n]; !ok {
			missing = append(missing, n+".sql")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("queries missing: %s", strings.Join(missing, ", "))
	}
	return nil
}

// Validate has the server plan every query (parse only, for writes) with
// sample values, so a query naming a missing table or column fails here.
func (qs *Queries) Validate(ctx context.Context, conn driver.Conn) error {
	for _, q := range qs.All() {
		params := q.sampleParams()
		explain := "EXPLAIN AST "
		if q.ReadOnly {
			explain = "EXPLAIN PLAN "
		}
		rows, err := conn.Query(ch.Context(ctx, ch.WithParameters(params), ch.WithSettings(q.settings(nil))), explain+q.SQL)
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
			rows.Close()
		}
		if err != nil {
			return fmt.Errorf("query %s.sql does not plan against the schema: %w", q.Name, err)
		}
	}
	return nil
}

// sampleParams binds each of q's parameters to a sample value, for planning.
func (q *Query) sampleParams() ch.Parameters {
	params := ch.Parameters{}
	for _, p := range q.Params {
		params[p.Name] = sampleValue(p.Type)
	}
	return params
}

// sampleValue is a value of a ClickHouse type, for planning.
func sampleValue(typ string) string {
	t := strings.ToLower(typ)
	switch {
	case strings.HasPrefix(t, "datetime"):
		return "2026-01-01 00:00:00"
	case strings.HasPrefix(t, "date"):
		return "2026-01-01"
	case strings.HasPrefix(t, "enum"):
		if v := enumValues(typ); len(v) > 0 {
			return v[0]
		}
		return ""
	case strings.HasPrefix(t, "string"), strings.HasPrefix(t, "lowcardinality"):
		return "all"
	case strings.HasPrefix(t, "array"):
		return "[]"
	}
	return "1"
}

// settings are the query's own settings plus extra, as clickhouse-go takes them.
func (q *Query) settings(extra ch.Settings) ch.Settings {
	out := ch.Settings{}
	for k, v := range q.Settings {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// declares says whether the query has the parameter name.
func (q *Query) declares(name string) bool {
	return slices.ContainsFunc(q.Params, func(p rebate.QueryParam) bool { return p.Name == name })
}
