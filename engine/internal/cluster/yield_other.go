//go:build !js

package cluster

// yieldRuntime does nothing natively, where the runtime preempts the model
// and runs the collector's workers on other threads (see yield_js.go).
func yieldRuntime() {}
