// Package settings binds configuration fields to a flag and a REBATE_*
// variable each, with the default and the checks written once, beside the
// field, by the package that owns it (a RegisterFlags method). Commands
// compose the groups they need; the same registrations give a library
// caller its defaults (FillDefaults) and checks (Check).
//
// A setting starts at its default; a variable overrides the default and a
// flag overrides both. A bad value is an error naming the flag and the
// variable, never the value of a secret.
package settings

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// mode is what registering a setting does.
type mode uint8

const (
	modeParse    mode = iota // bind a flag; write the default now
	modeDefaults             // write the default where the field is zero
	modeCheck                // run the checks on the field as it is
)

// Flags collects the settings of one command (or of one library call).
type Flags struct {
	mode mode
	fs   *flag.FlagSet
	list []*setting
	errs []error
}

// setting is one registered field.
type setting struct {
	name, env string
	value     flag.Value
	check     func() error // nil when any parsed value is valid
	secret    bool
}

// New returns the settings of the command name, printing help to stderr.
func New(name string, stderr io.Writer) *Flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &Flags{mode: modeParse, fs: fs}
}

// Usage sets what -h prints before the flags: how to call the command.
func (f *Flags) Usage(text string) {
	if f.fs == nil {
		return
	}
	f.fs.Usage = func() {
		fmt.Fprintln(f.fs.Output(), text)
		fmt.Fprintln(f.fs.Output(), "\nflags (each also read from its REBATE_* variable):")
		f.fs.PrintDefaults()
	}
}

// FillDefaults writes the default of every setting register registers into
// its field, where that field is zero: a library caller leaves a field unset
// to take its default.
func FillDefaults(register func(*Flags)) {
	register(&Flags{mode: modeDefaults})
}

// Check runs the checks of every setting register registers on the fields'
// current values. The error names the flag and the variable.
func Check(register func(*Flags)) error {
	f := &Flags{mode: modeCheck}
	register(f)
	return f.runChecks()
}

// Parse reads the variables from getenv, then the flags from args, then runs
// every check. It returns flag.ErrHelp after printing help for -h.
func (f *Flags) Parse(args []string, getenv func(string) string) error {
	if f.mode != modeParse {
		return errors.New("settings: Parse on a defaults or check set")
	}
	if err := errors.Join(f.errs...); err != nil {
		return err
	}
	for _, s := range f.list {
		v := getenv(s.env)
		if v == "" {
			continue
		}
		if err := s.value.Set(v); err != nil {
			shown := fmt.Sprintf("%q", v)
			if s.secret {
				shown = "(set)"
			}
			return fmt.Errorf("config: %s=%s: %w", s.env, shown, err)
		}
	}
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if f.fs.NArg() > 0 {
		return fmt.Errorf("config: unexpected argument %q", f.fs.Arg(0))
	}
	return f.runChecks()
}

func (f *Flags) runChecks() error {
	for _, s := range f.list {
		if s.check == nil {
			continue
		}
		if err := s.check(); err != nil {
			return fmt.Errorf("config: --%s (%s) = %s: %w", s.name, s.env, s.value.String(), err)
		}
	}
	return nil
}

// Has reports whether a flag of that name is registered.
func (f *Flags) Has(name string) bool {
	for _, s := range f.list {
		if s.name == name {
			return true
		}
	}
	return false
}

// Variables lists the REBATE_* variable of every registered setting.
func (f *Flags) Variables() []string {
	out := make([]string, 0, len(f.list))
	for _, s := range f.list {
		out = append(out, s.env)
	}
	return out
}

// Var registers a field of any type: parse reads a value, format prints one.
func Var[T any](f *Flags, p *T, name, env string, def T, parse func(string) (T, error), format func(T) string,
	usage string, checks ...func(T) error) {
	add(f, p, name, env, def, parse, format, usage, false, checks)
}

// SecretVar is Var for a value holding secrets: a bad one is reported
// without its text.
func SecretVar[T any](f *Flags, p *T, name, env string, def T, parse func(string) (T, error), format func(T) string,
	usage string, checks ...func(T) error) {
	add(f, p, name, env, def, parse, format, usage, true, checks)
}

func add[T any](f *Flags, p *T, name, env string, def T, parse func(string) (T, error), format func(T) string,
	usage string, secret bool, checks []func(T) error) {
	if !strings.HasPrefix(env, "REBATE_") {
		f.errs = append(f.errs, fmt.Errorf("settings: --%s: variable %q does not start with REBATE_", name, env))
	}
	v := &value[T]{p: p, parse: parse, format: format}
	s := &setting{name: name, env: env, value: v, secret: secret}
	if len(checks) > 0 {
		s.check = func() error {
			for _, c := range checks {
				if err := c(*p); err != nil {
					return err
				}
			}
			return nil
		}
	}
	switch f.mode {
	case modeParse:
		*p = def
		f.fs.Var(v, name, usage+" (env "+env+")")
	case modeDefaults:
		if reflect.ValueOf(p).Elem().IsZero() {
			*p = def
		}
	}
	f.list = append(f.list, s)
}

// value is a field bound to a flag.
type value[T any] struct {
	p      *T
	parse  func(string) (T, error)
	format func(T) string
}

func (v *value[T]) String() string {
	if v == nil || v.p == nil { // flag's zero-value probe
		return ""
	}
	return v.format(*v.p)
}

func (v *value[T]) Set(s string) error {
	x, err := v.parse(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*v.p = x
	return nil
}
