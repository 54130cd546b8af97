package settings_test

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate/internal/settings"
)

type group struct {
	Rows     int
	Wait     time.Duration
	Password string
	Hosts    []string
	On       bool
	Share    float64
}

func (g *group) RegisterFlags(f *settings.Flags) {
	f.Int(&g.Rows, "rows", "REBATE_T_ROWS", 100, "rows", settings.Between(1, 1000))
	f.Duration(&g.Wait, "wait", "REBATE_T_WAIT", time.Second, "wait", settings.Positive)
	f.Secret(&g.Password, "password", "REBATE_T_PASSWORD", "password", settings.NonEmpty)
	f.List(&g.Hosts, "hosts", "REBATE_T_HOSTS", []string{"a:1"}, "hosts", settings.HostPorts)
	f.Bool(&g.On, "on", "REBATE_T_ON", false, "on")
	f.Float(&g.Share, "share", "REBATE_T_SHARE", 0.5, "share", settings.Fraction)
}

func getenv(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func parse(args []string, env func(string) string) (*group, error) {
	var g group
	f := settings.New("t", io.Discard)
	g.RegisterFlags(f)
	return &g, f.Parse(args, env)
}

func TestDefaultsThenVariablesThenFlags(t *testing.T) {
	g, err := parse(nil, getenv("REBATE_T_PASSWORD", "p"))
	if err != nil || g.Rows != 100 || g.Wait != time.Second || len(g.Hosts) != 1 || g.On {
		t.Fatalf("defaults: %+v %v", g, err)
	}
	g, err = parse(nil, getenv("REBATE_T_PASSWORD", "p", "REBATE_T_ROWS", "7", "REBATE_T_HOSTS", " b:2 , c:3,", "REBATE_T_ON", "true"))
	if err != nil || g.Rows != 7 || strings.Join(g.Hosts, ";") != "b:2;c:3" || !g.On {
		t.Fatalf("variables: %+v %v", g, err)
	}
	g, err = parse([]string{"--rows", "9", "--on=false", "--hosts", "d:4"}, getenv("REBATE_T_PASSWORD", "p", "REBATE_T_ROWS", "7", "REBATE_T_ON", "true"))
	if err != nil || g.Rows != 9 || g.On || strings.Join(g.Hosts, ";") != "d:4" {
		t.Fatalf("flags: %+v %v", g, err)
	}
	if g, err = parse([]string{"--on"}, getenv("REBATE_T_PASSWORD", "p")); err != nil || !g.On {
		t.Fatalf("a bare boolean flag means true: %+v %v", g, err)
	}
}

func TestErrorsNameTheSettingAndHideSecrets(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  func(string) string
		want []string
	}{
		{nil, getenv("REBATE_T_PASSWORD", "p", "REBATE_T_ROWS", "lots"), []string{"REBATE_T_ROWS", "not an integer"}},
		{[]string{"--rows", "0"}, getenv("REBATE_T_PASSWORD", "p"), []string{"--rows", "REBATE_T_ROWS", "1..1000"}},
		{nil, getenv("REBATE_T_PASSWORD", "p", "REBATE_T_HOSTS", "nohost"), []string{"--hosts", "host:port"}},
		{nil, getenv(), []string{"--password", "REBATE_T_PASSWORD", "must not be empty"}},
		{[]string{"stray"}, getenv("REBATE_T_PASSWORD", "p"), []string{"unexpected argument"}},
		// NaN passes every comparison a check makes: refused as a number.
		{[]string{"--share", "NaN"}, getenv("REBATE_T_PASSWORD", "p"), []string{"share", "finite"}},
		{nil, getenv("REBATE_T_PASSWORD", "p", "REBATE_T_SHARE", "-Inf"), []string{"REBATE_T_SHARE", "finite"}},
	} {
		_, err := parse(tc.args, tc.env)
		if err == nil {
			t.Errorf("%v: no error", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q does not say %q", err, w)
			}
		}
	}
	var g group
	f := settings.New("t", io.Discard)
	g.RegisterFlags(f)
	if err := f.Parse(nil, getenv("REBATE_T_PASSWORD", "hunter2-secret", "REBATE_T_ROWS", "0")); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v", err)
	}
	var help strings.Builder
	f = settings.New("t", &help)
	g.RegisterFlags(f)
	if err := f.Parse([]string{"-h"}, getenv("REBATE_T_PASSWORD", "hunter2-secret")); !errors.Is(err, flag.ErrHelp) ||
		strings.Contains(help.String(), "hunter2") || !strings.Contains(help.String(), "(env REBATE_T_ROWS)") {
		t.Errorf("help: %v\n%s", err, help.String())
	}
}

func TestFillDefaultsOnlyFillsZeroFields(t *testing.T) {
	g := group{Rows: 5}
	settings.FillDefaults(g.RegisterFlags)
	if g.Rows != 5 || g.Wait != time.Second || strings.Join(g.Hosts, ";") != "a:1" {
		t.Errorf("%+v", g)
	}
	g.Password = "x"
	if err := settings.Check(g.RegisterFlags); err != nil {
		t.Error(err)
	}
	g.Rows = 5000
	if err := settings.Check(g.RegisterFlags); err == nil || !strings.Contains(err.Error(), "--rows (REBATE_T_ROWS)") {
		t.Errorf("check: %v", err)
	}
}
