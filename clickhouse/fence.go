package clickhouse

import (
	"context"
	"strings"
	"sync"
	"unicode"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/sqlfence"
)

// An analyst's statement is checked here before it is sent, whatever the
// server: the text (sqlfence.CheckText), then ClickHouse's own parse of it
// (EXPLAIN AST, with its parameters bound) against the readers' rules
// (sqlfence.Scope.Check): reads only, only the service's database, no
// table functions that reach files, processes or the network, no SETTINGS.
// It then runs with readonly=1 and the role's limits, which the engine
// enforces on its own.

// catalog is the server's list of table functions and the connection's
// database, read once: they change only with the server's version and the
// configuration.
type catalog struct {
	mu             sync.Mutex
	tableFunctions map[string]bool
	database       string
}

func (s *Store) catalog(ctx context.Context) (map[string]bool, string, error) {
	s.cat.mu.Lock()
	defer s.cat.mu.Unlock()
	if s.cat.tableFunctions != nil {
		return s.cat.tableFunctions, s.cat.database, nil
	}
	db, err := s.strings(ctx, "SELECT currentDatabase()")
	if err != nil {
		return nil, "", err
	}
	names, err := s.strings(ctx, "SELECT lower(name) FROM system.table_functions")
	if err != nil {
		return nil, "", err
	}
	s.cat.tableFunctions, s.cat.database = sqlfence.Set(names...), db[0]
	return s.cat.tableFunctions, s.cat.database, nil
}

// strings runs a statement of the service's own with one String column.
func (s *Store) strings(ctx context.Context, sql string) ([]string, error) {
	return s.db.strings(ctx, sql, "read the server's catalog")
}

// strings runs a statement of the service's own with one String column;
// what says what it was for, in its errors.
func (db *DB) strings(ctx context.Context, sql, what string) ([]string, error) {
	rows, err := db.conn.Query(ctx, sql)
	if err != nil {
		return nil, domainError(what, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, domainError(what, err)
		}
		out = append(out, v)
	}
	return out, domainError(what, rows.Err())
}

// fence checks an analyst's statement (params bound as they will be when
// it runs, trimmed by trimStatement); nil lets it run. A refusal is EFORBIDDEN naming what it
// refused; a statement the engine cannot parse is EINVALID with the
// engine's message.
func (s *Store) fence(ctx context.Context, sql string, params ch.Parameters, allow sqlfence.Allow, lim rebate.QueryLimits) error {
	if r := sqlfence.CheckText(sql); r != nil {
		return rebate.Errorf(rebate.EFORBIDDEN, "sql", "%s", r.Reason)
	}
	tf, database, err := s.catalog(ctx)
	if err != nil {
		return err
	}
	// The databases are read each time: one made since the last check
	// must be refused as well.
	dbs, err := s.strings(ctx, "SELECT name FROM system.databases")
	if err != nil {
		return err
	}
	// With no settings at all: the embedded endpoint appends a request's
	// settings to its statement as FORMAT and SETTINGS clauses, which would
	// show in the tree of the statement explained (and so would the
	// max_execution_time clickhouse-go derives from a deadline). A parse
	// needs no limit; the request's deadline still cancels it.
	ectx, cancel := noDeadline(ctx)
	defer cancel()
	rows, err := s.db.conn.Query(ch.Context(ectx, ch.WithParameters(params)), "EXPLAIN AST "+sql)
	if err != nil {
		return explainError(err, lim)
	}
	defer rows.Close()
	var text strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return explainError(err, lim)
		}
		// ParseAST reads TabSeparated rows; the driver gives them raw.
		text.WriteString(strings.ReplaceAll(line, `\`, `\\`) + "\n")
	}
	if err := rows.Err(); err != nil {
		return explainError(err, lim)
	}
	tree, err := sqlfence.ParseAST(text.String())
	if err != nil {
		return rebate.Errorf(rebate.EFORBIDDEN, "sql", "%v", err)
	}
	scope := &sqlfence.Scope{Database: database, Databases: sqlfence.Set(dbs...), TableFunctions: tf}
	if r := scope.Check(tree, sql, allow); r != nil {
		return rebate.Errorf(rebate.EFORBIDDEN, "sql", "%s", r.Reason)
	}
	return nil
}

// explainError is the error of asking for a statement's parse: the
// engine's, or, when the answer could not be read (a FORMAT clause of the
// statement changes the format of the answer), a refusal.
func explainError(err error, lim rebate.QueryLimits) error {
	if exceptionCode(err) == 0 && meaning(err) != rebate.EUNAVAIL {
		return rebate.Errorf(rebate.EFORBIDDEN, "sql", "the engine's parse of the statement could not be read: "+
			"a FORMAT clause is refused (the format is the request's, ?format=)")
	}
	return sqlError(err, lim)
}

// trimStatement drops what may end a statement but not a subquery: spaces
// and one ';'. The statement checked and the one run are this.
func trimStatement(sql string) string {
	sql = strings.TrimRightFunc(sql, unicode.IsSpace)
	return strings.TrimRightFunc(strings.TrimSuffix(sql, ";"), unicode.IsSpace)
}
