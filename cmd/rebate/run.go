package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	// actions, if set, are the verbs the command takes first (migrate up).
	actions []string
	run     func(ctx context.Context, cfg *Config, env *environment) error
}

// environment is what a subcommand may touch outside its config.
type environment struct {
	action string
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

func commands() []command {
	return []command{
		{"up", "run everything on this machine: Kafka, ClickHouse, migrations, ingester, API, simulator", nil, runUp},
		{"chlocal", "serve the embedded ClickHouse engine over ClickHouse's HTTP interface", nil, runCHLocal},
		{"migrate", "apply (up), revert (down) or show (version) the ClickHouse schema", []string{"up", "down", "version"}, runMigrate},
		{"ingest", "consume the events topic into ClickHouse", nil, runIngest},
		{"api", "serve the HTTP API (balances, leaderboards, named queries, event collection)", nil, runAPI},
		{"simulate", "send realistic traffic to a Kafka cluster", nil, runSimulate},
		{"probe", "GET a URL and exit non-zero unless it answers 2xx (container health checks)", nil, runProbe},
		{"version", "print the version", nil, runVersion},
	}
}

// run is the whole program; main only calls it, so tests can too.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		rest, action := args[1:], ""
		if c.actions != nil {
			if len(rest) == 0 || !slices.Contains(c.actions, rest[0]) {
				return fmt.Errorf("usage: rebate %s %s [flags]", c.name, strings.Join(c.actions, "|"))
			}
			action, rest = rest[0], rest[1:]
		}
		cfg, err := loadConfig(c.name, rest, getenv, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		if err != nil {
			return err
		}
		return c.run(ctx, cfg, &environment{action: action, getenv: getenv, stdout: stdout, stderr: stderr})
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: rebate <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'rebate <command> -h' for a command's flags; every flag also reads a REBATE_* variable.")
}
