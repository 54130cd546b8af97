package settings_test

import (
	"strings"
	"testing"

	"github.com/rebatehq/rebate/internal/settings"
)

func TestCredentials(t *testing.T) {
	creds, err := settings.Credentials(" a:admin:0123456789abcdef:with:colons , b:readonly:fedcba9876543210,", "user", "admin", "readonly")
	if err != nil || len(creds) != 2 || creds[0].Secret != "0123456789abcdef:with:colons" || creds[1].Role != "readonly" {
		t.Fatalf("%+v %v", creds, err)
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
		_, err := settings.Credentials(bad, "user", "admin", "readonly")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Credentials(%q): %v, want %q", bad, err, want)
		} else if strings.Contains(err.Error(), "0123456789abcdef") || strings.Contains(err.Error(), "000000000000000") {
			t.Errorf("Credentials(%q): the error shows the secret: %v", bad, err)
		}
	}
}

// FuzzCredentials: a list either parses into entries with a known role and
// a long enough secret, or is refused by an error that shows no secret:
// no text of an entry after its first or second ':' and no whole entry,
// unless that text is also a name the list shows anyway.
func FuzzCredentials(f *testing.F) {
	for _, s := range []string{"a:admin:0123456789abcdef", "a:readonly:0123456789abcdef:x,b:admin:fedcba9876543210",
		"a:root:x", ",,", "a::b", "::000000000000000:", "0123456789abcdef0123", "a:0123456789abcdef0123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		creds, err := settings.Credentials(s, "user", "admin", "readonly")
		if err == nil {
			for _, c := range creds {
				if c.Name == "" || (c.Role != "admin" && c.Role != "readonly") || len(c.Secret) < settings.MinSecret || strings.Contains(c.Secret, ",") {
					t.Fatalf("invalid entry accepted: %+v", c)
				}
			}
			return
		}
		var shown, secrets []string
		for _, part := range strings.Split(s, ",") {
			part = strings.TrimSpace(part)
			secrets = append(secrets, part)
			if i := strings.IndexByte(part, ':'); i >= 0 {
				secrets = append(secrets, part[i+1:])
				if j := strings.IndexByte(part[i+1:], ':'); j >= 0 {
					secrets = append(secrets, part[i+1+j+1:])
				}
			}
			if f := strings.SplitN(part, ":", 3); len(f) == 3 {
				shown = append(shown, f[0])
			}
		}
	secrets:
		for _, sec := range secrets {
			if len(sec) < settings.MinSecret || !strings.Contains(err.Error(), sec) {
				continue
			}
			for _, n := range shown {
				if strings.Contains(n, sec) {
					continue secrets
				}
			}
			t.Fatalf("error %q shows %q", err, sec)
		}
	})
}
