package chlocal_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate/embedded/chlocal"
	"github.com/rebatehq/rebate/internal/chlocaltest"
)

const (
	adminPassword    = "admin-password-0123456789"
	readonlyPassword = "grafana-password-0123456789"
)

func usersEndpoint(t *testing.T) *chlocaltest.Endpoint {
	t.Helper()
	users, err := chlocal.ParseUsers("admin:admin:" + adminPassword + ",grafana:readonly:" + readonlyPassword)
	if err != nil {
		t.Fatal(err)
	}
	return chlocaltest.Serve(t, chlocal.Config{Users: users})
}

// TestUsersAuthenticate: with users, every statement needs credentials,
// taken the ways ClickHouse's HTTP interface takes them; /ping does not.
func TestUsersAuthenticate(t *testing.T) {
	ep := usersEndpoint(t)
	base := ep.URL()
	sel := q("query", "SELECT currentUser() = 'default'") // the engine's own user, whoever calls
	basic := func(u, p string) map[string]string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(u, p)
		return map[string]string{"Authorization": r.Header.Get("Authorization")}
	}
	for _, tc := range []struct {
		name   string
		params url.Values
		header map[string]string
	}{
		{"none", nil, nil},
		{"wrong password", nil, basic("admin", "not-the-password-0123")},
		{"unknown user", nil, basic("root", adminPassword)},
		{"empty password", nil, map[string]string{"X-ClickHouse-User": "admin"}},
		{"two ways at once", q("user", "admin", "password", adminPassword), basic("admin", adminPassword)},
	} {
		params := url.Values{}
		for k, v := range sel {
			params[k] = v
		}
		for k, v := range tc.params {
			params[k] = v
		}
		a := call(t, http.MethodGet, base, params, nil, tc.header)
		wantException(t, a, 516, http.StatusUnauthorized)
		if !strings.Contains(a.body, "AUTHENTICATION_FAILED") || a.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %q, WWW-Authenticate %q", tc.name, a.body, a.header.Get("WWW-Authenticate"))
		}
	}
	for _, tc := range []struct {
		name   string
		params url.Values
		header map[string]string
	}{
		{"basic auth", nil, basic("admin", adminPassword)},
		{"URL parameters", q("user", "grafana", "password", readonlyPassword), nil},
		{"X-ClickHouse headers", nil, map[string]string{"X-ClickHouse-User": "grafana", "X-ClickHouse-Key": readonlyPassword}},
	} {
		params := url.Values{}
		for k, v := range sel {
			params[k] = v
		}
		for k, v := range tc.params {
			params[k] = v
		}
		if got := mustOK(t, call(t, http.MethodGet, base, params, nil, tc.header)); got != "1\n" {
			t.Errorf("%s: %q", tc.name, got)
		}
	}
	if a := call(t, http.MethodGet, base+"/ping", nil, nil, nil); a.status != http.StatusOK {
		t.Errorf("/ping without credentials: %d", a.status)
	}

	// clickhouse-go sends X-ClickHouse-User/Key.
	opts := ep.Options("default")
	opts.Auth.Username, opts.Auth.Password = "admin", adminPassword
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Ping(context.Background()); err != nil {
		t.Errorf("clickhouse-go as admin: %v", err)
	}
	opts.Auth.Password = "wrong-password-0123456789"
	bad, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if err := bad.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "516") {
		t.Errorf("clickhouse-go with a wrong password: %v", err)
	}
}

