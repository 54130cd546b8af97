// Package prom holds what the service's packages share about Prometheus.
package prom

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Register adds collectors to reg (nil: nowhere). A collector registered
// before, as when two components share a registry, is not an error.
func Register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return err
			}
		}
	}
	return nil
}
