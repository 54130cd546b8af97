// Package migrations holds the ClickHouse schema as golang-migrate migrations,
// one statement per file, applied by `rebate migrate up`.
package migrations

import "embed"

// FS holds every migration.
//
//go:embed *.sql
var FS embed.FS
