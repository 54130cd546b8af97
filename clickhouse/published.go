package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/sqlfence"
)

// Endpoints published at run time live in ClickHouse (published_queries,
// every version of each), so every API replica over the same database
// serves the same ones: each reads them again when its copy is older than
// PublishedRefresh, and at once after a change of its own.

// MaxCacheTTL is the longest a published endpoint's answers may be kept.
const MaxCacheTTL = time.Hour

// publishedSet is the endpoints as one read found them.
type publishedSet struct {
	at     time.Time
	byName map[string]*Query
	list   []*Query // by name
}

type publishedCache struct {
	// once makes the lock; the lock is a channel, held while reading, so
	// that one request reads for all and the others wait only as long as
	// their context lets them (a ClickHouse that hangs holds it).
	once sync.Once
	lock chan struct{}
	set  *publishedSet
}

func (s *Store) published(ctx context.Context) (*publishedSet, error) {
	s.pub.once.Do(func() { s.pub.lock = make(chan struct{}, 1) })
	select {
	case s.pub.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, rebate.Wrap(rebate.EUNAVAIL, ctx.Err(), "read the published queries")
	}
	defer func() { <-s.pub.lock }()
	if s.pub.set != nil && time.Since(s.pub.set.at) < s.PublishedRefresh {
		return s.pub.set, nil
	}
	set := &publishedSet{at: time.Now(), byName: map[string]*Query{}}
	err := s.each(ctx, "list_published_queries", map[string]any{}, func(r driver.Rows) error {
		q, err := scanPublished(r, "")
		if err != nil {
			return err
		}
		if _, seen := set.byName[q.Name]; !seen {
			set.list = append(set.list, q)
		} else { // two writers of one version: the later one (rows come by created_at)
			set.list[len(set.list)-1] = q
		}
		set.byName[q.Name] = q
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.pub.set = set
	return set, nil
}

// forget makes the next read of the endpoints go to ClickHouse.
func (s *Store) forget() {
	s.pub.once.Do(func() { s.pub.lock = make(chan struct{}, 1) })
	s.pub.lock <- struct{}{}
	s.pub.set = nil
	<-s.pub.lock
}

// scanPublished reads a row of list_published_queries (name "") or of
// list_published_versions (name given; the row has deleted instead).
func scanPublished(r driver.Rows, name string) (*Query, error) {
	q := &Query{Name: name, ReadOnly: true, Published: true}
	var params string
	var ttl uint32
	var deleted uint8
	var err error
	if name == "" {
		err = r.Scan(&q.Name, &q.Version, &q.SQL, &q.Description, &params, &ttl, &q.Author, &q.At)
	} else {
		err = r.Scan(&q.Version, &deleted, &q.SQL, &q.Description, &params, &ttl, &q.Author, &q.At)
	}
	if err != nil {
		return nil, err
	}
	q.At, q.CacheTTL, q.Deleted = q.At.UTC(), time.Duration(ttl)*time.Millisecond, deleted == 1
	if err := json.Unmarshal([]byte(params), &q.Params); err != nil && !q.Deleted {
		return nil, fmt.Errorf("published query %s version %d: parameters: %w", q.Name, q.Version, err)
	}
	return q, nil
}

var publishedNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,62}$`)

// builtin refuses a name of queries/: those are read-only here (ECONFLICT).
func (s *Store) builtin(name string) error {
	if _, ok := s.queries.Get(name); ok {
		return rebate.Errorf(rebate.ECONFLICT, "name", "%s is a built-in query of queries/: it cannot be published over, changed or deleted here", name)
	}
	return nil
}

// Publish checks a query and stores it as its name's next version: a name
// of queries/ is ECONFLICT; anything else wrong is EINVALID naming what
// (a parameter, the sql) or EFORBIDDEN for what the readers' fence refuses.
// The query is planned against the schema (EXPLAIN) with sample values, so
// an unknown table or column is refused now, not on a request.
func (s *Store) Publish(ctx context.Context, q rebate.NamedQuery) (rebate.NamedQuery, error) {
	if !publishedNameRe.MatchString(q.Name) {
		return q, rebate.Errorf(rebate.EINVALID, "name", "%q: want 2..63 lower-case letters, digits and _, starting with a letter", q.Name)
	}
	if err := s.builtin(q.Name); err != nil {
		return q, err
	}
	sql := trimStatement(strings.TrimSpace(q.SQL))
	switch {
	case sql == "":
		return q, rebate.Errorf(rebate.EINVALID, "sql", "required: a SELECT")
	case len(sql) > 64<<10:
		return q, rebate.Errorf(rebate.EINVALID, "sql", "longer than 64 KiB")
	case len(q.Description) > 2000:
		return q, rebate.Errorf(rebate.EINVALID, "description", "longer than 2,000 bytes")
	case q.CacheTTL < 0 || q.CacheTTL > MaxCacheTTL || q.CacheTTL%time.Millisecond != 0:
		return q, rebate.Errorf(rebate.EINVALID, "cache_ttl", "from 0 to %s, in whole milliseconds", MaxCacheTTL)
	}
	placeholders, err := sqlPlaceholders(sql)
	if err != nil {
		return q, err
	}
	sample := ch.Parameters{}
	for i, p := range q.Params {
		field := fmt.Sprintf("params[%d]", i)
		pt, err := checkDecl(p)
		if err != nil {
			return q, rebate.Errorf(rebate.EINVALID, field, "%s: %v", p.Name, err)
		}
		typ, used := placeholders[p.Name]
		switch {
		case sample[p.Name] != "":
			return q, rebate.Errorf(rebate.EINVALID, field, "%s is declared twice", p.Name)
		case !used:
			return q, rebate.Errorf(rebate.EINVALID, field, "%s is not a {%s:%s} of the sql", p.Name, p.Name, pt.name)
		case typ != pt.name:
			return q, rebate.Errorf(rebate.EINVALID, field, "%s is declared %s but the sql has {%s:%s}", p.Name, pt.name, p.Name, typ)
		}
		q.Params[i].Type = pt.name
		sample[p.Name], _ = pt.check(sampleArg(p, pt))
	}
	for name, typ := range placeholders {
		if _, ok := sample[name]; !ok {
			return q, rebate.Errorf(rebate.EINVALID, "params", "the sql's {%s:%s} is not declared", name, typ)
		}
	}
	lim := rebate.QueryLimits{Timeout: 10 * time.Second}
	if err := s.fence(ctx, sql, sample, sqlfence.SelectOnly, lim); err != nil {
		return q, err
	}
	// Planned as it will run: an unknown table, column or function, or
	// types that do not fit, fail here. A plan is read as reads are.
	rows, err := s.db.read(ch.Context(ctx, ch.WithParameters(sample), ch.WithSettings(ch.Settings{"readonly": 1})), "EXPLAIN PLAN "+sql)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if err != nil {
		return q, sqlError(err, lim)
	}
	// An event time compared with a bound of another type answers short,
	// silently (docs/schema.md, Time bounds): refused, saying how to mend it.
	tc, err := s.db.TimeComparisons(ch.Context(ctx, ch.WithParameters(sample), ch.WithSettings(ch.Settings{"readonly": 1})), sql)
	if err != nil {
		return q, err
	}
	if len(tc.Mixed) > 0 {
		return q, mixedTimesError(tc)
	}
	if q.Params == nil {
		q.Params = []rebate.QueryParam{}
	}
	params, _ := json.Marshal(q.Params)
	if err := s.putPublished(ctx, q.Name, false, sql, q.Description, string(params), q.CacheTTL, q.Author); err != nil {
		return q, err
	}
	stored, err := s.runnable(ctx, q.Name)
	if err != nil {
		return q, err
	}
	return stored.named(), nil
}

func (s *Store) putPublished(ctx context.Context, name string, deleted bool, sql, desc, params string, ttl time.Duration, author string) error {
	var del uint8
	if deleted {
		del = 1
	}
	bctx, q, err := s.bind(ctx, "put_published_query", map[string]any{"name": name, "deleted": del, "sql": sql,
		"description": desc, "params": params, "cache_ttl_ms": uint32(ttl / time.Millisecond), "author": author})
	if err != nil {
		return err
	}
	defer s.forget()
	return domainError("publish "+name, s.db.conn.Exec(bctx, q.SQL))
}

// Unpublish ends a published endpoint: a version that deletes it, so its
// history stays. A name of queries/ is ECONFLICT; an endpoint that is not
// published, ENOTFOUND.
func (s *Store) Unpublish(ctx context.Context, name, author string) error {
	if err := s.builtin(name); err != nil {
		return err
	}
	s.forget()
	if _, err := s.runnable(ctx, name); err != nil {
		return err
	}
	return s.putPublished(ctx, name, true, "", "", "[]", 0, author)
}

// QueryVersions lists every version of a published endpoint, oldest first,
// deletions included; ENOTFOUND for a name never published.
func (s *Store) QueryVersions(ctx context.Context, name string) ([]rebate.NamedQuery, error) {
	if err := s.builtin(name); err != nil {
		return nil, err
	}
	var out []rebate.NamedQuery
	err := s.each(ctx, "list_published_versions", map[string]any{"name": name}, func(r driver.Rows) error {
		q, err := scanPublished(r, name)
		if err != nil {
			return err
		}
		out = append(out, q.named())
		return nil
	})
	if err == nil && len(out) == 0 {
		err = rebate.Errorf(rebate.ENOTFOUND, "name", "%s was never published", name)
	}
	return out, err
}

// sqlPlaceholders are the {name:Type} placeholders of an analyst's SQL (not
// in -- comments), each with one type; a type the checks do not know is
// refused, naming the parameter.
func sqlPlaceholders(sql string) (map[string]string, error) {
	out := map[string]string{}
	for _, m := range placeholderRe.FindAllStringSubmatch(lineCommentRe.ReplaceAllString(sql, ""), -1) {
		name := m[1]
		pt, err := parseParamType(m[2])
		if err != nil {
			return nil, rebate.Errorf(rebate.EINVALID, name, "%v", err)
		}
		if prev, ok := out[name]; ok && prev != pt.name {
			return nil, rebate.Errorf(rebate.EINVALID, name, "declared as both %s and %s", prev, pt.name)
		}
		out[name] = pt.name
	}
	return out, nil
}
