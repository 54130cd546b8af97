package settings

import (
	"fmt"
	"slices"
	"strings"
)

// Credential is one entry of a name:role:secret list, the form of
// REBATE_API_KEYS and REBATE_CHLOCAL_USERS.
type Credential[R ~string] struct {
	Name   string
	Role   R
	Secret string
}

// MinSecret is the shortest secret a credential list accepts.
const MinSecret = 16

// Credentials reads a comma-separated list of name:role:secret (the secret
// may hold ':' but not ','), what naming an entry in errors ("API key").
// validName, when not nil, says what is wrong with a name, or nil. No error
// shows a secret: an entry that is not name:role:secret, or whose name is
// not valid, is named by its position alone, since a part of it may be the
// secret (a forgotten role, a secret with ':' in it); other errors show the
// name, never the role (a secret typed in its place) or the secret.
func Credentials[R ~string](s, what string, validName func(string) error, roles ...R) ([]Credential[R], error) {
	var out []Credential[R]
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := strings.SplitN(part, ":", 3)
		if len(f) != 3 || f[0] == "" || f[2] == "" {
			return nil, fmt.Errorf("%s %d of the list: want name:role:secret", what, i+1)
		}
		if validName != nil {
			if err := validName(f[0]); err != nil {
				return nil, fmt.Errorf("%s %d of the list: %w", what, i+1, err)
			}
		}
		if !slices.Contains(roles, R(f[1])) {
			return nil, fmt.Errorf("%s %s: the role is not one of %s", what, f[0], joined(roles))
		}
		if len(f[2]) < MinSecret {
			return nil, fmt.Errorf("%s %s: secret shorter than %d characters", what, f[0], MinSecret)
		}
		out = append(out, Credential[R]{Name: f[0], Role: R(f[1]), Secret: f[2]})
	}
	return out, nil
}

func joined[R ~string](roles []R) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
