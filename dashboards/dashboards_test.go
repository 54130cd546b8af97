// The dashboards are JSON for Grafana; these tests run every ClickHouse
// panel's SQL, macros expanded as the plugin does, against the real engine
// with data loaded, so a dashboard that names a missing table or column, or
// returns other columns than its panel shows, fails the suite.
package dashboards_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/clickhousetest"
)

func TestMain(m *testing.M) { chlocaltest.Main(m) }

type target struct {
	RefID      string `json:"refId"`
	Datasource struct{ Type, UID string }
	RawSQL     string `json:"rawSql"`
	Format     *int   `json:"format"`
	QueryType  string `json:"queryType"`
	Expr       string `json:"expr"`
}

type panel struct {
	ID          int
	Type        string
	Title       string
	Description string
	Interval    string
	GridPos     struct{ X, Y, W, H int }
	Targets     []target
	Panels      []panel // of a row
}

type variable struct {
	Name, Type, Query string
}

type dashboard struct {
	UID, Title string
	Panels     []panel
	Templating struct{ List []variable }
	file       string
	raw        any // the whole document, for what the structs leave out
}

func load(t *testing.T) []dashboard {
	t.Helper()
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	var out []dashboard
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		_ = json.Unmarshal(b, &d.raw)
		d.file = f
		out = append(out, d)
	}
	return out
}

// each calls fn for every panel, rows' panels included.
func (d dashboard) each(fn func(p panel)) {
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			fn(p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
}

// Expected columns, in order, of every ClickHouse panel. A new panel needs a
// line here: what it shows is part of its contract.
var columns = map[string][]string{
	"rebate-business/GMV":                                        {"gmv"},
	"rebate-business/Orders":                                     {"orders"},
	"rebate-business/Commission":                                 {"commission"},
	"rebate-business/Rebate":                                     {"rebate"},
	"rebate-business/Conversion":                                 {"conversion"},
	"rebate-business/Void rate":                                  {"void_rate"},
	"rebate-business/GMV, commission and rebate per minute":      {"time", "gmv", "commission", "rebate"},
	"rebate-business/Orders and clicks per minute":               {"time", "clicks", "orders"},
	"rebate-business/Conversion (series)":                        {"time", "conversion"},
	"rebate-business/Refund (void) rate":                         {"time", "void_rate"},
	"rebate-business/Order state mix":                            {"order_state", "orders"},
	"rebate-business/Top users by rebate":                        {"user_id", "orders", "gmv", "rebate"},
	"rebate-business/Top merchants by GMV":                       {"merchant_id", "orders", "gmv", "commission", "clicks", "conversion"},
	"rebate-business/Withdrawals":                                {"time", "completed", "failed", "requested"},
	"rebate-business/Withdrawals by state":                       {"withdrawal_state", "withdrawals", "amount", "users"},
	"rebate-pipeline/Events stored per minute, by type":          {"time", "clicks", "order_events", "withdrawal_events", "product_updates"},
	"rebate-risk/No-click orders":                                {"orders"},
	"rebate-risk/High cancel rate":                               {"users"},
	"rebate-risk/Order velocity":                                 {"users"},
	"rebate-risk/Invitation farms":                               {"inviters"},
	"rebate-risk/Signals raised, by when the behaviour happened": {"time", "no_click", "cancel_rate", "velocity", "invite_farm"},
	"rebate-risk/Latest signals and their evidence": {"signal", "user_id", "order_id", "at", "window_start", "window_end", "last_click",
		"orders", "voided", "invitees", "settled", "detected_at"},
	"rebate-pipeline/Ingestion delay in ClickHouse": {"events", "p50_seconds", "p99_seconds", "last_insert"},
}

// The conversion time series and the conversion stat share a title.
func key(d dashboard, p panel) string {
	k := d.UID + "/" + p.Title
	if p.Type == "timeseries" && p.Title == "Conversion" {
		return k + " (series)"
	}
	return k
}

// TestStructure checks what Grafana needs to show a dashboard: unique uids
// and panel ids, panels inside the 24-column grid, a description on every
// panel; and what importing it into any Grafana needs: datasources chosen
// by template variables of type datasource, never a hard-coded uid, and
// tables named through the database variable.
func TestStructure(t *testing.T) {
	uids := map[string]bool{}
	for _, d := range load(t) {
		if d.UID == "" || uids[d.UID] || d.Title == "" {
			t.Errorf("%s: uid %q (duplicate: %v), title %q", d.file, d.UID, uids[d.UID], d.Title)
		}
		uids[d.UID] = true
		vars := map[string]variable{}
		for _, v := range d.Templating.List {
			vars[v.Name] = v
		}
		if v := vars["datasource"]; v.Type != "datasource" || v.Query != "grafana-clickhouse-datasource" {
			t.Errorf("%s: no datasource variable for ClickHouse: %+v", d.file, v)
		}
		if v := vars["database"]; v.Type != "textbox" || v.Query != "rebate" {
			t.Errorf("%s: no database variable defaulting to rebate: %+v", d.file, v)
		}
		for _, uid := range datasourceUIDs(d.raw) {
			if name, ok := strings.CutPrefix(uid, "${"); !ok || vars[strings.TrimSuffix(name, "}")].Type != "datasource" {
				t.Errorf("%s: datasource uid %q is hard-coded: name a datasource variable (${datasource})", d.file, uid)
			}
		}
		ids := map[int]bool{}
		d.each(func(p panel) {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d twice", d.file, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X < 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("%s/%s: outside the grid: %+v", d.file, p.Title, p.GridPos)
			}
			if p.Type != "row" && (p.Description == "" || len(p.Targets) == 0) {
				t.Errorf("%s/%s: no description or no query", d.file, p.Title)
			}
			for _, tg := range p.Targets {
				switch {
				case tg.Datasource.Type == "grafana-clickhouse-datasource" && tg.Datasource.UID == "${datasource}":
					if tg.RawSQL == "" || tg.Format == nil || (*tg.Format == 0) != (tg.QueryType == "timeseries") {
						t.Errorf("%s/%s: ClickHouse target without SQL or with a format (%v) that disagrees with %q", d.file, p.Title, tg.Format, tg.QueryType)
					}
					if m := bareTableRe.FindString(tg.RawSQL); m != "" {
						t.Errorf("%s/%s: %q: name tables as ${database}.table", d.file, p.Title, m)
					}
				case tg.Datasource.Type == "prometheus" && tg.Datasource.UID == "${prometheus}":
					if tg.Expr == "" {
						t.Errorf("%s/%s: Prometheus target without expr", d.file, p.Title)
					}
				default:
					t.Errorf("%s/%s: datasource %+v is not one of the dashboard's variables", d.file, p.Title, tg.Datasource)
				}
			}
		})
	}
}

