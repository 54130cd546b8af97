// Package chdb binds libchdb, the ClickHouse engine built as a shared library.
//
// The library is loaded at run time with purego, so nothing in the build or in
// the production path (a real ClickHouse server) needs it. One engine serves a
// whole process; open it once and share the *Conn.
package chdb

import (
	"errors"
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

// Path is where the library was loaded from.
func (l *Lib) Path() string { return l.path }
