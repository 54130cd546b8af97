package chlocal

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

func (s *Server) reply(w http.ResponseWriter, r *http.Request, req *request, out *result) *Exception {
	body := out.body
	if out.res != nil {
		body = out.res.Bytes()
	}
	h := w.Header()
	if len(body) > 0 {
		var err error
		switch {
		case req.compress:
			body, err = nativeCompressed(body, req.netCodec)
		case req.httpEnc != "":
			body, err = httpCompressed(body, req.httpEnc)
			h.Set("Content-Encoding", req.httpEnc)
		}
		if err != nil {
			h.Del("Content-Encoding")
			return newException(codeUnknownException, "compress the answer: %v", err)
		}
	}
	h.Set("Content-Type", contentType(out.format))
	h.Set("X-ClickHouse-Format", out.format)
	h.Set("X-ClickHouse-Query-Id", req.id)
	h.Set("X-ClickHouse-Timezone", s.info.Timezone)
	h.Set("X-ClickHouse-Server-Display-Name", s.info.DisplayName)
	st := out.stats
	h.Set("X-ClickHouse-Summary", fmt.Sprintf(
		`{"read_rows":"%d","read_bytes":"%d","written_rows":"%d","written_bytes":"%d","total_rows_to_read":"%d","result_rows":"%d","result_bytes":"%d","elapsed_ns":"%d"}`,
		st.RowsRead, st.BytesRead, st.RowsWritten, st.BytesWritten, st.RowsRead, st.ResultRows, st.ResultBytes, st.Elapsed.Nanoseconds()))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

// contentType follows the server's choice for each output format family.
func contentType(format string) string {
	f := strings.ToLower(format)
	switch {
	case strings.HasPrefix(f, "tabseparated"), strings.HasPrefix(f, "tsv"):
		return "text/tab-separated-values; charset=UTF-8"
	case strings.HasPrefix(f, "csv"):
		return "text/csv; charset=UTF-8"
	case f == "jsoneachrow" || f == "jsonlines" || f == "ndjson" || strings.HasPrefix(f, "jsoncompacteachrow") ||
		strings.HasPrefix(f, "jsonstringseachrow"):
		return "application/x-ndjson; charset=UTF-8"
	case strings.HasPrefix(f, "json"):
		return "application/json; charset=UTF-8"
	case f == "xml":
		return "application/xml; charset=UTF-8"
	case strings.HasPrefix(f, "pretty"), f == "vertical", f == "markdown", f == "values":
		return "text/plain; charset=UTF-8"
	}
	return "application/octet-stream"
}
