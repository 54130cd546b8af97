package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rebatehq/rebate/internal/settings"
)

// runner is one subcommand's settings and what it does with them. Each
// composes the setting groups of the packages it runs (their RegisterFlags).
type runner interface {
	register(f *settings.Flags)
	run(ctx context.Context, env *environment) error
}

// validator is a runner with checks that span settings of several groups.
type validator interface{ validate() error }

// command is one subcommand.
type command struct {
	name    string
	summary string
	// actions, if set, are the verbs the command takes first (migrate up).
	actions []string
	new     func() runner
}

// environment is what a subcommand may touch outside its settings.
type environment struct {
	action string
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

func commands() []command {
	return []command{
		{"up", "run everything on this machine: Kafka, ClickHouse, migrations, ingester, API, simulator", nil, func() runner { return &upCmd{} }},
		{"chlocal", "serve the embedded ClickHouse engine over ClickHouse's HTTP interface", nil, func() runner { return &chlocalCmd{} }},
		{"migrate", "apply (up), revert (down) or show (version) the ClickHouse schema", []string{"up", "down", "version"}, func() runner { return &migrateCmd{} }},
		{"ingest", "consume the events topic into ClickHouse", nil, func() runner { return &ingestCmd{} }},
		{"api", "serve the HTTP API (balances, leaderboards, named queries, event collection)", nil, func() runner { return &apiCmd{} }},
		{"simulate", "send realistic traffic to a Kafka cluster", nil, func() runner { return &simulateCmd{} }},
		{"probe", "GET a URL and exit non-zero unless it answers 2xx (container health checks)", nil, func() runner { return &probeCmd{} }},
		{"version", "print the version", nil, func() runner { return &versionCmd{} }},
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
		r, _, err := parseCommand(c, rest, getenv, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		if err != nil {
			return err
		}
		return r.run(ctx, &environment{action: action, getenv: getenv, stdout: stdout, stderr: stderr})
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

// parseCommand reads c's settings from getenv and args.
func parseCommand(c command, args []string, getenv func(string) string, stderr io.Writer) (runner, *settings.Flags, error) {
	r := c.new()
	f := settings.New("rebate "+c.name, stderr)
	r.register(f)
	if err := f.Parse(args, getenv); err != nil {
		return nil, f, err
	}
	if v, ok := r.(validator); ok {
		if err := v.validate(); err != nil {
			return nil, f, err
		}
	}
	return r, f, nil
}

// lookup finds a command by name.
func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: rebate <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'rebate <command> -h' for a command's flags; every flag also reads a REBATE_* variable.")
}
