// Package queries holds the service's SQL, one statement per file named
// verb_noun.sql, with {name:Type} parameters bound by the server.
package queries

import "embed"

// FS holds every query.
//
//go:embed *.sql
var FS embed.FS
