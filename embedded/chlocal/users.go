package chlocal

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/rebatehq/rebate/internal/settings"
)

// Users are the endpoint's own: the engine's session is always its user
// `default` (chdb has no writable access storage, so CREATE USER and GRANT
// fail, and EXECUTE AS is disabled), so names and passwords are checked
// here, and a role picks the pool of engine connections a user's
// statements run on.

// Role is what a user may do.
type Role string

const (
	// RoleAdmin runs everything the service needs: DDL, inserts, the
	// allowed SYSTEM statements, BACKUP and RESTORE.
	RoleAdmin Role = "admin"
	// RoleReadonly runs SELECT, SHOW, DESCRIBE, EXISTS and EXPLAIN only, on
	// engine connections where `SET readonly = 2` ran once: the engine
	// refuses writes and any change of readonly, whatever the statement
	// says; other settings (limits, timeouts) stay adjustable, as BI tools
	// such as Grafana need.
	RoleReadonly Role = "readonly"
)

// User is one configured user. Open keeps only a hash of the password.
type User struct {
	Name     string
	Role     Role
	Password string
}

var userNameRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// ParseUsers reads REBATE_CHLOCAL_USERS: comma-separated name:role:password
// (the password may hold ':' but not ',').
func ParseUsers(s string) ([]User, error) {
	// The engine's names are stricter than the API's key names.
	creds, err := settings.Credentials(s, "user", func(name string) error {
		if !userNameRe.MatchString(name) {
			return errors.New("a name is letters, digits and _ . -")
		}
		return nil
	}, RoleAdmin, RoleReadonly)
	if err != nil {
		return nil, err
	}
	users := make([]User, len(creds))
	seen := map[string]bool{}
	for i, c := range creds {
		if seen[c.Name] {
			return nil, fmt.Errorf("user %s: given twice", c.Name)
		}
		seen[c.Name] = true
		users[i] = User{Name: c.Name, Role: c.Role, Password: c.Secret}
	}
	return users, nil
}

// formatUsers shows names and roles, never a password.
func formatUsers(users []User) string {
	parts := make([]string, len(users))
	for i, u := range users {
		parts[i] = u.Name + ":" + string(u.Role) + ":…"
	}
	return strings.Join(parts, ",")
}

// account is a user as the server keeps it: a SHA-256 of the password,
// compared in constant time (the passwords are at least 16 characters, so
// a fast hash is enough to keep them out of memory dumps and logs).
type account struct {
	name string
	role Role
	hash [sha256.Size]byte
}

func newAccounts(users []User) map[string]*account {
	if len(users) == 0 {
		return nil
	}
	m := make(map[string]*account, len(users))
	for _, u := range users {
		m[u.Name] = &account{name: u.Name, role: u.Role, hash: sha256.Sum256([]byte(u.Password))}
	}
	return m
}

// dummy is compared against when the user is unknown, so that an unknown
// name takes as long as a wrong password.
var dummy = sha256.Sum256([]byte("no such user"))

// authenticate finds the request's user the ways ClickHouse's HTTP interface
// takes credentials: basic auth, the user/password URL parameters, or the
// X-ClickHouse-User/X-ClickHouse-Key headers (clickhouse-go's), one way per
// request. Without configured users the endpoint is open (loopback only)
// and every client acts as admin.
func (s *Server) authenticate(r *http.Request) (*account, *Exception) {
	if s.accounts == nil {
		return nil, nil
	}
	var name, password string
	ways := 0
	if u, p, ok := r.BasicAuth(); ok {
		name, password = u, p
		ways++
	}
	q := r.URL.Query()
	if q.Has("user") || q.Has("password") {
		name, password = q.Get("user"), q.Get("password")
		ways++
	}
	if h := r.Header.Get("X-ClickHouse-User"); h != "" || r.Header.Get("X-ClickHouse-Key") != "" {
		name, password = h, r.Header.Get("X-ClickHouse-Key")
		ways++
	}
	if ways > 1 {
		return nil, authFailed(name, "credentials given more than one way (basic auth, URL parameters, X-ClickHouse-User/Key): use one")
	}
	if name == "" {
		name = "default" // as on a server
	}
	a := s.accounts[name]
	want := dummy
	if a != nil {
		want = a.hash
	}
	got := sha256.Sum256([]byte(password))
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 || a == nil {
		return nil, authFailed(name, "password is incorrect, or there is no user with such name")
	}
	return a, nil
}

// authFailed is the server's AUTHENTICATION_FAILED. Its status is 401 (a
// server answers 403): every failure here means "say who you are".
func authFailed(name, why string) *Exception {
	ex := newException(codeAuthenticationFailed, "%s: Authentication failed: %s", name, why)
	ex.status = http.StatusUnauthorized
	return ex
}
