package settings

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Between accepts integers from lo to hi.
func Between(lo, hi int) func(int) error {
	return func(v int) error {
		if v < lo || v > hi {
			return fmt.Errorf("want %d..%d", lo, hi)
		}
		return nil
	}
}

// Positive accepts a duration above zero.
func Positive(d time.Duration) error {
	if d <= 0 {
		return errors.New("must be positive")
	}
	return nil
}

// DurationBetween accepts durations from lo to hi.
func DurationBetween(lo, hi time.Duration) func(time.Duration) error {
	return func(d time.Duration) error {
		if d < lo || d > hi {
			return fmt.Errorf("want %s..%s", lo, hi)
		}
		return nil
	}
}

// NonNegative accepts a duration of zero or more.
func NonNegative(d time.Duration) error {
	if d < 0 {
		return errors.New("must not be negative")
	}
	return nil
}

// WholeSeconds accepts whole seconds, at least least.
func WholeSeconds(least time.Duration) func(time.Duration) error {
	return func(d time.Duration) error {
		if d < least || d%time.Second != 0 {
			return fmt.Errorf("want whole seconds, at least %s", least)
		}
		return nil
	}
}

// PositiveFloat accepts a number above zero.
func PositiveFloat(v float64) error {
	if v <= 0 {
		return errors.New("must be positive")
	}
	return nil
}

// NonNegativeFloat accepts zero or more.
func NonNegativeFloat(v float64) error {
	if v < 0 {
		return errors.New("must not be negative")
	}
	return nil
}

// Fraction accepts 0..1.
func Fraction(v float64) error {
	if v < 0 || v > 1 {
		return errors.New("want 0..1")
	}
	return nil
}

// OneOf accepts the listed values only.
func OneOf(allowed ...string) func(string) error {
	return func(v string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("want one of %s", strings.Join(allowed, ", "))
	}
}

// NonEmpty refuses blank text.
func NonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("must not be empty")
	}
	return nil
}

// HostPort accepts host:port.
func HostPort(v string) error {
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		return errors.New("want host:port, like 127.0.0.1:8123")
	}
	return nil
}

// OptionalHostPort accepts host:port or nothing.
func OptionalHostPort(v string) error {
	if v == "" {
		return nil
	}
	return HostPort(v)
}

// HostPorts accepts a non-empty list of host:port.
func HostPorts(l []string) error {
	if len(l) == 0 {
		return errors.New("want host:port[,host:port...], like 127.0.0.1:9092")
	}
	for _, hp := range l {
		if HostPort(hp) != nil {
			return errors.New("want host:port[,host:port...], like 127.0.0.1:9092")
		}
	}
	return nil
}

// HTTPURL accepts an http:// or https:// URL.
func HTTPURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an http:// or https:// URL")
	}
	return nil
}

// Loopback reports whether addr (host:port) serves this machine only.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
