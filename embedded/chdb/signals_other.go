//go:build !(linux && amd64)

package chdb

// preserveSignals is a no-op where the engine is not published.
func preserveSignals() func() { return func() {} }
