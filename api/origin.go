package api

import (
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

// sameSite refuses a browser request from another site unless its origin
// is one of REBATE_API_CORS_ORIGINS. CORS already keeps such a page from
// reading any answer; a stream needs this as well, because merely opening
// one holds a slot of the key (or, on an open API, of the address) and a
// poller, which a page elsewhere must not be able to do to its viewer.
// Browsers say where a request comes from: Origin on cross-origin requests,
// Sec-Fetch-Site on every request; the app and curl send neither.
func (s *Server) sameSite(c echo.Context) error {
	r := c.Request()
	if o := r.Header.Get("Origin"); o != "" {
		if slices.Contains(s.cfg.CORSOrigins, strings.TrimSuffix(o, "/")) || sameOrigin(o, r.Host) {
			return nil
		}
		return rebate.Errorf(rebate.EFORBIDDEN, "", "a request from the web page at %q is refused: "+
			"only origins in REBATE_API_CORS_ORIGINS may open streams", o)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return rebate.Errorf(rebate.EFORBIDDEN, "", "a browser request from another site is refused: "+
			"only origins in REBATE_API_CORS_ORIGINS may open streams")
	}
	return nil
}

func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, host)
}
