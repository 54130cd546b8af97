// Package secrettest checks that a parser of name:role:secret lists
// (settings.Credentials and what builds on it) shows no secret in its
// errors, by marking the secrets rather than guessing at them.
package secrettest

import (
	"strings"
	"testing"
)

// NoSecretShown fails t when parse refuses s with an error that shows a
// secret: parse is run again on s with every entry's secret overwritten by
// a marker of the same length (so the same checks, and the same error
// path, apply), and that error must not hold the marker. A guess at the
// secret's text would flag an error whose own words, or a name's quoted
// escapes, merely spell it.
func NoSecretShown(t testing.TB, s string, parse func(string) error) {
	t.Helper()
	err := parse(s)
	if err == nil || shows(s) {
		return
	}
	parts := strings.Split(s, ",")
	for i, part := range parts {
		if f := strings.SplitN(strings.TrimSpace(part), ":", 3); len(f) == 3 {
			parts[i] = f[0] + ":" + f[1] + ":" + marked(f[2])
		}
	}
	if err2 := parse(strings.Join(parts, ",")); err2 == nil || shows(err2.Error()) {
		t.Fatalf("error %q (%v with the secrets marked) shows a secret", err, err2)
	}
}

// marked is secret with every byte but ':' (what a redaction may cut at)
// overwritten by \x01: the same length.
func marked(secret string) string {
	b := []byte(secret)
	for i := range b {
		if b[i] != ':' {
			b[i] = 1
		}
	}
	return string(b)
}

// shows: s holds the marker, as a byte or quoted (%q writes \x01).
func shows(s string) bool { return strings.Contains(s, "\x01") || strings.Contains(s, `\x01`) }
