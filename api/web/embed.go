// Package web is the live page the API serves at /, the live wallet at
// /wallet and the SQL console at /sql: plain HTML, CSS and JavaScript (an
// SVG chart), embedded in the binary, nothing fetched from elsewhere at run time.
package web

import "embed"

// FS holds the pages and the assets they load.
//
//go:embed index.html app.js style.css sql.html sql.js wallet.html wallet.js
var FS embed.FS