// TestReadonlyUser: a readonly user reads and adjusts limits, and can do
// nothing else: the fence refuses writes by kind, and the engine itself
// refuses them on the readonly connections, where no statement can lift
// readonly.
func TestReadonlyUser(t *testing.T) {
	ep := usersEndpoint(t)
	base := ep.URL()
	db := chlocaltest.Start(t).Database(t) // the same engine, open
	admin := q("database", db, "user", "admin", "password", adminPassword)
	ro := q("database", db, "user", "grafana", "password", readonlyPassword)
	mustOK(t, post(t, base, admin, "CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a"))
	mustOK(t, post(t, base, admin, "INSERT INTO t VALUES (1), (2)"))
	if got := mustOK(t, post(t, base, admin, "SELECT getSetting('readonly')")); got != "0\n" {
		t.Errorf("admin's readonly = %q", got)
	}
	if got := mustOK(t, post(t, base, ro, "SELECT count(), getSetting('readonly') FROM t SETTINGS max_threads = 1")); got != "2\t2\n" {
		t.Errorf("readonly user: %q, want 2 rows and readonly 2", got)
	}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, x := range v {
			out[k] = x
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	mustOK(t, post(t, base, with(ro, "max_result_rows", "10"), "SELECT * FROM t"))
	for _, tc := range []struct {
		params url.Values
		sql    string
	}{
		{ro, "INSERT INTO t VALUES (3)"},
		{ro, "INSERT INTO t FORMAT TSV\n3\n"},
		{ro, "CREATE TABLE u (a UInt8) ENGINE = Memory"},
		{ro, "DROP TABLE t"},
		{ro, "TRUNCATE TABLE t"},
		{ro, "SELECT 1 SETTINGS readonly = 0"},
		{with(ro, "readonly", "0"), "SELECT 1"},
		// Nor raise its reads' priority above the service's writes.
		{ro, "SELECT 1 SETTINGS os_thread_priority = -20"},
		{ro, "SELECT 1 SETTINGS OS_THREADS_NICE_VALUE_QUERY = -20"},
		{with(ro, "os_thread_priority", "-20"), "SELECT 1"},
		{with(ro, "os_threads_nice_value_query", "-5"), "SELECT 1"},
	} {
		wantException(t, post(t, base, tc.params, tc.sql), 164, http.StatusInternalServerError)
	}
	if got := mustOK(t, post(t, base, admin, "SELECT count() FROM t")); got != "2\n" {
		t.Errorf("t holds %q rows after refused writes", got)
	}
	// Past the fence, the engine refuses too.
	for _, sql := range []string{"INSERT INTO " + db + ".t VALUES (9)", "SET readonly = 0", "DROP TABLE " + db + ".t"} {
		err := chlocal.RunAs(ep.Server, chlocal.RoleReadonly, sql)
		var ex *chlocal.Exception
		if !errors.As(err, &ex) || ex.Code != 164 {
			t.Errorf("%s on a readonly connection: %v, want code 164", sql, err)
		}
	}
	if err := chlocal.RunAs(ep.Server, chlocal.RoleReadonly, "SELECT count() FROM "+db+".t"); err != nil {
		t.Errorf("SELECT on a readonly connection: %v", err)
	}
	// Naming the setting is not setting it.
	mustOK(t, post(t, base, ro, "SELECT count() FROM system.settings WHERE name = 'os_thread_priority'"))
	// The service's writes (an admin's) set it.
	mustOK(t, post(t, base, with(admin, "os_thread_priority", "19"), "SELECT 1"))
	// The fence holds for admins too.
	wantException(t, post(t, base, admin, "SELECT file('/etc/passwd')"), 497, http.StatusForbidden)
}

func TestParseUsersAndValidate(t *testing.T) {
	users, err := chlocal.ParseUsers(" a:admin:0123456789abcdef:with:colons , b:readonly:fedcba9876543210,")
	if err != nil || len(users) != 2 || users[0].Password != "0123456789abcdef:with:colons" || users[1].Role != chlocal.RoleReadonly {
		t.Fatalf("%+v %v", users, err)
	}
	for _, bad := range []string{"a", "a:admin", "a:root:0123456789abcdef", "a:admin:short", "a b:admin:0123456789abcdef",
		"a:admin:0123456789abcdef,a:readonly:0123456789abcdef", ":admin:0123456789abcdef"} {
		_, err := chlocal.ParseUsers(bad)
		if err == nil {
			t.Errorf("ParseUsers(%q): no error", bad)
		} else if strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("ParseUsers(%q): the error shows the password: %v", bad, err)
		}
	}
	for _, tc := range []struct {
		cfg chlocal.Config
		ok  bool
	}{
		{chlocal.Config{Listen: "127.0.0.1:8123"}, true},
		{chlocal.Config{Listen: "localhost:8123"}, true},
		{chlocal.Config{Listen: "[::1]:8123"}, true},
		{chlocal.Config{Listen: "0.0.0.0:8123"}, false},
		{chlocal.Config{Listen: ":8123"}, false},
		{chlocal.Config{Listen: "0.0.0.0:8123", Users: users}, true},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s with %d users: %v", tc.cfg.Listen, len(tc.cfg.Users), err)
		}
		if err != nil && (!strings.Contains(err.Error(), "REBATE_CHLOCAL_USERS") || !strings.Contains(err.Error(), "--listen")) {
			t.Errorf("the error names neither setting: %v", err)
		}
	}
	if err := chlocal.CheckOrigins([]string{"http://localhost:3000", "https://grafana.example.com"}); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"*", "null", "localhost:3000", "http://x/path", "ftp://x"} {
		if chlocal.CheckOrigins([]string{bad}) == nil {
			t.Errorf("origin %q accepted", bad)
		}
	}
}

// TestAllowedOrigins: a listed origin may call the endpoint, and read its
// answers (CORS); every other site is still refused.
func TestAllowedOrigins(t *testing.T) {
	ep := chlocaltest.Serve(t, chlocal.Config{AllowedOrigins: []string{"http://localhost:3000"}})
	base := ep.URL()
	a := send(t, http.MethodPost, base, nil, "SELECT 7", map[string]string{"Origin": "http://localhost:3000", "Content-Type": "text/plain"})
	if mustOK(t, a) != "7\n" || a.header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Errorf("allowed origin: %q, Access-Control-Allow-Origin %q", a.body, a.header.Get("Access-Control-Allow-Origin"))
	}
	pre := send(t, http.MethodOptions, base, nil, "", map[string]string{"Origin": "http://localhost:3000",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"})
	if pre.status != http.StatusNoContent || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}
	wantException(t, send(t, http.MethodPost, base, nil, "SELECT 7", map[string]string{"Origin": "http://localhost:3001"}), 497, http.StatusForbidden)
	wantException(t, send(t, http.MethodOptions, base, nil, "", map[string]string{"Origin": "http://evil.example"}), 497, http.StatusForbidden)
}
