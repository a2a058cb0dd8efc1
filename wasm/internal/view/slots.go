//go:build js && wasm

package view

import (
	"strconv"

	"aurora-lab/wasm/internal/dom"
)

// The slots remember what they last wrote, so that a frame touches the DOM
// only where the snapshot changed.

// textSlot is an element's text.
type textSlot struct {
	el  dom.Element
	cur string
	set bool
}

func (t *textSlot) Set(s string) error {
	if t.set && t.cur == s {
		return nil
	}
	t.cur, t.set = s, true
	return t.el.SetText(s)
}

// attrSlot is one attribute of an element.
type attrSlot struct {
	el   dom.Element
	name string
	cur  string
	set  bool
}

func (a *attrSlot) Set(v string) error {
	if a.set && a.cur == v {
		return nil
	}
	a.cur, a.set = v, true
	return a.el.SetAttr(a.name, v)
}

// classSlot is one class of an element, on or off.
type classSlot struct {
	el   dom.Element
	name string
	cur  bool
	set  bool
}

func (c *classSlot) Set(on bool) error {
	if c.set && c.cur == on {
		return nil
	}
	c.cur, c.set = on, true
	return c.el.SetClass(c.name, on)
}

// num formats a coordinate with one decimal, which is all a pixel needs.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