// bareTableRe finds a table read without the database variable.
var bareTableRe = regexp.MustCompile(`(?i)\b(FROM|JOIN)\s+[a-z_][a-z0-9_]*\b`)

// datasourceUIDs lists the uid of every datasource reference in a
// dashboard, wherever it is (panels, targets, variables, annotations).
func datasourceUIDs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if ds, ok := c.(map[string]any); ok && k == "datasource" {
				if uid, ok := ds["uid"].(string); ok {
					out = append(out, uid)
				}
			}
			out = append(out, datasourceUIDs(c)...)
		}
	case []any:
		for _, c := range x {
			out = append(out, datasourceUIDs(c)...)
		}
	}
	return out
}

// expand does what Grafana and the ClickHouse plugin do to a panel's SQL for
// the range [from, to] at the given interval (pkg/macros of
// grafana/clickhouse-datasource), with the dashboard's variables' values.
func expand(sql string, from, to time.Time, interval time.Duration, vars map[string]string) (string, error) {
	for name, v := range vars {
		sql = strings.NewReplacer("${"+name+"}", v, "[["+name+"]]", v).Replace(sql)
		sql = regexp.MustCompile(`\$`+name+`\b`).ReplaceAllString(sql, v)
	}
	dt := func(t time.Time) string { return fmt.Sprintf("toDateTime(%d)", t.Unix()) }
	dt64 := func(t time.Time) string { return fmt.Sprintf("fromUnixTimestamp64Milli(%d)", t.UnixMilli()) }
	date := func(t time.Time) string { return fmt.Sprintf("toDate('%s')", t.UTC().Format("2006-01-02")) }
	secs := max(int(interval.Seconds()), 1)
	fns := map[string]func(args []string) string{
		"timeFilter":    func(a []string) string { return fmt.Sprintf("%s >= %s AND %s <= %s", a[0], dt(from), a[0], dt(to)) },
		"timeFilter_ms": func(a []string) string { return fmt.Sprintf("%s >= %s AND %s <= %s", a[0], dt64(from), a[0], dt64(to)) },
		"dateFilter":    func(a []string) string { return fmt.Sprintf("%s >= %s AND %s <= %s", a[0], date(from), a[0], date(to)) },
		"timeInterval": func(a []string) string {
			return fmt.Sprintf("toStartOfInterval(toDateTime(%s), INTERVAL %d second)", a[0], secs)
		},
		"timeInterval_ms": func(a []string) string {
			return fmt.Sprintf("toStartOfInterval(toDateTime64(%s, 3), INTERVAL %d millisecond)", a[0], max(interval.Milliseconds(), 1))
		},
	}
	plain := map[string]string{"fromTime": dt(from), "toTime": dt(to), "fromTime_ms": dt64(from), "toTime_ms": dt64(to),
		"interval_s": fmt.Sprint(secs)}
	var err error
	macro := regexp.MustCompile(`\$__(\w+)(\(([^()]*)\))?`)
	out := macro.ReplaceAllStringFunc(sql, func(m string) string {
		sm := macro.FindStringSubmatch(m)
		if fn, ok := fns[sm[1]]; ok && sm[2] != "" {
			return fn([]string{strings.TrimSpace(sm[3])})
		}
		if v, ok := plain[sm[1]]; ok {
			return v + sm[2]
		}
		err = fmt.Errorf("unknown macro %s", m)
		return m
	})
	if err == nil && strings.Contains(out, "$") {
		err = fmt.Errorf("a variable is left after expansion: %s", out)
	}
	return out, err
}

