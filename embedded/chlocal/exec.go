package chlocal

import (
	"bytes"
	"context"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/rebatehq/rebate/embedded/chdb"
)

var formatNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func (s *Server) runOutput(ctx context.Context, req *request, st *statement) (*result, *Exception) {
	if st.intoOutfile {
		return nil, newException(codeIntoOutfileNotAllowed, "INTO OUTFILE is not allowed")
	}
	format := st.format
	if format == "" {
		format = req.format
	}
	if isHello(st.sql) && format == "Native" {
		return &result{body: helloBlock(req.revision, s.info.DisplayName, s.info.Version, s.info.Timezone), format: format}, nil
	}
	sql := st.sql
	if list := settingsList(req.settings, ""); list != "" {
		if st.postFormatSetAt >= 0 {
			// URL settings go first so that the statement's own win, as on a server.
			sql = sql[:st.postFormatSetAt] + " " + list + "," + sql[st.postFormatSetAt:]
		} else {
			// A new line ends a trailing -- comment; an explicit FORMAT keeps the
			// settings off any SETTINGS clause of the SELECT itself.
			if st.format == "" {
				sql += "\nFORMAT " + format
			}
			sql += "\nSETTINGS " + list
		}
	}
	return s.runPooled(ctx, req, kindOutput, sql, format)
}

func (s *Server) runInsert(ctx context.Context, req *request, st *statement, data io.Reader) (*result, *Exception) {
	if st.fromInfile {
		return nil, newException(codeSupportIsDisabled, "FROM INFILE is not allowed over HTTP: send the data in the request body")
	}
	list := settingsList(req.settings, st.settings)
	var sql string
	switch {
	case data != nil:
		if !formatNameRe.MatchString(st.inFormat) {
			return nil, newException(codeUnknownFormat, "Unknown format %q", st.inFormat)
		}
		// The engine evaluates expressions in Values data, so the fence
		// reads it too (up to valuesCheckMax; other formats are data only).
		var seen *cappedBuffer
		if strings.EqualFold(st.inFormat, "Values") {
			seen = &cappedBuffer{max: valuesCheckMax}
			data = io.TeeReader(data, seen)
		}
		path, ex := s.stage(data)
		if path != "" {
			defer os.Remove(path)
		}
		if ex != nil {
			return nil, ex
		}
		if seen != nil {
			if seen.over {
				return nil, newException(codeQueryIsTooLarge, "VALUES data over %d bytes is not accepted: send large inserts "+
					"in a data format (Native, RowBinary, TSV, CSV, JSONEachRow)", valuesCheckMax)
			}
			if r := s.checkValuesData(seen.b.String()); r != nil {
				s.metrics.refused.WithLabelValues("fence").Inc()
				return nil, denied(req.who(), r)
			}
		}
		// Inline data is not safe to hand to the engine in the query text (it
		// may stop reading early on some bytes), so it always reads a file.
		// Pieces join with line breaks: a piece may end in a -- comment.
		sql = st.target + "\nFROM INFILE " + quoteString(path) + " COMPRESSION 'none'"
		if list != "" {
			sql += "\nSETTINGS " + list
		}
		sql += "\nFORMAT " + st.inFormat
	case st.selectSQL != "":
		sql = st.target
		if list != "" {
			sql += "\nSETTINGS " + list
		}
		sql += "\n" + st.selectSQL
	default:
		sql = st.sql
	}
	return s.runPooled(ctx, req, kindInsert, sql, req.format)
}

// valuesCheckMax caps the Values data the fence reads.
const valuesCheckMax = 64 << 20

// cappedBuffer keeps what is written up to max bytes, and notes more.
type cappedBuffer struct {
	b    bytes.Buffer
	max  int
	over bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := c.max - c.b.Len(); n > room {
		c.over = true
		p = p[:max(room, 0)]
	}
	c.b.Write(p)
	return n, nil
}

// stage writes INSERT data to a file the engine reads with FROM INFILE.
func (s *Server) stage(data io.Reader) (string, *Exception) {
	f, err := os.CreateTemp(s.staging, "insert-*.data")
	if err != nil {
		return "", newException(codeCannotOpenFile, "stage INSERT data: %v", err)
	}
	path := f.Name()
	buf := make([]byte, 1<<20)
	n, err := io.CopyBuffer(f, io.LimitReader(data, s.cfg.MaxInsertBytes+1), buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	s.metrics.insertBytes.Add(float64(n))
	switch {
	case err != nil:
		return path, newException(codeCannotReadAllData, "read INSERT data: %v", err)
	case n > s.cfg.MaxInsertBytes:
		return path, newException(codeQueryIsTooLarge, "INSERT data larger than %d bytes (MaxInsertBytes)", s.cfg.MaxInsertBytes)
	}
	return path, nil
}

func (s *Server) runOther(ctx context.Context, req *request, st *statement) (*result, *Exception) {
	if st.createsTemporary {
		return nil, newException(codeNotImplemented, "temporary tables need a session, which the embedded endpoint does not keep")
	}
	switch st.keyword {
	case "BEGIN", "COMMIT", "ROLLBACK":
		return nil, newException(codeNotImplemented, "transactions are not supported by the embedded endpoint")
	}
	if req.role() == RoleReadonly { // the fence refuses these first; never on a writable connection
		return nil, newException(codeReadonly, "%s: Cannot execute query in readonly mode", req.who())
	}
	if len(req.settings) == 0 {
		return s.runPooled(ctx, req, st.kind, st.sql, req.format)
	}
	// DDL has no SETTINGS clause for query settings (a trailing one would be
	// the table's), so the settings go on a connection of their own with SET.
	// Holding a pooled session still bounds how many statements run at once.
	sess, ex := s.pool.take(ctx, st.kind.String())
	if ex != nil {
		return nil, ex
	}
	defer s.pool.release(sess)
	conn, err := s.lib.Connect(s.cfg.Path, s.args...)
	if err != nil {
		return nil, asException(err)
	}
	defer conn.Close()
	dedicated := &session{conn: conn, db: ""}
	if err := dedicated.use(req.database); err != nil {
		return nil, asException(err)
	}
	for _, set := range req.settings {
		r, err := conn.Query("SET "+set.name+" = "+quoteString(set.value), "TabSeparated")
		if err != nil {
			return nil, asException(err)
		}
		r.Close()
	}
	return run(conn, req, st.sql, req.format)
}

func (s *Server) runPooled(ctx context.Context, req *request, kind stmtKind, sql, format string) (*result, *Exception) {
	p := s.poolFor(req)
	sess, ex := p.take(ctx, kind.String())
	if ex != nil {
		return nil, ex
	}
	defer p.release(sess)
	if err := sess.use(req.database); err != nil {
		return nil, asException(err)
	}
	return run(sess.conn, req, sql, format)
}

func run(conn *chdb.Conn, req *request, sql, format string) (*result, *Exception) {
	res, err := conn.QueryWithParams(sql, format, req.params)
	if err != nil {
		return nil, asException(err)
	}
	return &result{res: res, stats: res.Stats(), format: format}, nil
}

// settingsList renders URL settings, then the statement's own list, so that
// the statement's win (the engine applies a repeated setting's last value).
func settingsList(url []setting, own string) string {
	parts := make([]string, 0, len(url)+1)
	for _, s := range url {
		parts = append(parts, s.name+" = "+quoteString(s.value))
	}
	if own != "" {
		parts = append(parts, own)
	}
	return strings.Join(parts, ", ")
}
