package chlocal

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rebatehq/rebate/embedded/chdb"
)

// request is what one HTTP request asks for, apart from the SQL.
type request struct {
	id       string
	database string
	format   string // default output format
	readonly bool   // GET and HEAD are read-only, as on a server
	settings []setting
	params   []chdb.Param
	revision uint64   // client_protocol_version
	compress bool     // compress=1: answer in ClickHouse compressed blocks
	netCodec string   // network_compression_method for compress=1
	httpEnc  string   // HTTP Content-Encoding for the answer
	user     *account // nil when the endpoint has no users
}

// who names the client in messages.
func (r *request) who() string {
	if r.user == nil {
		return "default"
	}
	return r.user.name
}

func (r *request) role() Role {
	if r.user == nil {
		return RoleAdmin // no users: open, on loopback only
	}
	return r.user.role
}

// poolFor is where a request's statements run: readonly users never touch
// a connection that could write.
func (s *Server) poolFor(req *request) *pool {
	if req.role() == RoleReadonly {
		return s.roPool
	}
	return s.pool
}

type setting struct{ name, value string }

// reserved URL parameters are not settings (HTTPHandler's list).
var reserved = map[string]bool{
	"query": true, "compress": true, "decompress": true, "user": true, "password": true,
	"quota_key": true, "query_id": true, "stacktrace": true, "role": true, "buffer_size": true,
	"wait_end_of_query": true, "session_id": true, "session_timeout": true, "session_check": true,
	"client_protocol_version": true, "close_session": true, "database": true, "default_format": true,
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ex := s.checkBrowser(r); ex != nil {
		s.refused(w, ex, "origin")
		return
	}
	if s.cors(w, r) {
		return // a preflight, answered
	}
	switch r.URL.Path {
	case "/ping", "/replicas_status":
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		_, _ = io.WriteString(w, "Ok.\n")
		return
	}
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if !q.Has("query") {
			w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
			_, _ = io.WriteString(w, "Ok.\n")
			return
		}
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "Method not allowed: use GET for reads, POST for everything", http.StatusMethodNotAllowed)
		return
	}

	start := time.Now()
	s.metrics.inFlight.Inc()
	defer s.metrics.inFlight.Dec()

	// As on a server, /ping and a GET without a query need no credentials.
	user, ex := s.authenticate(r)
	if ex != nil {
		s.refused(w, ex, "auth")
		return
	}
	req, ex := parseRequest(r, q)
	if ex != nil {
		s.fail(w, req, nil, ex, start)
		return
	}
	req.user = user
	st, out, ex := s.handle(r, req)
	if ex != nil {
		s.fail(w, req, st, ex, start)
		return
	}
	defer out.close()
	if ex := s.reply(w, r, req, out); ex != nil {
		s.fail(w, req, st, ex, start)
		return
	}
	s.metrics.statements.WithLabelValues(st.kind.String(), "ok").Inc()
	s.metrics.seconds.WithLabelValues(st.kind.String()).Observe(time.Since(start).Seconds())
	s.log.Debug("statement", "query_id", req.id, "kind", st.kind.String(),
		"rows_read", out.stats.RowsRead, "rows_written", out.stats.RowsWritten,
		"duration", time.Since(start))
}

func parseRequest(r *http.Request, q url.Values) (*request, *Exception) {
	req := &request{
		id:       q.Get("query_id"),
		database: q.Get("database"),
		format:   q.Get("default_format"),
		readonly: r.Method != http.MethodPost,
		compress: q.Get("compress") == "1",
	}
	if req.id == "" {
		req.id = uuid.NewString()
	}
	if req.database == "" {
		req.database = r.Header.Get("X-ClickHouse-Database")
	}
	if req.format == "" {
		req.format = r.Header.Get("X-ClickHouse-Format")
	}
	if req.format == "" {
		req.format = "TabSeparated"
	}
	if !formatNameRe.MatchString(req.format) {
		return req, newException(codeUnknownFormat, "Unknown format %q", req.format)
	}
	if q.Get("session_id") != "" {
		return req, newException(codeNotImplemented,
			"sessions (session_id) are not supported by the embedded endpoint: each request stands alone")
	}
	if v := q.Get("client_protocol_version"); v != "" {
		rev, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return req, newException(codeBadArguments, "client_protocol_version %q is not a number", v)
		}
		req.revision = rev
	}
	enableHTTPCompression := false
	for name, values := range q {
		value := values[len(values)-1]
		switch {
		case strings.HasPrefix(name, "param_"):
			req.params = append(req.params, chdb.Param{Name: strings.TrimPrefix(name, "param_"), Value: value})
		case reserved[name]:
		case strings.HasSuffix(name, "_structure") || strings.HasSuffix(name, "_types"):
			return req, newException(codeNotImplemented, "external tables are not supported by the embedded endpoint")
		default:
			if !settingNameRe.MatchString(name) {
				return req, newException(codeUnknownSetting, "Unknown setting '%s'", name)
			}
			req.settings = append(req.settings, setting{name, value})
			switch name {
			case "enable_http_compression":
				enableHTTPCompression = value == "1" || strings.EqualFold(value, "true")
			case "network_compression_method":
				req.netCodec = value
			}
		}
	}
	if enableHTTPCompression {
		req.httpEnc = responseEncoding(r.Header.Get("Accept-Encoding"))
	}
	return req, nil
}

// result is a statement's answer.
type result struct {
	res    *chdb.Result // nil when the answer is not the engine's
	body   []byte
	stats  chdb.Stats
	format string
}

func (o *result) close() {
	if o.res != nil {
		o.res.Close()
	}
}

