//go:build js && wasm

// Package dom is the page's small, typed view of the browser DOM, over
// syscall/js through github.com/hack-pad/safejs so that a JavaScript
// exception comes back as an error instead of a panic.
//
// It knows only what Aurora Lab needs: create HTML and SVG elements, set
// their text, attributes, classes and properties, put them in the tree,
// listen to events and ask for animation frames.
//
// # Callbacks
//
// The functions given to [Element.On], [Window.On] and [AnimationFrame] run
// on the browser's event loop. They must never block: a channel receive, a
// mutex held by a goroutine that waits, or an IndexedDB request awaited
// there stalls the event loop and deadlocks the page. Start a goroutine for
// anything that waits. A panic in a callback is recovered and passed to
// [OnPanic], so one broken handler does not stop the program.
//
// # Content-Security-Policy
//
// The page's policy forbids style attributes, so [Element.SetAttr] refuses
// "style"; [Element.SetStyleProperty] sets one property through
// element.style, which the policy allows.
package dom

import (
	"errors"
	"fmt"
	"html"
	"syscall/js"

	"github.com/hack-pad/safejs"
)

// SVGNamespace is the namespace of SVG elements.
const SVGNamespace = "http://www.w3.org/2000/svg"

// ErrStyleAttr is returned by SetAttr("style", ...): the page's
// Content-Security-Policy forbids style attributes.
var ErrStyleAttr = errors.New(`dom: style attributes are forbidden by the page's Content-Security-Policy; use SetStyleProperty`)

// OnPanic receives a panic recovered in a callback. It reports to the
// browser console by default; the page replaces it to show the failure.
var OnPanic = func(what string, v any) {
	js.Global().Get("console").Call("error", fmt.Sprintf("aurora-lab: panic in %s: %v", what, v))
}

// Element is one DOM element. The zero Element is not valid; see
// [Element.Valid].
type Element struct {
	v safejs.Value
}

// Wrap returns the element held by a JavaScript value.
func Wrap(v js.Value) Element { return Element{v: safejs.Safe(v)} }

// JS returns the element as a syscall/js value, for interop.
func (e Element) JS() js.Value { return safejs.Unsafe(e.v) }

// Valid reports whether e holds an element (not null or undefined).
func (e Element) Valid() bool {
	return e.v.Type() == safejs.TypeObject && !e.v.IsNull()
}

// Document is the page's document.
type Document struct {
	v safejs.Value
}

// Doc returns the global document.
func Doc() (Document, error) {
	d, err := safejs.Global().Get("document")
	if err != nil {
		return Document{}, err
	}
	if d.Type() != safejs.TypeObject || d.IsNull() {
		return Document{}, errors.New("dom: no document (not running in a page)")
	}
	return Document{v: d}, nil
}

// Root returns the <html> element.
func (d Document) Root() (Element, error) { return d.elementProp("documentElement") }

// Body returns the <body> element.
func (d Document) Body() (Element, error) { return d.elementProp("body") }

func (d Document) elementProp(name string) (Element, error) {
	v, err := d.v.Get(name)
	if err != nil {
		return Element{}, err
	}
	return Element{v: v}, nil
}

// Create returns a new HTML element with the given tag.
func (d Document) Create(tag string) (Element, error) {
	v, err := d.v.Call("createElement", tag)
	if err != nil {
		return Element{}, fmt.Errorf("dom: createElement(%q): %w", tag, err)
	}
	return Element{v: v}, nil
}

// CreateSVG returns a new SVG element with the given tag.
func (d Document) CreateSVG(tag string) (Element, error) {
	v, err := d.v.Call("createElementNS", SVGNamespace, tag)
	if err != nil {
		return Element{}, fmt.Errorf("dom: createElementNS(svg, %q): %w", tag, err)
	}
	return Element{v: v}, nil
}

// ByID returns the element with the given id, and false when there is
// none.
func (d Document) ByID(id string) (Element, bool, error) {
	v, err := d.v.Call("getElementById", id)
	if err != nil {
		return Element{}, false, err
	}
	e := Element{v: v}
	return e, e.Valid(), nil
}

// Query returns the first element that matches a CSS selector, and false
// when none does.
func (d Document) Query(selector string) (Element, bool, error) {
	return query(d.v, selector)
}

// QueryAll returns every element that matches a CSS selector, in document
// order.
func (d Document) QueryAll(selector string) ([]Element, error) {
	return queryAll(d.v, selector)
}

// ActiveElement returns the element that has the focus.
func (d Document) ActiveElement() (Element, error) { return d.elementProp("activeElement") }

