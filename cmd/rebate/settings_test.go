package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// usageLineRe reads one flag of flag.PrintDefaults: "  -name value" or "  -name".
var (
	usageLineRe = regexp.MustCompile(`^  -([a-z0-9-]+)`)
	envRe       = regexp.MustCompile(`\(env (REBATE_[A-Z0-9_]+)\)`)
	defaultRe   = regexp.MustCompile(`\(default (.*)\)$`)
)

// settingsOf lists every flag a command takes as "command --flag VARIABLE
// default", read from its -h output the way a user reads it.
func settingsOf(t *testing.T, args ...string) []string {
	t.Helper()
	var stderr bytes.Buffer
	if err := run(context.Background(), append(args, "-h"), env(), &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("rebate %v -h: %v", args, err)
	}
	var out []string
	lines := strings.Split(stderr.String(), "\n")
	for i := 0; i < len(lines); i++ {
		m := usageLineRe.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		// The usage text follows on the next lines, indented by a tab.
		text := ""
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "    \t") {
			i++
			text += strings.TrimPrefix(lines[i], "    \t") + " "
		}
		text = strings.TrimSpace(text)
		variable := "-"
		if e := envRe.FindStringSubmatch(text); e != nil {
			variable = e[1]
		}
		def := `""`
		if d := defaultRe.FindStringSubmatch(text); d != nil {
			def = d[1]
		}
		out = append(out, strings.Join([]string{strings.Join(args, " "), "--" + m[1], variable, def}, " "))
	}
	return out
}

var updateSettings = flag.Bool("update-settings", false, "rewrite testdata/settings.golden")

// TestSettingsNeverChange pins every flag and REBATE_* variable of every
// command, with its default: users, scripts and docker-compose.yml rely on
// them. A new setting is added to the golden file (-update-settings); a
// renamed or removed one fails here.
func TestSettingsNeverChange(t *testing.T) {
	var got []string
	for _, c := range commands() {
		for _, sub := range c.subs {
			got = append(got, settingsOf(t, c.name, sub.name)...)
		}
		if c.subs != nil {
			continue
		}
		args := []string{c.name}
		if c.actions != nil {
			args = append(args, c.actions[0])
		}
		got = append(got, settingsOf(t, args...)...)
	}
	golden := filepath.Join("testdata", "settings.golden")
	if *updateSettings {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, l := range got {
		have[l] = true
	}
	for _, want := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !have[want] {
			t.Errorf("setting changed or gone: %s", want)
		}
	}
	want := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		want[l] = true
	}
	for _, l := range got {
		if !want[l] {
			t.Errorf("setting not in testdata/settings.golden (run with -update-settings if it is new): %s", l)
		}
	}
}
