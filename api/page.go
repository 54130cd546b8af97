package api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate/api/web"
)

// addPage serves the live page, the wallet and the SQL console (/sql). They
// are public: the data they show comes from the API's own routes, with
// whatever key the viewer gives them.
func addPage(e *echo.Echo) error {
	files := []struct{ route, file, ctype string }{
		{"/", "index.html", "text/html; charset=utf-8"},
		{"/assets/app.js", "app.js", "text/javascript; charset=utf-8"},
		{"/wallet", "wallet.html", "text/html; charset=utf-8"},
		{"/assets/wallet.js", "wallet.js", "text/javascript; charset=utf-8"},
		{"/assets/style.css", "style.css", "text/css; charset=utf-8"},
		{"/sql", "sql.html", "text/html; charset=utf-8"},
		{"/assets/sql.js", "sql.js", "text/javascript; charset=utf-8"},
	}
	for _, f := range files {
		body, err := web.FS.ReadFile(f.file)
		if err != nil {
			return fmt.Errorf("pages: %w", err)
		}
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		ctype := f.ctype
		e.GET(f.route, func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("ETag", etag)
			h.Set("Cache-Control", "no-cache") // revalidate: a new binary may bring a new page
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
			if c.Request().Header.Get("If-None-Match") == etag {
				return c.NoContent(http.StatusNotModified)
			}
			return c.Blob(http.StatusOK, ctype, body)
		})
	}
	return nil
}
