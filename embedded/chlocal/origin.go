package chlocal

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Browsers send requests to any address a page names, loopback included,
// and a cross-origin POST with a text/plain body needs no preflight: without
// this check any web page open while the endpoint runs could run SQL on it.
// A browser says where a request comes from (Origin on every POST and every
// cross-origin request, Sec-Fetch-Site on every request of current
// browsers); clickhouse-go, curl and BI servers send neither, and pass.

// checkBrowser refuses browser requests from other sites, and, on an open
// endpoint, requests for a Host name that is not this machine's (a DNS
// rebinding page would be same-origin under its own name).
func (s *Server) checkBrowser(r *http.Request) *Exception {
	if o := r.Header.Get("Origin"); o != "" {
		if s.originAllowed(o) || sameOrigin(o, r.Host) && s.hostTrusted(r.Host) {
			return nil
		}
		return newException(codeAccessDenied, "a request from the web page at %q is refused: only origins in "+
			"--allowed-origins (REBATE_CHLOCAL_ALLOWED_ORIGINS) may call the embedded ClickHouse endpoint", o)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return newException(codeAccessDenied, "a browser request from another site is refused: only origins in "+
			"--allowed-origins (REBATE_CHLOCAL_ALLOWED_ORIGINS) may call the embedded ClickHouse endpoint")
	}
	if !s.hostTrusted(r.Host) {
		return newException(codeAccessDenied, "Host %q is refused: an endpoint without users answers only to "+
			"localhost or an IP address (another name may be a DNS rebinding web page); set users (REBATE_CHLOCAL_USERS)", r.Host)
	}
	return nil
}

func (s *Server) originAllowed(origin string) bool {
	return s.origins[strings.ToLower(strings.TrimSuffix(origin, "/"))]
}

// hostTrusted: with users, credentials decide; without, the Host must be a
// name no web page can take: an IP address or localhost.
func (s *Server) hostTrusted(hostport string) bool {
	if s.accounts != nil || hostport == "" {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(host, "]"), "["), "."))
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || net.ParseIP(host) != nil
}

func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, host)
}

// cors lets an allowed origin read answers, and answers its preflight.
// It reports whether the request was a preflight, now answered.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || !s.originAllowed(o) {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", o)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "X-ClickHouse-Query-Id, X-ClickHouse-Summary, X-ClickHouse-Format, "+
		"X-ClickHouse-Timezone, X-ClickHouse-Exception-Code, X-ClickHouse-Server-Display-Name")
	if r.Method != http.MethodOptions {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Encoding, X-ClickHouse-User, "+
		"X-ClickHouse-Key, X-ClickHouse-Format, X-ClickHouse-Database")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// CheckOrigins accepts scheme://host[:port] origins, as browsers send them.
func CheckOrigins(origins []string) error {
	for _, o := range origins {
		u, err := url.Parse(o)
		if o == "*" || o == "null" {
			return fmt.Errorf("origin %q: name each origin (a wildcard would let every web page in)", o)
		}
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" ||
			u.RawQuery != "" || u.User != nil {
			return errors.New("want origins like http://localhost:3000 (scheme, host and port only)")
		}
	}
	return nil
}
