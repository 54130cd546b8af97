package main

import (
	"bytes"
	"os"
	"testing"
)

// TestProgressOnlyOnATerminal: progress lines go to a terminal, never to a
// file or a pipe, and never with --quiet.
func TestProgressOnlyOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	if (&report{}).progress(&environment{stderr: &buf}) != nil {
		t.Error("progress to a buffer")
	}
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if (&report{}).progress(&environment{stderr: f}) != nil {
		t.Error("progress to a file")
	}
	// A character device stands for a terminal (a test has none to open).
	if tty, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		if (&report{}).progress(&environment{stderr: tty}) == nil {
			t.Error("no progress on a terminal")
		}
		if (&report{Quiet: true}).progress(&environment{stderr: tty}) != nil {
			t.Error("progress on a terminal with --quiet")
		}
	}
	progressTo(&buf)("rebuild clicks: 42% (4.2 M of 10.0 M rows)")
	if buf.String() != "rebuild clicks: 42% (4.2 M of 10.0 M rows)\n" {
		t.Errorf("printed %q", buf.String())
	}
}
