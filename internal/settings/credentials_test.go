package settings_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rebatehq/rebate/internal/secrettest"
	"github.com/rebatehq/rebate/internal/settings"
)

func TestCredentials(t *testing.T) {
	creds, err := settings.Credentials(" a:admin:0123456789abcdef:with:colons , b:readonly:fedcba9876543210,", "user", nil, "admin", "readonly")
	if err != nil || len(creds) != 2 || creds[0].Secret != "0123456789abcdef:with:colons" || creds[1].Role != "readonly" {
		t.Fatalf("%+v %v", creds, err)
	}
	// A name rule, when given, names an entry whose name breaks it by its
	// position: the name may be anything, a secret too.
	rule := func(n string) error {
		if strings.Contains(n, " ") {
			return errors.New("a name is letters")
		}
		return nil
	}
	if _, err := settings.Credentials("a:admin:0123456789abcdef,0123456789abcdef0 x:admin:0123456789abcdef", "user", rule, "admin"); err == nil ||
		err.Error() != "user 2 of the list: a name is letters" {
		t.Errorf("a name broke the rule: %v", err)
	}
	for bad, want := range map[string]string{
		"a":                                "user 1 of the list: want name:role:secret",
		"b:admin:0123456789abcdef,a:admin": "user 2 of the list",
		"0123456789abcdef0":                "user 1 of the list",
		"a:0123456789abcdef0":              "user 1 of the list",
		":admin:0123456789abcdef":          "user 1 of the list",
		// A secret holding ':' and ending in one: the first redaction
		// kept all but its last character (found by FuzzParseUsers).
		"::000000000000000:":      "user 1 of the list",
		"a:root:0123456789abcdef": "user a: the role is not one of admin, readonly",
		"a:admin:short":           "user a: secret shorter than 16 characters",
	} {
		_, err := settings.Credentials(bad, "user", nil, "admin", "readonly")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Credentials(%q): %v, want %q", bad, err, want)
		} else if strings.Contains(err.Error(), "0123456789abcdef") || strings.Contains(err.Error(), "000000000000000") {
			t.Errorf("Credentials(%q): the error shows the secret: %v", bad, err)
		}
	}
}

// FuzzCredentials: a list either parses into entries with a known role and
// a long enough secret, or is refused by an error that shows no secret
// (secrettest.NoSecretShown).
func FuzzCredentials(f *testing.F) {
	for _, s := range []string{"a:admin:0123456789abcdef", "a:readonly:0123456789abcdef:x,b:admin:fedcba9876543210",
		"a:root:x", ",,", "a::b", "::000000000000000:", "0123456789abcdef0123", "a:0123456789abcdef0123",
		"0000000000000000 ::0000000000000000", "000000000000000:: 000000000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		creds, err := settings.Credentials(s, "user", nil, "admin", "readonly")
		if err == nil {
			for _, c := range creds {
				if c.Name == "" || (c.Role != "admin" && c.Role != "readonly") || len(c.Secret) < settings.MinSecret || strings.Contains(c.Secret, ",") {
					t.Fatalf("invalid entry accepted: %+v", c)
				}
			}
			return
		}
		secrettest.NoSecretShown(t, s, func(s string) error { _, err := settings.Credentials(s, "user", nil, "admin", "readonly"); return err })
	})
}
