package clickhouse

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The schema as ClickHouse reports it (system.tables), not as migrations/
// writes it: rebuild and backup work on whatever views a migration made, so
// a view added or changed later needs no change here.

// dbTable is one table or view of the database.
type dbTable struct {
	name       string
	engine     string // ReplacingMergeTree, Null, MaterializedView, ...
	engineFull string
	create     string
	// triggers are the materialized views an insert into this table runs
	// (system.tables.dependencies_table): a view runs on inserts into the
	// first table of its FROM only, so a table it joins is not its source.
	triggers []string
}

// matView is a materialized view: what an insert into source is turned into
// (its SELECT) and where that goes.
type matView struct {
	name    string
	source  string // "" for a refreshable view: it reads on a schedule
	target  string
	sel     string // as_select, with every table qualified by its database
	refresh bool
}

// schema is the tables and views of one database.
type schema struct {
	db     string
	tables map[string]*dbTable
	views  map[string]*matView
}

// rebuildInfix marks the objects a rebuild makes for itself; anything with
// it in its name is left over from a rebuild that did not finish.
const rebuildInfix = "__rebuild_"

// readSchema reads the database's tables and materialized views. A
// refreshable view's refresh fills a table of its own (.tmp.inner_id.…)
// and exchanges it with its target: that table comes and goes with each
// refresh, belongs to the engine, and is no table of the schema's.
func (db *DB) readSchema(ctx context.Context) (*schema, error) {
	rows, err := db.conn.Query(ctx, `SELECT name, engine, engine_full, create_table_query, as_select, dependencies_database, dependencies_table
		FROM system.tables WHERE database = currentDatabase() AND NOT startsWith(name, '.tmp.')`)
	if err != nil {
		return nil, domainError("read the schema", err)
	}
	defer rows.Close()
	s := &schema{db: db.cfg.Database, tables: map[string]*dbTable{}, views: map[string]*matView{}}
	for rows.Next() {
		var t dbTable
		var sel string
		var depDBs, deps []string
		if err := rows.Scan(&t.name, &t.engine, &t.engineFull, &t.create, &sel, &depDBs, &deps); err != nil {
			return nil, domainError("read the schema", err)
		}
		for i, d := range deps {
			if depDBs[i] == s.db {
				t.triggers = append(t.triggers, d)
			}
		}
		s.tables[t.name] = &t
		if t.engine == "MaterializedView" {
			// A view with an inner table, or writing to another database,
			// is not one a rebuild can swap: it is left out.
			if target, refresh, err := viewTarget(t.create, s.db); err == nil {
				s.views[t.name] = &matView{name: t.name, target: target, sel: sel, refresh: refresh}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, domainError("read the schema", err)
	}
	for _, t := range s.tables {
		for _, v := range t.triggers {
			if mv, ok := s.views[v]; ok {
				mv.source = t.name
			}
		}
	}
	return s, nil
}

var (
	identRe  = "(?:`(?:[^`\\\\]|\\\\.)*`|[A-Za-z0-9_]+)"
	targetRe = regexp.MustCompile(`(?s)^CREATE MATERIALIZED VIEW\s+\S+\s+(REFRESH\s.*?\s)?(?:APPEND\s+)?TO\s+(` + identRe + `)\.(` + identRe + `)`)
)

// viewTarget reads the table a materialized view writes to from its CREATE
// statement (system.tables has no column for it), and whether it refreshes
// on a schedule rather than on inserts.
func viewTarget(create, db string) (target string, refresh bool, err error) {
	m := targetRe.FindStringSubmatch(create)
	if m == nil {
		return "", false, fmt.Errorf("view without TO: rebuild and backup expect every materialized view to write to a table of its own: %.200s", create)
	}
	if unquote(m[2]) != db {
		return "", false, fmt.Errorf("view writes to another database (%s): %.200s", unquote(m[2]), create)
	}
	return unquote(m[3]), m[1] != "", nil
}

func unquote(ident string) string {
	if strings.HasPrefix(ident, "`") {
		return strings.NewReplacer("\\`", "`", `\\`, `\`).Replace(ident[1 : len(ident)-1])
	}
	return ident
}

// feeders are the views that write to table on inserts, by name.
func (s *schema) feeders(table string) []*matView {
	var out []*matView
	for _, v := range s.views {
		if v.target == table && !v.refresh && !strings.Contains(v.name, rebuildInfix) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *matView) int { return strings.Compare(a.name, b.name) })
	return out
}

// refresher is the refreshable view that writes table, if one does.
func (s *schema) refresher(table string) *matView {
	for _, v := range s.views {
		if v.target == table && v.refresh {
			return v
		}
	}
	return nil
}

// qualified is db.table as ClickHouse prints it in a view's SELECT.
func qualified(db, table string) string {
	return quoteIdentIfNeeded(db) + "." + quoteIdentIfNeeded(table)
}

var plainIdentRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func quoteIdentIfNeeded(s string) string {
	if plainIdentRe.MatchString(s) {
		return s
	}
	return quoteIdent(s)
}

// replaceTable rewrites every reference to db.from in sel to db.to. The
// SELECT is ClickHouse's own rendering (system.tables.as_select), which
// qualifies every table, so the reference has one spelling.
func replaceTable(sel, db, from, to string) (string, error) {
	re := tableRef(db, from)
	if !re.MatchString(sel) {
		return "", fmt.Errorf("rebuild: cannot find %s in a view's SELECT: %.200s", qualified(db, from), sel)
	}
	return re.ReplaceAllString(sel, "${1}"+qualified(db, to)+"${2}"), nil
}

// tableRef matches a reference to db.table in a view's SELECT.
func tableRef(db, table string) *regexp.Regexp {
	return regexp.MustCompile(`(^|[^A-Za-z0-9_.` + "`" + `])` + regexp.QuoteMeta(qualified(db, table)) + `($|[^A-Za-z0-9_` + "`" + `])`)
}

// ViewRefresh is the state of a refreshable view (system.view_refreshes).
type ViewRefresh struct {
	View        string
	LastSuccess time.Time // zero: none since the server started
	Failing     bool      // its last attempt failed
	Error       string
}

// ViewRefreshes reports the database's refreshable views.
func (db *DB) ViewRefreshes(ctx context.Context) ([]ViewRefresh, error) {
	rows, err := db.conn.Query(ctx, `SELECT view, ifNull(toUnixTimestamp(last_success_time), 0), exception
		FROM system.view_refreshes WHERE database = currentDatabase()`)
	if err != nil {
		return nil, domainError("read system.view_refreshes", err)
	}
	defer rows.Close()
	var out []ViewRefresh
	for rows.Next() {
		var v ViewRefresh
		var last uint32
		if err := rows.Scan(&v.View, &last, &v.Error); err != nil {
			return nil, domainError("read system.view_refreshes", err)
		}
		if last > 0 {
			v.LastSuccess = time.Unix(int64(last), 0).UTC()
		}
		v.Failing = v.Error != ""
		out = append(out, v)
	}
	return out, domainError("read system.view_refreshes", rows.Err())
}
