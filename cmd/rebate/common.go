package main

import (
	"io"
	"log/slog"
	"time"

	"github.com/rebatehq/rebate/internal/settings"
)

// common are the settings of every long-running command: its log and how
// long a graceful stop may take.
type common struct {
	LogLevel        slog.Level
	LogFormat       string
	ShutdownTimeout time.Duration
}

func (c *common) register(f *settings.Flags) {
	f.Level(&c.LogLevel, "log-level", "REBATE_LOG_LEVEL", slog.LevelInfo, "log level: debug, info, warn or error")
	f.String(&c.LogFormat, "log-format", "REBATE_LOG_FORMAT", "text", "log format: text or json", settings.OneOf("text", "json"))
	f.Duration(&c.ShutdownTimeout, "shutdown-timeout", "REBATE_SHUTDOWN_TIMEOUT", 30*time.Second, "how long a graceful stop may take",
		settings.Positive)
}

func (c *common) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
