package chdb

import (
	"fmt"
	"os"
	"path/filepath"
)

// Find locates libchdb.so: REBATE_CHDB_LIB if set, else the project's cache
// folder where scripts/install-engine.sh puts it: REBATE_CACHE_DIR, or .cache
// in the working directory, the executable's folder, or any of their parents.
func Find(getenv func(string) string) (string, error) {
	if p := getenv("REBATE_CHDB_LIB"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("REBATE_CHDB_LIB: %w", err)
		}
		return p, nil
	}
	rel := filepath.Join("chdb", Version, "libchdb.so")
	var tried []string
	if c := getenv("REBATE_CACHE_DIR"); c != "" {
		p := filepath.Join(c, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	var starts []string
	if dir, err := os.Getwd(); err == nil {
		starts = append(starts, dir)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for {
			p := filepath.Join(dir, ".cache", rel)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			tried = append(tried, p)
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("%w (tried REBATE_CHDB_LIB and %d cache folders; run scripts/install-engine.sh)", ErrNotFound, len(tried))
}
