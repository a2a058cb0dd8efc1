//go:build js && wasm

package dom

import (
	"fmt"
	"syscall/js"

	"github.com/hack-pad/safejs"
)

// Event is a DOM event passed to a listener.
type Event struct {
	v safejs.Value
}

// JS returns the event as a syscall/js value.
func (ev Event) JS() js.Value { return safejs.Unsafe(ev.v) }

// Type returns the event's type ("click", "keydown", ...).
func (ev Event) Type() string { return ev.str("type") }

// Key returns a keyboard event's key ("Enter", "ArrowUp", "a").
func (ev Event) Key() string { return ev.str("key") }

// Shift reports whether Shift was held.
func (ev Event) Shift() bool { return ev.flag("shiftKey") }

// Ctrl reports whether Control or Meta (Command) was held.
func (ev Event) Ctrl() bool { return ev.flag("ctrlKey") || ev.flag("metaKey") }

// Alt reports whether Alt was held.
func (ev Event) Alt() bool { return ev.flag("altKey") }

// Composing reports whether the key belongs to an input-method composition,
// which must be left alone.
func (ev Event) Composing() bool { return ev.flag("isComposing") }

// Target returns the element the event was dispatched to.
func (ev Event) Target() Element {
	v, err := ev.v.Get("target")
	if err != nil {
		return Element{}
	}
	return Element{v: v}
}

// PreventDefault cancels the browser's default action.
func (ev Event) PreventDefault() {
	_, _ = ev.v.Call("preventDefault")
}

func (ev Event) str(name string) string {
	v, err := ev.v.Get(name)
	if err != nil || v.Type() != safejs.TypeString {
		return ""
	}
	s, _ := v.String()
	return s
}

func (ev Event) flag(name string) bool {
	v, err := ev.v.Get(name)
	if err != nil {
		return false
	}
	b, _ := v.Truthy()
	return b
}

// Listener is a registered event listener.
type Listener struct {
	target safejs.Value
	typ    string
	fn     safejs.Func
}

// Release removes the listener and frees its function.
func (l *Listener) Release() {
	if l == nil || l.typ == "" {
		return
	}
	_, _ = l.target.Call("removeEventListener", l.typ, l.fn.Value())
	l.fn.Release()
	l.typ = ""
}

// On calls fn for each event of type typ on e. fn runs on the event loop
// and must not block (see the package documentation).
func (e Element) On(typ string, fn func(Event)) (*Listener, error) {
	return listen(e.v, typ, fn)
}

func listen(target safejs.Value, typ string, fn func(Event)) (*Listener, error) {
	what := "the " + typ + " listener"
	f, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		defer recoverTo(what)
		var ev Event
		if len(args) > 0 {
			ev = Event{v: args[0]}
		}
		fn(ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, err := target.Call("addEventListener", typ, f.Value()); err != nil {
		f.Release()
		return nil, fmt.Errorf("dom: addEventListener(%q): %w", typ, err)
	}
	return &Listener{target: target, typ: typ, fn: f}, nil
}

func recoverTo(what string) {
	if v := recover(); v != nil {
		OnPanic(what, v)
	}
}

// Window is the global window.
type Window struct {
	v safejs.Value
}

// Win returns the global window.
func Win() Window { return Window{v: safejs.Global()} }

// On calls fn for each event of type typ on the window ("resize",
// "pagehide", ...). fn must not block.
func (w Window) On(typ string, fn func(Event)) (*Listener, error) {
	return listen(w.v, typ, fn)
}

// DocumentOn calls fn for each event of type typ on the document
// ("visibilitychange"). fn must not block.
func (d Document) On(typ string, fn func(Event)) (*Listener, error) {
	return listen(d.v, typ, fn)
}

// Hidden reports whether the document is hidden (a background tab).
func (d Document) Hidden() bool {
	v, err := d.v.Get("hidden")
	if err != nil {
		return false
	}
	b, _ := v.Truthy()
	return b
}

// Frame is a requested animation frame.
type Frame struct {
	id int
	fn safejs.Func
}

// Cancel withdraws the request if the frame has not come yet.
func (f *Frame) Cancel() {
	if f == nil || f.id == 0 {
		return
	}
	_, _ = safejs.Global().Call("cancelAnimationFrame", f.id)
	f.fn.Release()
	f.id = 0
}

// AnimationFrame asks the browser to call fn once before the next repaint,
// with the frame's timestamp in milliseconds. fn must not block.
func AnimationFrame(fn func(ms float64)) (*Frame, error) {
	f := &Frame{}
	var err error
	f.fn, err = safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		f.id = 0
		f.fn.Release()
		defer recoverTo("an animation frame")
		ms := 0.0
		if len(args) > 0 {
			ms, _ = args[0].Float()
		}
		fn(ms)
		return nil
	})
	if err != nil {
		return nil, err
	}
	id, err := safejs.Global().Call("requestAnimationFrame", f.fn.Value())
	if err != nil {
		f.fn.Release()
		return nil, fmt.Errorf("dom: requestAnimationFrame: %w", err)
	}
	f.id, _ = id.Int()
	return f, nil
}

// Now returns performance.now(): milliseconds since the page started, for
// measuring wall time.
func Now() float64 {
	perf, err := safejs.Global().Get("performance")
	if err != nil {
		return 0
	}
	v, err := perf.Call("now")
	if err != nil {
		return 0
	}
	f, _ := v.Float()
	return f
}

// Mark records performance.mark(name).
func Mark(name string) error {
	perf, err := safejs.Global().Get("performance")
	if err != nil {
		return err
	}
	_, err = perf.Call("mark", name)
	return err
}

// Func wraps fn as a JavaScript function for an API object. fn runs on the
// event loop and must not block. A panic is passed to OnPanic and the call
// returns undefined.
func Func(name string, fn func(args []js.Value) any) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) (result any) {
		defer func() {
			if v := recover(); v != nil {
				OnPanic(name, v)
				result = js.Undefined()
			}
		}()
		return fn(args)
	})
}

// NewPromise returns a JavaScript promise and the functions that settle it.
// They may be called from any goroutine, once.
func NewPromise() (promise js.Value, resolve func(any), reject func(error)) {
	var res, rej js.Value
	exec := js.FuncOf(func(_ js.Value, args []js.Value) any {
		res, rej = args[0], args[1]
		return nil
	})
	promise = js.Global().Get("Promise").New(exec)
	exec.Release()
	resolve = func(v any) { res.Invoke(v) }
	reject = func(err error) { rej.Invoke(js.Global().Get("Error").New(err.Error())) }
	return promise, resolve, reject
}

// JSONParse turns JSON text into a JavaScript value.
func JSONParse(text string) (js.Value, error) {
	j, err := safejs.Global().Get("JSON")
	if err != nil {
		return js.Undefined(), err
	}
	v, err := j.Call("parse", text)
	return safejs.Unsafe(v), err
}
