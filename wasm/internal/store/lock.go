//go:build js && wasm

package store

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
)

// Only one tab writes a database at a time: the tab that writes holds the
// database's Web Lock (navigator.locks) for as long as it writes. Another
// tab of the same page finds the lock taken, says so, and may ask for it.

// LockMode says how AcquireLock asks for the lock.
type LockMode int

// Lock modes.
const (
	// IfAvailable takes the lock only if no other tab holds it.
	IfAvailable LockMode = iota
	// Wait waits until the tab that holds it lets it go (or ctx ends).
	Wait
	// Steal takes the lock from the tab that holds it, which learns so
	// through Lost.
	Steal
)

// ErrNoLocks says the browser has no Web Locks API (navigator.locks), so
// the page cannot tell whether another tab writes the same database.
var ErrNoLocks = errors.New("this browser has no Web Locks (navigator.locks)")

// Lock is the right to write one database, held through the Web Locks API.
type Lock struct {
	name    string
	release js.Value // resolves the promise that holds the lock
	lost    chan struct{}
	// The callbacks stay for the page's lifetime: the browser may call
	// them as long as the lock is held or requested.
	funcs []js.Func
}

// LockName is the Web Lock that guards database db.
func LockName(db string) string { return "aurora-lab-db:" + db }

// AcquireLock asks for the lock on database db. It returns nil and no
// error when mode is IfAvailable and another tab holds the lock. It
// blocks: call it from a goroutine or main, never from a DOM callback.
func AcquireLock(ctx context.Context, db string, mode LockMode) (*Lock, error) {
	nav := js.Global().Get("navigator")
	if nav.Type() != js.TypeObject {
		return nil, ErrNoLocks
	}
	locks := nav.Get("locks")
	if locks.Type() != js.TypeObject {
		return nil, ErrNoLocks
	}
	l := &Lock{name: LockName(db), lost: make(chan struct{})}
	granted := make(chan bool, 1)
	cb := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 0 || args[0].IsNull() || args[0].IsUndefined() {
			granted <- false
			return nil
		}
		exec := js.FuncOf(func(_ js.Value, a []js.Value) any {
			l.release = a[0]
			return nil
		})
		p := js.Global().Get("Promise").New(exec)
		exec.Release()
		granted <- true
		return p
	})
	onDone := js.FuncOf(func(js.Value, []js.Value) any {
		// The holding promise settled or the request failed: a stolen lock
		// rejects with AbortError; a released one resolves.
		select {
		case <-l.lost:
		default:
			close(l.lost)
		}
		return nil
	})
	l.funcs = []js.Func{cb, onDone}
	opts := js.Global().Get("Object").New()
	var abort js.Value
	switch mode {
	case IfAvailable:
		opts.Set("ifAvailable", true)
	case Steal:
		opts.Set("steal", true)
	case Wait:
		abort = js.Global().Get("AbortController").New()
		opts.Set("signal", abort.Get("signal"))
	}
	req, err := call(locks, "request", l.name, opts, cb)
	if err != nil {
		return nil, fmt.Errorf("navigator.locks.request: %v", err)
	}
	req.Call("then", onDone, onDone)
	select {
	case ok := <-granted:
		if !ok {
			return nil, nil
		}
		return l, nil
	case <-ctx.Done():
		if abort.Truthy() {
			abort.Call("abort")
		}
		return nil, ctx.Err()
	case <-l.lost: // the request failed before the callback ran
		return nil, fmt.Errorf("navigator.locks.request for %s failed", l.name)
	}
}

// call calls a method, turning a thrown exception into an error.
func call(v js.Value, method string, args ...any) (res js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return v.Call(method, args...), nil
}

// Lost is closed when the lock is gone: released, or stolen by another
// tab.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Release lets the lock go.
func (l *Lock) Release() {
	if l == nil {
		return
	}
	if l.release.Truthy() {
		l.release.Invoke()
	}
}
