// Package web is the live page the API serves at /: plain HTML, CSS and
// JavaScript with an SVG chart, embedded in the binary, nothing fetched from
// elsewhere at run time.
package web

import "embed"

// FS holds index.html and the assets it loads.
//
//go:embed index.html app.js style.css
var FS embed.FS
