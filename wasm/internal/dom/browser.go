//go:build js && wasm

package dom

import (
	"errors"
	"fmt"
	"syscall/js"

	"github.com/hack-pad/safejs"
)

// This file holds the browser services beyond the tree: fetching a file,
// the location, messages to a host page, media queries, the clipboard,
// downloads and files a person picks.

// Await waits for a JavaScript promise and returns its value, or its
// rejection as an error. It blocks: call it from a goroutine, never from a
// callback (see the package documentation).
func Await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	var onOK, onErr js.Func
	onOK = js.FuncOf(func(_ js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- result{v: v}
		return nil
	})
	onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 {
			if m := args[0].Get("message"); m.Type() == js.TypeString {
				msg = m.String()
			} else {
				msg = args[0].Call("toString").String()
			}
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer onOK.Release()
	defer onErr.Release()
	if _, err := safejs.Safe(p).Call("then", onOK, onErr); err != nil {
		return js.Undefined(), err
	}
	r := <-ch
	return r.v, r.err
}

// FetchText fetches url (relative to the page) and returns its body as
// text; a status other than 200 is an error naming it. It blocks: call it
// from a goroutine or main, never from a callback.
func FetchText(url string) (string, error) {
	fetch, err := safejs.Global().Get("fetch")
	if err != nil || fetch.Type() != safejs.TypeFunction {
		return "", errors.New("dom: this browser has no fetch")
	}
	p, err := fetch.Invoke(url)
	if err != nil {
		return "", err
	}
	resp, err := Await(safejs.Unsafe(p))
	if err != nil {
		return "", fmt.Errorf("fetching %s: %w", url, err)
	}
	if st := resp.Get("status").Int(); st != 200 {
		return "", fmt.Errorf("fetching %s: HTTP %d %s", url, st, resp.Get("statusText").String())
	}
	body, err := Await(resp.Call("text"))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", url, err)
	}
	return body.String(), nil
}

// Location is the parts of the page's address the page reads.
type Location struct {
	Href, Pathname, Search, Hash string
}

// Here returns the page's address.
func Here() Location {
	loc := js.Global().Get("location")
	return Location{Href: loc.Get("href").String(), Pathname: loc.Get("pathname").String(),
		Search: loc.Get("search").String(), Hash: loc.Get("hash").String()}
}

// ReplaceURL changes the address shown without loading anything
// (history.replaceState).
func ReplaceURL(url string) error {
	_, err := safejs.Safe(js.Global().Get("history")).Call("replaceState", nil, "", url)
	return err
}

// InFrame reports whether the page runs inside a frame of another page.
func InFrame() bool {
	w := js.Global()
	return !w.Get("parent").Equal(w.Get("window"))
}

// PostToParent sends msg (plain data) to the page that frames this one,
// whatever its origin: for what any host may know, like a height.
func PostToParent(msg map[string]any) error {
	parent, err := safejs.Global().Get("parent")
	if err != nil {
		return err
	}
	_, err = parent.Call("postMessage", msg, "*")
	return err
}

// MediaQuery reports whether a CSS media query matches now, and calls
// onChange (when not nil) each time that changes. onChange must not block.
func MediaQuery(query string, onChange func(bool)) bool {
	mm := js.Global().Get("matchMedia")
	if mm.Type() != js.TypeFunction {
		return false
	}
	mql := js.Global().Call("matchMedia", query)
	if onChange != nil {
		_, _ = listen(safejs.Safe(mql), "change", func(ev Event) { onChange(ev.flag("matches")) })
	}
	return mql.Get("matches").Truthy()
}

// ObserveSize calls fn with e's border-box height each time its size
// changes (ResizeObserver). fn must not block.
func ObserveSize(e Element, fn func(height float64)) error {
	ro := js.Global().Get("ResizeObserver")
	if ro.Type() != js.TypeFunction {
		return errors.New("dom: this browser has no ResizeObserver")
	}
	cb := js.FuncOf(func(_ js.Value, args []js.Value) any {
		defer recoverTo("a ResizeObserver")
		if r, err := e.Rect(); err == nil {
			fn(r.Height)
		}
		return nil
	})
	obs, err := safejs.Safe(ro).New(cb)
	if err != nil {
		cb.Release()
		return err
	}
	_, err = obs.Call("observe", e.v)
	return err
}

// CopyText puts text on the clipboard. It blocks: call it from a
// goroutine.
func CopyText(text string) error {
	clip := js.Global().Get("navigator").Get("clipboard")
	if clip.Type() != js.TypeObject {
		return errors.New("this browser offers no clipboard here")
	}
	_, err := Await(clip.Call("writeText", text))
	return err
}

// Download offers text to save as a file called name.
func Download(name, mime, text string) error {
	blob, err := safejs.Safe(js.Global().Get("Blob")).New([]any{text}, map[string]any{"type": mime})
	if err != nil {
		return err
	}
	url, err := safejs.Safe(js.Global().Get("URL")).Call("createObjectURL", blob)
	if err != nil {
		return err
	}
	doc, err := Doc()
	if err != nil {
		return err
	}
	a, err := doc.Create("a")
	if err != nil {
		return err
	}
	if err := errors.Join(a.SetProp("href", url), a.SetProp("download", name)); err != nil {
		return err
	}
	body, err := doc.Body()
	if err != nil {
		return err
	}
	if err := body.Append(a); err != nil {
		return err
	}
	_, err = a.Call("click")
	_ = a.Remove()
	// The browser has taken the blob by now; let the URL go a little later.
	js.Global().Call("setTimeout", js.FuncOf(func(js.Value, []js.Value) any {
		js.Global().Get("URL").Call("revokeObjectURL", safejs.Unsafe(url))
		return nil
	}), 10000)
	return err
}

// FileText reads the first file a file input holds, and its name. It
// blocks: call it from a goroutine.
func FileText(input Element) (name, text string, err error) {
	files := input.JS().Get("files")
	if files.Type() != js.TypeObject || files.Length() == 0 {
		return "", "", errors.New("no file was chosen")
	}
	f := files.Index(0)
	v, err := Await(f.Call("text"))
	if err != nil {
		return f.Get("name").String(), "", err
	}
	return f.Get("name").String(), v.String(), nil
}

// OnLoop runs fn on the event loop, after the current task: how a
// goroutine that waited for something hands its result to the page.
func OnLoop(fn func()) {
	var f js.Func
	f = js.FuncOf(func(js.Value, []js.Value) any {
		defer f.Release()
		defer recoverTo("a task")
		fn()
		return nil
	})
	js.Global().Call("setTimeout", f, 0)
}
