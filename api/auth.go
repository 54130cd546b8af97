package api

import (
	"crypto/subtle"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/settings"
	"golang.org/x/time/rate"
)

// Role is what a key may do.
type Role string

const (
	RoleApp       Role = "app"       // the app's reads and event collection
	RoleAnalyst   Role = "analyst"   // reads, named queries, ad-hoc SQL, the schema and rules
	RolePublisher Role = "publisher" // an analyst who also publishes queries as endpoints
	RoleAdmin     Role = "admin"     // everything, rules included
)

// roles lists them, in order of rights.
var roles = []Role{RoleApp, RoleAnalyst, RolePublisher, RoleAdmin}

// Key is an API key and its role.
type Key struct {
	Name   string // shown in logs instead of the secret
	Secret string
	Role   Role
}

// ParseKeys reads REBATE_API_KEYS: comma-separated name:role:secret.
func ParseKeys(s string) ([]Key, error) {
	creds, err := settings.Credentials(s, "API key", nil, roles...)
	if err != nil {
		return nil, err
	}
	keys := make([]Key, len(creds))
	for i, c := range creds {
		keys[i] = Key{Name: c.Name, Role: c.Role, Secret: c.Secret}
	}
	return keys, nil
}

// formatKeys shows whether keys are set, never a secret.
func formatKeys(keys []Key) string {
	if len(keys) == 0 {
		return ""
	}
	return "(set)"
}

const (
	keyName = "api.key"  // echo context: the key's name
	keyRole = "api.role" // echo context: its role
)

// authenticate takes the key from "Authorization: Bearer" or X-API-Key.
// Without configured keys every caller is an admin (loopback only).
func (s *Server) authenticate() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if len(s.cfg.Keys) == 0 {
				c.Set(keyRole, RoleAdmin)
				return next(c)
			}
			secret := c.Request().Header.Get("X-API-Key")
			if auth := c.Request().Header.Get("Authorization"); secret == "" && strings.HasPrefix(auth, "Bearer ") {
				secret = strings.TrimPrefix(auth, "Bearer ")
			}
			if secret == "" {
				return rebate.Errorf(rebate.EUNAUTHORIZED, "", "an API key is required: Authorization: Bearer <key> or X-API-Key")
			}
			// An address that keeps guessing is refused before any key is
			// compared, whatever it sends, until its budget refills.
			client := clientKey(c.RealIP())
			if s.failures.blocked(client, time.Now()) {
				s.metrics.authFailures.WithLabelValues("throttled").Inc()
				return rebate.Errorf(rebate.ERATELIMITED, "", "too many failed authentications from this address: "+
					"at most %d, then %g a second", failureBurst, float64(failureRate))
			}
			for _, k := range s.cfg.Keys {
				if subtle.ConstantTimeCompare([]byte(k.Secret), []byte(secret)) == 1 {
					c.Set(keyName, k.Name)
					c.Set(keyRole, k.Role)
					return next(c)
				}
			}
			s.failures.record(client, time.Now())
			s.metrics.authFailures.WithLabelValues("unknown_key").Inc()
			return rebate.Errorf(rebate.EUNAUTHORIZED, "", "unknown API key")
		}
	}
}

func requireRole(roles ...Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r, _ := c.Get(keyRole).(Role)
			if r == RoleAdmin || slices.Contains(roles, r) {
				return next(c)
			}
			return rebate.Errorf(rebate.EFORBIDDEN, "", "role %q may not call this; it needs %v", r, roles)
		}
	}
}

// rateLimit is a token bucket per key, or per client address when open.
func (s *Server) rateLimit() echo.MiddlewareFunc {
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(s.cfg.RatePerKey), Burst: s.cfg.Burst,
	})
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return caller(c), nil },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			return rebate.Errorf(rebate.ERATELIMITED, "", "more than %g requests/s (burst %d) for this key", s.cfg.RatePerKey, s.cfg.Burst)
		},
	})
}

// caller is who a request counts against for limits: its key, or its
// client address when the API is open.
func caller(c echo.Context) string {
	if k, ok := c.Get(keyName).(string); ok {
		return "key:" + k
	}
	return "ip:" + clientKey(c.RealIP())
}
