package clickhouse

import (
	"context"
	"io"
	"net/http"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/sqlfence"
)

// SQL runs an analyst's ad-hoc statement and returns its answer as a stream
// in the format asked for, encoded by ClickHouse. Its parameters are checked
// in Go against their {name:Type} (every error names one), the statement by
// the readers' fence (fence.go), and it runs with readonly=1 and the role's
// limits, which the engine enforces: the statement cannot change them
// (readonly=1 refuses any SETTINGS), and a query past one fails with ELIMIT
// naming it.
//
// The server holds the answer until the query ends (wait_end_of_query), so
// that a limit hit half-way is an error status, never a 200 cut short; this
// process passes the bytes on as they arrive and holds none of them.
func (s *Store) SQL(ctx context.Context, req rebate.SQLRequest) (*rebate.SQLAnswer, error) {
	if _, ok := rebate.SQLFormats[req.Format]; !ok {
		return nil, rebate.Errorf(rebate.EINVALID, "format", "%q: want JSON, JSONEachRow, CSV, TSVWithNames or Parquet", req.Format)
	}
	req.SQL = trimStatement(req.SQL)
	placeholders, err := sqlPlaceholders(req.SQL)
	if err != nil {
		return nil, err
	}
	q := &Query{Name: "sql", SQL: req.SQL}
	for _, name := range sortedKeys(placeholders) {
		q.Params = append(q.Params, rebate.QueryParam{Name: name, Type: placeholders[name]})
	}
	params, err := bindArgs(q, req.Args)
	if err != nil {
		return nil, err
	}
	if err := s.fence(ctx, req.SQL, params, sqlfence.Reads, req.Limits); err != nil {
		return nil, err
	}
	overflow := req.Limits.Overflow
	if overflow != "break" {
		overflow = "throw"
	}
	settings := limitSettings(req.Limits, ch.Settings{
		"max_result_rows":      req.Limits.MaxRows,
		"result_overflow_mode": overflow,
		"wait_end_of_query":    1,
		// Money as BI tools take it: Decimal(18, 2) as 57975.80, never
		// 57975.8, and a string in JSON, never a float.
		"output_format_decimal_trailing_zeros": 1,
		"output_format_json_quote_decimals":    1,
	})
	qctx, cancel := noDeadline(ctx)
	qctx, headers := withHeaders(ch.Context(qctx, ch.WithParameters(params), ch.WithSettings(settings)))
	at := time.Now().UTC()
	// The server holds the answer until the query ends, so a table swapped
	// as the query began (the leaderboards' refresh) is an error before
	// any byte, and the statement can run again as the service's reads do.
	body, err := readAgainIfExchanged(func() (io.ReadCloser, error) { return s.db.conn.QueryFormat(qctx, req.Format, req.SQL) })
	if err != nil {
		cancel()
		return nil, sqlError(err, req.Limits)
	}
	return &rebate.SQLAnswer{Body: &answerBody{ReadCloser: body, cancel: cancel, lim: req.Limits},
		Summary: headers.Get("X-ClickHouse-Summary"), AsOf: at}, nil
}

// answerBody releases the query when read or closed; an error the server
// sends after the first bytes (a connection lost) reads as the domain's.
type answerBody struct {
	io.ReadCloser
	cancel context.CancelFunc
	lim    rebate.QueryLimits
}

func (b *answerBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = sqlError(err, b.lim)
	}
	return n, err
}

func (b *answerBody) Close() error {
	defer b.cancel()
	return b.ReadCloser.Close()
}

// noDeadline keeps ctx's cancellation but hides its deadline: clickhouse-go
// turns a context's deadline into max_execution_time (the time left plus
// 5 s), replacing the limit a query was given. The deadline still ends the
// query, by cancelling it.
func noDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	return c, func() { stop(); cancel() }
}

// The engine's answer headers (X-ClickHouse-Summary: what a query read) are
// not given by clickhouse-go; the transport keeps them for a context that
// asks (withHeaders).
type headersKey struct{}

type headerSink struct{ h http.Header }

// withHeaders returns a context whose requests' answer headers are kept in
// the returned header (read it after the call).
func withHeaders(ctx context.Context) (context.Context, http.Header) {
	sink := &headerSink{h: http.Header{}}
	return context.WithValue(ctx, headersKey{}, sink), sink.h
}

type keepHeaders struct{ next *http.Transport }

// CloseIdleConnections passes on what clickhouse-go asks of its transport
// when a connection closes (http.Client looks for this method).
func (t keepHeaders) CloseIdleConnections() { t.next.CloseIdleConnections() }

func (t keepHeaders) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if sink, ok := req.Context().Value(headersKey{}).(*headerSink); ok && err == nil {
		for k, v := range resp.Header {
			sink.h[k] = v
		}
	}
	return resp, err
}
