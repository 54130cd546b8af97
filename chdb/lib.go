// Package chdb binds libchdb, the ClickHouse engine built as a shared library.
//
// The library is loaded at run time with purego, so nothing in the build or in
// the production path (a real ClickHouse server) needs it. One engine serves a
// whole process; open it once and share the *Conn.
package chdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ebitengine/purego"
)

// Version is the engine package the project pins (scripts/install-engine.sh).
const Version = "26.5.3"

// ErrNotFound means no engine library could be located.
var ErrNotFound = errors.New("libchdb.so not found")

// Lib is a loaded libchdb.
type Lib struct {
	path string

	connect        func(argc int32, argv **byte) *uintptr
	closeConn      func(conn *uintptr)
	queryN         func(conn uintptr, q *byte, qlen uintptr, f *byte, flen uintptr) uintptr
	queryParamsN   func(conn uintptr, q *byte, qlen uintptr, f *byte, flen uintptr, names **byte, nameLens *uintptr, values **byte, valueLens *uintptr, count uintptr) uintptr
	resultBuffer   func(r uintptr) *byte
	resultLength   func(r uintptr) uintptr
	resultElapsed  func(r uintptr) float64
	resultRowsRead func(r uintptr) uint64
	resultBytesRd  func(r uintptr) uint64
	storageRowsRd  func(r uintptr) uint64
	storageBytesRd func(r uintptr) uint64
	resultRowsWr   func(r uintptr) uint64
	resultBytesWr  func(r uintptr) uint64
	resultError    func(r uintptr) *byte
	destroyResult  func(r uintptr)
	setSignals     func(enabled int32)
}

// Load opens the library at path. The dynamic loader maps a path only once,
// so loading it again is cheap and shares the engine's process-wide state.
func Load(path string) (*Lib, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("load engine: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("load engine %s: %w", abs, err)
	}
	h, err := purego.Dlopen(abs, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("load engine %s: %w", abs, err)
	}
	l := &Lib{path: abs}
	syms := []struct {
		fn   any
		name string
	}{
		{&l.connect, "chdb_connect"},
		{&l.closeConn, "chdb_close_conn"},
		{&l.queryN, "chdb_query_n"},
		{&l.queryParamsN, "chdb_query_with_params_n"},
		{&l.resultBuffer, "chdb_result_buffer"},
		{&l.resultLength, "chdb_result_length"},
		{&l.resultElapsed, "chdb_result_elapsed"},
		{&l.resultRowsRead, "chdb_result_rows_read"},
		{&l.resultBytesRd, "chdb_result_bytes_read"},
		{&l.storageRowsRd, "chdb_result_storage_rows_read"},
		{&l.storageBytesRd, "chdb_result_storage_bytes_read"},
		{&l.resultRowsWr, "chdb_result_rows_written"},
		{&l.resultBytesWr, "chdb_result_bytes_written"},
		{&l.resultError, "chdb_result_error"},
		{&l.destroyResult, "chdb_destroy_query_result"},
		{&l.setSignals, "chdb_set_signal_handlers_enabled"},
	}
	for _, s := range syms {
		sym, err := purego.Dlsym(h, s.name)
		if err != nil {
			return nil, fmt.Errorf("load engine %s: symbol %s: %w", abs, s.name, err)
		}
		purego.RegisterFunc(s.fn, sym)
	}
	return l, nil
}

// Path is where the library was loaded from.
func (l *Lib) Path() string { return l.path }
