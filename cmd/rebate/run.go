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
	// subs, if set, are the command's own commands, each with its settings
	// (backup create, backup list, backup restore); new is then nil.
	subs []command
	// args names the arguments the command takes before its flags
	// (backup restore NAME).
	args []string
}

// environment is what a subcommand may touch outside its settings.
type environment struct {
	action string
	args   []string // the command's arguments, as many as it names
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

func commands() []command {
	return []command{
		{name: "up", summary: "run everything on this machine: Kafka, ClickHouse, migrations, ingester, API, simulator", new: func() runner { return &upCmd{} }},
		{name: "chlocal", summary: "serve the embedded ClickHouse engine over ClickHouse's HTTP interface", new: func() runner { return &chlocalCmd{} }},
		{name: "migrate", summary: "apply (up), revert (down) or show (version) the ClickHouse schema", actions: []string{"up", "down", "version"}, new: func() runner { return &migrateCmd{} }},
		{name: "ingest", summary: "consume the events topic into ClickHouse", new: func() runner { return &ingestCmd{} }},
		{name: "api", summary: "serve the HTTP API (balances, leaderboards, named queries, event collection)", new: func() runner { return &apiCmd{} }},
		{name: "simulate", summary: "send realistic traffic to a Kafka cluster", new: func() runner { return &simulateCmd{} }},
		{name: "backup", summary: "take (create), list or restore backups of the database, with the ingesters' Kafka offsets", subs: backupCommands()},
		{name: "rebuild", summary: "recompute derived tables from the event log, swapping each in while ingestion goes on", new: func() runner { return &rebuildCmd{} }},
		{name: "reconcile", summary: "check every figure the API serves against the event log; exit 1 when any differs", new: func() runner { return &reconcileCmd{} }},
		{name: "dlq", summary: "list, show or replay dead letters (records the ingester refused)", subs: dlqCommands()},
		{name: "probe", summary: "GET a URL and exit non-zero unless it answers 2xx (container health checks)", new: func() runner { return &probeCmd{} }},
		{name: "version", summary: "print the version", new: func() runner { return &versionCmd{} }},
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
		if c.subs != nil {
			sub, ok := subcommand(c, rest)
			if !ok {
				subUsage(stderr, c)
				if len(rest) > 0 && (rest[0] == "-h" || rest[0] == "--help" || rest[0] == "help") {
					return nil
				}
				return fmt.Errorf("usage: rebate %s %s [flags]", c.name, strings.Join(subNames(c), "|"))
			}
			c, rest = sub, rest[1:]
		}
		var positional []string
		for len(positional) < len(c.args) && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			positional, rest = append(positional, rest[0]), rest[1:]
		}
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
		if len(positional) < len(c.args) {
			return fmt.Errorf("%s: %s missing", usageLine(c), c.args[len(positional)])
		}
		return r.run(ctx, &environment{action: action, args: positional, getenv: getenv, stdout: stdout, stderr: stderr})
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

// parseCommand reads c's settings from getenv and args.
func parseCommand(c command, args []string, getenv func(string) string, stderr io.Writer) (runner, *settings.Flags, error) {
	r := c.new()
	f := settings.New("rebate "+c.name, stderr)
	f.Usage(usageLine(c) + "\n\n" + c.summary)
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

// usageLine is how to call c: rebate backup restore NAME [flags].
func usageLine(c command) string {
	line := "usage: rebate " + c.name
	if c.actions != nil {
		line += " " + strings.Join(c.actions, "|")
	}
	for _, a := range c.args {
		line += " " + a
	}
	return line + " [flags]"
}

// subcommand finds the command of c that args name first; its name
// becomes "c sub".
func subcommand(c command, args []string) (command, bool) {
	if len(args) == 0 {
		return command{}, false
	}
	for _, s := range c.subs {
		if s.name == args[0] {
			s.name = c.name + " " + s.name
			return s, true
		}
	}
	return command{}, false
}

func subNames(c command) []string {
	var out []string
	for _, s := range c.subs {
		out = append(out, s.name)
	}
	return out
}

func subUsage(w io.Writer, c command) {
	fmt.Fprintf(w, "usage: rebate %s <command> [flags]\n\n%s\n\ncommands:\n", c.name, c.summary)
	for _, s := range c.subs {
		fmt.Fprintf(w, "  %-10s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun 'rebate %s <command> -h' for its flags.\n", c.name)
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