func query(v safejs.Value, selector string) (Element, bool, error) {
	r, err := v.Call("querySelector", selector)
	if err != nil {
		return Element{}, false, fmt.Errorf("dom: querySelector(%q): %w", selector, err)
	}
	e := Element{v: r}
	return e, e.Valid(), nil
}

func queryAll(v safejs.Value, selector string) ([]Element, error) {
	list, err := v.Call("querySelectorAll", selector)
	if err != nil {
		return nil, fmt.Errorf("dom: querySelectorAll(%q): %w", selector, err)
	}
	n, err := list.Length()
	if err != nil {
		return nil, err
	}
	out := make([]Element, 0, n)
	for i := range n {
		item, err := list.Index(i)
		if err != nil {
			return nil, err
		}
		out = append(out, Element{v: item})
	}
	return out, nil
}

// Query returns the first descendant of e that matches a CSS selector.
func (e Element) Query(selector string) (Element, bool, error) { return query(e.v, selector) }

// QueryAll returns every descendant of e that matches a CSS selector.
func (e Element) QueryAll(selector string) ([]Element, error) { return queryAll(e.v, selector) }

// Tag returns the element's tag name, lower case for HTML.
func (e Element) Tag() (string, error) {
	v, err := e.v.Get("localName")
	if err != nil {
		return "", err
	}
	return v.String()
}

// SetText replaces the element's content with text.
func (e Element) SetText(text string) error { return e.v.Set("textContent", text) }

// Text returns the element's text content.
func (e Element) Text() (string, error) { return e.PropString("textContent") }

// SetAttr sets an attribute. It refuses "style" (see [ErrStyleAttr]).
func (e Element) SetAttr(name, value string) error {
	if name == "style" {
		return ErrStyleAttr
	}
	_, err := e.v.Call("setAttribute", name, value)
	return err
}

// Attr returns an attribute's value, and false when it is not set.
func (e Element) Attr(name string) (string, bool, error) {
	v, err := e.v.Call("getAttribute", name)
	if err != nil || v.IsNull() {
		return "", false, err
	}
	s, err := v.String()
	return s, err == nil, err
}

// RemoveAttr removes an attribute.
func (e Element) RemoveAttr(name string) error {
	_, err := e.v.Call("removeAttribute", name)
	return err
}

// SetClass adds the class name when on is true and removes it otherwise.
func (e Element) SetClass(name string, on bool) error {
	cl, err := e.v.Get("classList")
	if err != nil {
		return err
	}
	_, err = cl.Call("toggle", name, on)
	return err
}

// HasClass reports whether the element has the class name.
func (e Element) HasClass(name string) (bool, error) {
	cl, err := e.v.Get("classList")
	if err != nil {
		return false, err
	}
	v, err := cl.Call("contains", name)
	if err != nil {
		return false, err
	}
	return v.Bool()
}

// SetProp sets a JavaScript property of the element (value, disabled,
// checked, hidden, ...). x is converted as syscall/js.ValueOf does.
func (e Element) SetProp(name string, x any) error { return e.v.Set(name, x) }

// PropString returns a property as a string.
func (e Element) PropString(name string) (string, error) {
	v, err := e.v.Get(name)
	if err != nil {
		return "", err
	}
	return v.String()
}

// PropInt returns a property as an integer (selectionStart, clientWidth).
func (e Element) PropInt(name string) (int, error) {
	v, err := e.v.Get(name)
	if err != nil {
		return 0, err
	}
	if v.Type() != safejs.TypeNumber {
		return 0, fmt.Errorf("dom: property %s is not a number", name)
	}
	return v.Int()
}

// PropFloat returns a property as a number.
func (e Element) PropFloat(name string) (float64, error) {
	v, err := e.v.Get(name)
	if err != nil {
		return 0, err
	}
	return v.Float()
}

// Call calls a method of the element and returns its result.
func (e Element) Call(method string, args ...any) (js.Value, error) {
	v, err := e.v.Call(method, args...)
	return safejs.Unsafe(v), err
}

// SetStyleProperty sets one CSS property through element.style, which the
// Content-Security-Policy allows (unlike a style attribute).
func (e Element) SetStyleProperty(name, value string) error {
	st, err := e.v.Get("style")
	if err != nil {
		return err
	}
	_, err = st.Call("setProperty", name, value)
	return err
}

// SetData sets a data-* attribute through dataset (name in camelCase).
func (e Element) SetData(name, value string) error {
	ds, err := e.v.Get("dataset")
	if err != nil {
		return err
	}
	return ds.Set(name, value)
}

// Append adds children at the end of e.
func (e Element) Append(children ...Element) error {
	args := make([]any, len(children))
	for i, c := range children {
		args[i] = c.v
	}
	_, err := e.v.Call("append", args...)
	return err
}

