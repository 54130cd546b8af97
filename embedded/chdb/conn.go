package chdb

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// Conn is a connection to the engine. The engine runs one statement at a time
// per connection, so every call holds mu for its whole duration.
type Conn struct {
	lib  *Lib
	mu   sync.Mutex
	conn *uintptr // chdb_connection*: engine memory holding the handle
}

// Connect opens the engine on a data folder ("" for in-memory). args are extra
// clickhouse-local style arguments, e.g. "--max_threads=2". The engine serves
// one data path per process.
func (l *Lib) Connect(path string, args ...string) (*Conn, error) {
	argv := []string{"rebate"}
	if path != "" {
		argv = append(argv, "--path="+path)
	}
	argv = append(argv, args...)

	var pin runtime.Pinner
	defer pin.Unpin()
	ptrs := make([]*byte, len(argv)+1)
	for i, a := range argv {
		b := append([]byte(a), 0)
		pin.Pin(&b[0])
		ptrs[i] = &b[0]
	}
	pin.Pin(&ptrs[0])
	restore := preserveSignals()
	c := l.connect(int32(len(argv)), &ptrs[0])
	restore()
	if c == nil {
		return nil, fmt.Errorf("connect engine (path %q): chdb_connect failed", path)
	}
	return &Conn{lib: l, conn: c}, nil
}

// Close closes the connection. Queries after Close fail.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	c.lib.closeConn(c.conn)
	c.conn = nil
	return nil
}

// handle dereferences chdb_connection*; callers hold mu.
func (c *Conn) handle() (uintptr, error) {
	if c.conn == nil {
		return 0, ErrClosed
	}
	return *c.conn, nil
}

// ErrClosed is returned by queries on a closed connection.
var ErrClosed = errors.New("chdb: connection closed")

// Query runs one statement. format is the output format for a statement
// without a FORMAT clause. The caller must Close the result.
func (c *Conn) Query(query, format string) (*Result, error) {
	return c.QueryWithParams(query, format, nil)
}

// Param is one {name:Type} query parameter, bound by the engine.
type Param struct{ Name, Value string }

// QueryWithParams runs one statement with server-side parameters: the engine
// parses each value as its placeholder's type, never as SQL.
func (c *Conn) QueryWithParams(query, format string, params []Param) (*Result, error) {
	q := []byte(query)
	if len(q) == 0 {
		q = []byte{0}[:0:1]
	}
	f := append([]byte(format), 0)

	c.mu.Lock()
	defer c.mu.Unlock()
	h, err := c.handle()
	if err != nil {
		return nil, err
	}
	var r uintptr
	if len(params) == 0 {
		r = c.lib.queryN(h, unsafe.SliceData(q), uintptr(len(q)), &f[0], uintptr(len(format)))
	} else {
		var pin runtime.Pinner
		n := len(params)
		names := make([]*byte, n)
		values := make([]*byte, n)
		nameLens := make([]uintptr, n)
		valueLens := make([]uintptr, n)
		for i, p := range params {
			nb := append([]byte(p.Name), 0)
			vb := append([]byte(p.Value), 0)
			pin.Pin(&nb[0])
			pin.Pin(&vb[0])
			names[i], values[i] = &nb[0], &vb[0]
			nameLens[i], valueLens[i] = uintptr(len(p.Name)), uintptr(len(p.Value))
		}
		pin.Pin(&names[0])
		pin.Pin(&values[0])
		r = c.lib.queryParamsN(h, unsafe.SliceData(q), uintptr(len(q)), &f[0], uintptr(len(format)),
			&names[0], &nameLens[0], &values[0], &valueLens[0], uintptr(n))
		pin.Unpin()
	}
	runtime.KeepAlive(q)
	runtime.KeepAlive(f)
	if r == 0 {
		return nil, fmt.Errorf("chdb: query returned no result")
	}
	res := &Result{lib: c.lib, ptr: r}
	if e := c.lib.resultError(r); e != nil {
		msg := cString(e)
		res.Close()
		c.drain(h)
		return nil, parseError(msg)
	}
	return res, nil
}

// drain runs a statement whose answer is thrown away. The engine (26.5)
// keeps the rows a failed statement wrote before it failed and hands them
// to the next statement on the connection as the start of its answer: one
// client's partial rows in another client's result, and a parse tree the
// endpoint's fence cannot read. The next statement after a failure takes
// them; this one is it. Callers hold mu.
func (c *Conn) drain(h uintptr) {
	q := []byte("SELECT 1 FORMAT Null")
	f := []byte("Null\x00")
	if r := c.lib.queryN(h, unsafe.SliceData(q), uintptr(len(q)), &f[0], 4); r != 0 {
		c.lib.destroyResult(r)
	}
	runtime.KeepAlive(q)
	runtime.KeepAlive(f)
}

// Result is a query's output, held in engine memory until Close.
type Result struct {
	lib *Lib
	ptr uintptr
}

// Bytes is the formatted output. It aliases engine memory: it is valid only
// until Close.
func (r *Result) Bytes() []byte {
	n := r.lib.resultLength(r.ptr)
	if n == 0 {
		return nil
	}
	return unsafe.Slice(r.lib.resultBuffer(r.ptr), n)
}

// Stats of the query.
type Stats struct {
	ResultRows, ResultBytes   uint64 // the answer, in the engine's internal form
	RowsRead, BytesRead       uint64 // read from storage
	RowsWritten, BytesWritten uint64 // written, including by materialized views
	Elapsed                   time.Duration
}

// Stats reports what the query read and wrote.
func (r *Result) Stats() Stats {
	return Stats{
		ResultRows:   r.lib.resultRowsRead(r.ptr),
		ResultBytes:  r.lib.resultBytesRd(r.ptr),
		RowsRead:     r.lib.storageRowsRd(r.ptr),
		BytesRead:    r.lib.storageBytesRd(r.ptr),
		RowsWritten:  r.lib.resultRowsWr(r.ptr),
		BytesWritten: r.lib.resultBytesWr(r.ptr),
		Elapsed:      time.Duration(r.lib.resultElapsed(r.ptr) * float64(time.Second)),
	}
}

// Close frees the result.
func (r *Result) Close() {
	if r.ptr != 0 {
		r.lib.destroyResult(r.ptr)
		r.ptr = 0
	}
}

// Error is an exception raised by the engine.
type Error struct {
	Code    int    // ClickHouse error code, 0 if the text carried none
	Name    string // symbolic name such as UNKNOWN_TABLE, if present
	Message string // the full "Code: N. DB::Exception: ..." text
}

func (e *Error) Error() string { return e.Message }

var (
	codeRe = regexp.MustCompile(`Code:\s*(\d+)\.`)
	nameRe = regexp.MustCompile(`\(([A-Z][A-Z0-9_]+)\)\s*(?:\(version [^)]*\))?\s*$`)
)

func parseError(msg string) *Error {
	e := &Error{Message: msg}
	if m := codeRe.FindStringSubmatch(msg); m != nil {
		e.Code, _ = strconv.Atoi(m[1])
	}
	if m := nameRe.FindStringSubmatch(msg); m != nil {
		e.Name = m[1]
	}
	return e
}

// cString copies a NUL-terminated string out of engine memory.
func cString(p *byte) string {
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}
