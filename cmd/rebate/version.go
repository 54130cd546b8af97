package main

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/rebatehq/rebate/embedded/chdb"
	"github.com/rebatehq/rebate/internal/settings"
)

type versionCmd struct{}

func (*versionCmd) register(*settings.Flags) {}

func (*versionCmd) run(_ context.Context, env *environment) error {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	_, err := fmt.Fprintf(env.stdout, "rebate %s (embedded engine package %s)\n", v, chdb.Version)
	return err
}
