//go:build js

package cluster

import "runtime"

// yieldRuntime lets the Go scheduler run something else for a moment. It
// changes nothing the model sees: no other goroutine of the engine exists.
//
// Under js/wasm there is one thread and no preemption, so while the model
// runs events back to back, the collector's background mark worker never
// gets its turn. A cycle's marking then creeps along on allocation assists
// for hundreds of milliseconds, write barriers stay on the whole time, and
// the heap balloons meanwhile (measured: 0.5 to 0.8 s mark phases and a
// 79 MB heap on the insert stream, against 5 to 10 ms and under 10 MB with
// this yield). Yielding every thousand events or so gives the worker its
// share.
func yieldRuntime() { runtime.Gosched() }
