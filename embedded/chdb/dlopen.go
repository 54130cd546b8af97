//go:build !nochdb

package chdb

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ebitengine/purego"
)

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
