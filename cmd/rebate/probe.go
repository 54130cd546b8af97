package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/rebatehq/rebate/internal/settings"
)

// probeCmd GETs a URL and fails unless it answers 2xx: the health check of
// a container image that has no shell, curl or wget.
type probeCmd struct{ URL string }

func (c *probeCmd) register(f *settings.Flags) {
	f.String(&c.URL, "url", "REBATE_PROBE_URL", "", "URL to GET; the exit status is 0 when it answers 2xx", settings.HTTPURL)
}

func (c *probeCmd) run(ctx context.Context, _ *environment) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
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
		return fmt.Errorf("probe: %s answered %s", c.URL, resp.Status)
	}
	return nil
}