func (s *Server) handle(r *http.Request, req *request) (*statement, *result, *Exception) {
	if s.closed.Load() {
		return nil, nil, newException(codeCannotScheduleTask, "the endpoint is shutting down")
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		return nil, nil, newException(codeNotImplemented, "external tables (multipart/form-data) are not supported by the embedded endpoint")
	}
	var body io.Reader = http.NoBody
	if r.Method == http.MethodPost {
		b, closeBody, ex := requestBody(r.Body, r.Header.Get("Content-Encoding"), r.URL.Query().Get("decompress") == "1")
		if ex != nil {
			return nil, nil, ex
		}
		defer closeBody()
		body = b
	}
	st, data, ex := s.readStatement(r.URL.Query().Get("query"), body, r.Method == http.MethodPost)
	if ex != nil {
		return st, nil, ex
	}
	ctx := r.Context()
	// The fence parses with the engine before it judges, so a malformed
	// statement reports its syntax error, as on a server.
	if ex := s.fence(ctx, req, st); ex != nil {
		if ex.Code == codeAccessDenied {
			s.metrics.refused.WithLabelValues("fence").Inc()
		}
		return st, nil, ex
	}
	if req.readonly && st.kind != kindOutput && st.kind != kindSession {
		return st, nil, newException(codeReadonly, "Cannot execute query in readonly mode. "+
			"For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries")
	}
	var out *result
	switch st.kind {
	case kindSession:
		// Without a session a SET or USE lasts for its own request, so it changes nothing.
		out = &result{format: req.format}
	case kindOutput:
		out, ex = s.runOutput(ctx, req, st)
	case kindInsert:
		out, ex = s.runInsert(ctx, req, st, data)
	default:
		out, ex = s.runOther(ctx, req, st)
	}
	return st, out, ex
}

// readStatement reads the statement from the query parameter and the body.
// For an INSERT with inline data it stops where the data starts and returns
// a reader positioned there.
func (s *Server) readStatement(query string, body io.Reader, post bool) (*statement, io.Reader, *Exception) {
	buf := []byte(query)
	if !post {
		st, ex := parseStatement(query)
		return st, nil, ex
	}
	if len(buf) > 0 {
		buf = append(buf, '\n')
	}
	limit := s.cfg.MaxQueryBytes
	window := int64(64 << 10)
	eof := false
	for {
		if !eof {
			n, err := io.CopyN(bytesWriter{&buf}, body, window)
			if err == io.EOF || n < window {
				eof = true
			} else if err != nil {
				return nil, nil, newException(codeCannotReadAllData, "read request body: %v", err)
			}
		}
		text := string(buf)
		if !startsWithInsert(text) {
			if !eof {
				window = limit // a whole statement: read it all, up to the cap
				if int64(len(buf)) <= limit {
					continue
				}
			}
			if int64(len(buf)) > limit {
				return nil, nil, newException(codeQueryIsTooLarge, "Query is too large (%d bytes); MaxQueryBytes is %d", len(buf), limit)
			}
			st, ex := parseStatement(text)
			return st, nil, ex
		}
		st, ex := parseStatement(text)
		if ex != nil {
			if !eof && int64(len(buf)) <= limit {
				// The read may have cut the statement; judge it whole.
				window *= 2
				continue
			}
			return nil, nil, ex
		}
		if st.dataStart >= 0 && (eof || st.dataStart < len(buf)) {
			var data io.Reader = bytes.NewReader(buf[st.dataStart:])
			if !eof {
				data = io.MultiReader(data, body)
			}
			return st, data, nil
		}
		if eof {
			return st, nil, nil
		}
		if int64(len(buf)) > limit {
			return nil, nil, newException(codeQueryIsTooLarge, "INSERT statement longer than %d bytes before its data", limit)
		}
		window *= 2
	}
}

type bytesWriter struct{ b *[]byte }

func (w bytesWriter) Write(p []byte) (int, error) {
	*w.b = append(*w.b, p...)
	return len(p), nil
}

func startsWithInsert(text string) bool {
	s := &scanner{src: text}
	t := s.next()
	return isWord(s, t, "INSERT")
}

// refused answers a request turned away before it was read (origin, credentials).
func (s *Server) refused(w http.ResponseWriter, ex *Exception, reason string) {
	s.metrics.refused.WithLabelValues(reason).Inc()
	if ex.Code == codeAuthenticationFailed {
		w.Header().Set("WWW-Authenticate", `Basic realm="ClickHouse", charset="UTF-8"`)
	}
	s.fail(w, nil, nil, ex, time.Now())
}

func (s *Server) fail(w http.ResponseWriter, req *request, st *statement, ex *Exception, start time.Time) {
	kind := "unknown"
	if st != nil {
		kind = st.kind.String()
	}
	msg := strings.ReplaceAll(ex.Message, s.staging+"/", "request-body:")
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("X-ClickHouse-Exception-Code", strconv.Itoa(ex.Code))
	if req != nil {
		h.Set("X-ClickHouse-Query-Id", req.id)
	}
	h.Set("X-ClickHouse-Server-Display-Name", s.info.DisplayName)
	status := httpStatus(ex.Code)
	if ex.status != 0 {
		status = ex.status
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, strings.TrimRight(msg, "\n")+"\n")
	s.metrics.statements.WithLabelValues(kind, "error").Inc()
	s.metrics.seconds.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	id := ""
	if req != nil {
		id = req.id
	}
	s.log.Log(context.Background(), level, "statement failed", "query_id", id, "kind", kind,
		"code", ex.Code, "error", firstLine(msg), "duration", time.Since(start))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
