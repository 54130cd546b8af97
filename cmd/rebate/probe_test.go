package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbe(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
	defer srv.Close()
	if err := run(t.Context(), []string{"probe", "--url", srv.URL}, env(), nil, nil); err != nil {
		t.Errorf("healthy: %v", err)
	}
	status = http.StatusServiceUnavailable
	if err := run(t.Context(), []string{"probe", "--url", srv.URL}, env(), nil, nil); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("unhealthy: %v", err)
	}
	srv.Close()
	if err := run(t.Context(), []string{"probe"}, env("REBATE_PROBE_URL", srv.URL), nil, nil); err == nil {
		t.Error("closed server: no error")
	}
	if err := run(t.Context(), []string{"probe", "--url", "localhost:1"}, env(), nil, nil); err == nil || !strings.Contains(err.Error(), "REBATE_PROBE_URL") {
		t.Errorf("bad URL: %v", err)
	}
}