func TestExpand(t *testing.T) {
	from, to := time.Unix(1_700_000_000, 0), time.Unix(1_700_003_600, 500_000_000)
	got, err := expand("SELECT $__timeInterval(ts) AS t FROM ${database}.x WHERE $__timeFilter_ms(ts) AND d >= $__fromTime", from, to, time.Minute,
		map[string]string{"database": "db1"})
	want := "SELECT toStartOfInterval(toDateTime(ts), INTERVAL 60 second) AS t FROM db1.x WHERE ts >= fromUnixTimestamp64Milli(1700000000000) AND ts <= fromUnixTimestamp64Milli(1700003600500) AND d >= toDateTime(1700000000)"
	if err != nil || got != want {
		t.Errorf("got %q, %v\nwant %q", got, err, want)
	}
	if _, err := expand("SELECT $__nope(x)", from, to, time.Minute, nil); err == nil {
		t.Error("unknown macro: no error")
	}
	if _, err := expand("SELECT $window", from, to, time.Minute, nil); err == nil {
		t.Error("left variable: no error")
	}
}

// TestClickHousePanels runs every ClickHouse panel's SQL for a fixed range
// over 300,000 events of realistic traffic.
func TestClickHousePanels(t *testing.T) {
	cfg := clickhousetest.Migrated(t)
	db, st := clickhousetest.OpenStore(t, cfg)
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	t.Log(clickhousetest.LoadTraffic(t, db, st, 300_000, now))
	// The last two of three 10-day chunks: orders of the first of them have
	// their outcomes (settled, cancelled, reversed) in the second, and
	// withdrawals complete or fail, so every panel has rows of every kind.
	from, to := now.Add(-20*24*time.Hour), now
	ctx := context.Background()
	seen := map[string]bool{}
	queries := map[string]string{} // expanded, by panel
	for _, d := range load(t) {
		d.each(func(p panel) {
			for _, tg := range p.Targets {
				if tg.Datasource.Type != "grafana-clickhouse-datasource" {
					continue
				}
				k := key(d, p)
				seen[k] = true
				t.Run(k, func(t *testing.T) {
					want, ok := columns[k]
					if !ok {
						t.Fatalf("no expected columns for this panel; add them to columns")
					}
					interval := (to.Sub(from) / 1000).Truncate(time.Second) // Grafana: range / max data points
					if pi, err := time.ParseDuration(p.Interval); err == nil {
						interval = max(interval, pi)
					}
					// The database variable names the test's database, not
					// the default (which does not exist here).
					q, err := expand(tg.RawSQL, from, to, interval, map[string]string{"database": cfg.Database})
					if err != nil {
						t.Fatal(err)
					}
					queries[k] = q
					// The panel's time bounds keep their column's type (docs/schema.md, Time bounds).
					for _, bad := range clickhousetest.MixedTimeComparisons(t, db, ctx, q).Mixed {
						t.Errorf("compares %s", bad)
					}
					rows, err := db.Conn().Query(ctx, q)
					if err != nil {
						t.Fatalf("%v\n%s", err, q)
					}
					defer rows.Close()
					if got := rows.Columns(); !slices.Equal(got, want) {
						t.Errorf("columns %v, want %v", got, want)
					}
					types := rows.ColumnTypes()
					if tg.QueryType == "timeseries" && !strings.HasPrefix(types[0].DatabaseTypeName(), "DateTime") {
						t.Errorf("time column of type %s", types[0].DatabaseTypeName())
					}
					n := 0
					for rows.Next() {
						n++
					}
					if err := rows.Err(); err != nil {
						t.Fatal(err)
					}
					if n == 0 {
						t.Errorf("no rows over 20 days of traffic:\n%s", q)
					}
				})
			}
		})
	}
	for k := range columns {
		if !seen[k] {
			t.Errorf("columns names %q, which no dashboard has", k)
		}
	}

	// The figures agree with the store's per-minute KPIs over the same range
	// (those are checked against the oracle in clickhouse/), and the series
	// add up to the totals.
	ms, err := st.Minutely(ctx, now, uint16(to.Sub(from)/time.Minute)+1)
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ gmv, commission, rebate, orders, clicks int64 }
	for _, m := range ms.Minutes {
		want.gmv, want.commission, want.rebate = want.gmv+int64(m.GMV), want.commission+int64(m.Commission), want.rebate+int64(m.Rebate)
		want.orders, want.clicks = want.orders+int64(m.Orders), want.clicks+int64(m.Clicks)
	}
	sum := func(panel, expr string) int64 {
		t.Helper()
		var v int64
		q := "SELECT toInt64(sum(" + expr + ")) FROM (" + queries["rebate-business/"+panel] + ")"
		if err := db.Conn().QueryRow(ctx, q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", panel, err)
		}
		return v
	}
	for _, c := range []struct {
		panel, expr string
		want        int64
	}{
		{"GMV", "gmv * 100", want.gmv},
		{"Commission", "commission * 100", want.commission},
		{"Rebate", "rebate * 100", want.rebate},
		{"Orders", "orders", want.orders},
		{"GMV, commission and rebate per minute", "gmv * 100", want.gmv},
		{"GMV, commission and rebate per minute", "rebate * 100", want.rebate},
		{"Orders and clicks per minute", "orders", want.orders},
		{"Orders and clicks per minute", "clicks", want.clicks},
		{"Order state mix", "if(order_state = 'void', 0, orders)", want.orders},
		{"Order state mix", "order_state IN ('paid', 'settled', 'void')", 3},
		{"Withdrawals by state", "withdrawal_state IN ('requested', 'failed', 'completed')", 3},
		{"Top users by rebate", "orders", -1}, // checked below: at most the total
	} {
		got := sum(c.panel, c.expr)
		if c.want >= 0 && got != c.want {
			t.Errorf("%s: sum(%s) = %d, want %d", c.panel, c.expr, got, c.want)
		}
		if c.want < 0 && (got <= 0 || got > want.orders) {
			t.Errorf("%s: sum(%s) = %d, want between 1 and %d", c.panel, c.expr, got, want.orders)
		}
	}
	if want.orders == 0 || want.clicks == 0 {
		t.Fatalf("no orders or clicks in the range: %+v", want)
	}
}
