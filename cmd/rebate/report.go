package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/rebatehq/rebate/internal/settings"
)

// report is how an operator's command speaks: results on stdout; on
// stderr, while it is a terminal and not --quiet, a line about once a
// second on long work. Redirected to a file or a pipe (cron, CI), progress
// lines would only bury the result, so there are none.
type report struct {
	Quiet bool
}

func (r *report) register(f *settings.Flags) {
	f.Bool(&r.Quiet, "quiet", "REBATE_QUIET", false, "print results only, no progress lines (none either when stderr is not a terminal)")
}

// progress is where long work reports how far it got; nil when it should not.
func (r *report) progress(env *environment) func(string) {
	if r.Quiet || !terminal(env.stderr) {
		return nil
	}
	return progressTo(env.stderr)
}

// progressTo writes each line to w; safe from any goroutine.
func progressTo(w io.Writer) func(string) {
	var mu sync.Mutex
	return func(line string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(w, line)
	}
}

// terminal reports whether w is a character device (a terminal).
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
