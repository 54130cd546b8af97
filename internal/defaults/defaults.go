// Package defaults fills the zero fields of a config struct.
package defaults

// Set sets *p to v when *p is the zero value: a config field left unset
// takes its default.
func Set[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}
