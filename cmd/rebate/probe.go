package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runProbe GETs a URL and fails unless it answers 2xx: the health check of
// a container image that has no shell, curl or wget.
func runProbe(ctx context.Context, cfg *Config, _ *environment) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.ProbeURL, nil)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("probe: %s answered %s", cfg.ProbeURL, resp.Status)
	}
	return nil
}