// Prepend adds children at the start of e.
func (e Element) Prepend(children ...Element) error {
	args := make([]any, len(children))
	for i, c := range children {
		args[i] = c.v
	}
	_, err := e.v.Call("prepend", args...)
	return err
}

// ReplaceChildren replaces all of e's children with children (none
// empties e).
func (e Element) ReplaceChildren(children ...Element) error {
	args := make([]any, len(children))
	for i, c := range children {
		args[i] = c.v
	}
	_, err := e.v.Call("replaceChildren", args...)
	return err
}

// Remove takes e out of the tree.
func (e Element) Remove() error {
	_, err := e.v.Call("remove")
	return err
}

// ChildCount reports how many element children e has.
func (e Element) ChildCount() (int, error) {
	v, err := e.v.Get("childElementCount")
	if err != nil {
		return 0, err
	}
	return v.Int()
}

// LastChild returns e's last element child, and false when it has none.
func (e Element) LastChild() (Element, bool, error) {
	v, err := e.v.Get("lastElementChild")
	if err != nil {
		return Element{}, false, err
	}
	c := Element{v: v}
	return c, c.Valid(), nil
}

// FirstChild returns e's first element child, and false when it has none.
func (e Element) FirstChild() (Element, bool, error) {
	v, err := e.v.Get("firstElementChild")
	if err != nil {
		return Element{}, false, err
	}
	c := Element{v: v}
	return c, c.Valid(), nil
}

// Focus moves the keyboard focus to e.
func (e Element) Focus() error {
	_, err := e.v.Call("focus")
	return err
}

// ScrollToEnd scrolls e's content to the bottom.
func (e Element) ScrollToEnd() error {
	h, err := e.v.Get("scrollHeight")
	if err != nil {
		return err
	}
	return e.v.Set("scrollTop", h)
}

// Is reports whether e and o are the same element.
func (e Element) Is(o Element) bool { return e.v.Equal(o.v) }

// Box is an element's border box in CSS pixels, relative to the viewport
// (getBoundingClientRect).
type Box struct{ Left, Top, Width, Height float64 }

// Rect returns e's border box.
func (e Element) Rect() (Box, error) {
	r, err := e.v.Call("getBoundingClientRect")
	if err != nil {
		return Box{}, err
	}
	var b Box
	for _, f := range []struct {
		name string
		dst  *float64
	}{{"left", &b.Left}, {"top", &b.Top}, {"width", &b.Width}, {"height", &b.Height}} {
		v, err := r.Get(f.name)
		if err != nil {
			return Box{}, err
		}
		if *f.dst, err = v.Float(); err != nil {
			return Box{}, err
		}
	}
	return b, nil
}

// Contains reports whether o is e or inside it.
func (e Element) Contains(o Element) bool {
	if !e.Valid() || !o.Valid() {
		return false
	}
	v, err := e.v.Call("contains", o.v)
	if err != nil {
		return false
	}
	b, _ := v.Bool()
	return b
}

// Closest returns the nearest ancestor of e (or e itself) that matches a
// CSS selector, and false when none does.
func (e Element) Closest(selector string) (Element, bool) {
	if !e.Valid() {
		return Element{}, false
	}
	v, err := e.v.Call("closest", selector)
	if err != nil {
		return Element{}, false
	}
	c := Element{v: v}
	return c, c.Valid()
}

// InsertHTML parses html and inserts it at position ("beforeend",
// "afterbegin", ...): one call for many elements. Build html only with
// Escape for every piece of text.
func (e Element) InsertHTML(position, html string) error {
	_, err := e.v.Call("insertAdjacentHTML", position, html)
	return err
}

// RemoveChildren removes n child nodes of e, from the first (first true)
// or from the last, with one Range: a few calls whatever n is.
func (e Element) RemoveChildren(n int, first bool) error {
	if n <= 0 {
		return nil
	}
	count, err := e.v.Get("childNodes")
	if err != nil {
		return err
	}
	total, err := count.Length()
	if err != nil {
		return err
	}
	n = min(n, total)
	doc, err := safejs.Global().Get("document")
	if err != nil {
		return err
	}
	r, err := doc.Call("createRange")
	if err != nil {
		return err
	}
	from, to := 0, n
	if !first {
		from, to = total-n, total
	}
	if _, err := r.Call("setStart", e.v, from); err != nil {
		return err
	}
	if _, err := r.Call("setEnd", e.v, to); err != nil {
		return err
	}
	_, err = r.Call("deleteContents")
	return err
}

// Escape escapes text for InsertHTML.
func Escape(s string) string { return html.EscapeString(s) }
