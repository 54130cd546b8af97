package chlocal

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"strings"

	chcompress "github.com/ClickHouse/ch-go/compress"
	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// requestBody undoes the request's Content-Encoding and, with decompress=1,
// ClickHouse's own block compression (what clickhouse-go sends for LZ4/ZSTD).
func requestBody(body io.Reader, contentEncoding string, decompress bool) (io.Reader, func(), *Exception) {
	closer := func() {}
	switch enc := strings.ToLower(strings.TrimSpace(contentEncoding)); enc {
	case "", "identity", "none":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, nil, newException(codeCannotDecompress, "cannot read gzip request body: %v", err)
		}
		body, closer = zr, func() { zr.Close() }
	case "deflate":
		zr, err := zlib.NewReader(body)
		if err != nil {
			return nil, nil, newException(codeCannotDecompress, "cannot read deflate request body: %v", err)
		}
		body, closer = zr, func() { zr.Close() }
	case "br":
		body = brotli.NewReader(body)
	case "zstd":
		zr, err := zstd.NewReader(body)
		if err != nil {
			return nil, nil, newException(codeCannotDecompress, "cannot read zstd request body: %v", err)
		}
		body, closer = zr, zr.Close
	case "lz4":
		body = lz4.NewReader(body)
	default:
		return nil, nil, newException(codeUnknownCompressionMethod, "Unknown Content-Encoding of HTTP request: %s", enc)
	}
	if decompress {
		body = blockReader{r: chcompress.NewReader(body), eof: new(bool)}
	}
	return body, closer, nil
}

// blockReader reports a clean end of the stream between compressed blocks as
// io.EOF, which the ch-go reader wraps, and keeps reporting it: after its end
// that reader would hand out the last block again. A stream cut inside a
// block still fails (io.ErrUnexpectedEOF is a different error).
type blockReader struct {
	r   io.Reader
	eof *bool
}

func (b blockReader) Read(p []byte) (int, error) {
	if *b.eof {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	if err != nil && errors.Is(err, io.EOF) {
		*b.eof = true
		err = io.EOF
	}
	return n, err
}

// nativeCompressed frames out in ClickHouse compressed blocks (compress=1).
func nativeCompressed(out []byte, method string) ([]byte, error) {
	m := chcompress.LZ4
	if strings.EqualFold(method, "ZSTD") {
		m = chcompress.ZSTD
	}
	w := chcompress.NewWriter(chcompress.LevelZero, m)
	var buf bytes.Buffer
	const block = 1 << 20 // the server's own buffer size
	for len(out) > 0 {
		n := min(block, len(out))
		if err := w.Compress(out[:n]); err != nil {
			return nil, err
		}
		buf.Write(w.Data)
		out = out[n:]
	}
	return buf.Bytes(), nil
}

// responseEncoding picks an HTTP encoding the client accepts, as the server
// does when enable_http_compression=1.
func responseEncoding(acceptEncoding string) string {
	for _, part := range strings.Split(acceptEncoding, ",") {
		enc := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch enc {
		case "gzip", "deflate", "br", "zstd", "lz4":
			return enc
		}
	}
	return ""
}

func httpCompressed(out []byte, enc string) ([]byte, error) {
	var buf bytes.Buffer
	var w io.WriteCloser
	switch enc {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "deflate":
		w = zlib.NewWriter(&buf)
	case "br":
		w = brotli.NewWriter(&buf)
	case "zstd":
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			return nil, err
		}
		w = zw
	case "lz4":
		w = lz4.NewWriter(&buf)
	default:
		return out, nil
	}
	if _, err := w.Write(out); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
