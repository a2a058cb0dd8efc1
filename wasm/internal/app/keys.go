//go:build js && wasm

package app

import (
	"math"
	"strconv"

	"aurora-lab/wasm/internal/dom"
)

// Keyboard shortcuts. Every control is a button, a field or a focusable
// element of the drawing, reachable with Tab; these keys are shortcuts on
// top, active when the focus is not in a text field.

// shortcut is one key and what it does.
type shortcut struct {
	keys, what string
	do         func(a *App)
	// onUp runs it when the key is released: a shortcut that moves the
	// focus into a text field must not type its own key there.
	onUp bool
}

var shortcuts = []shortcut{
	{"?", "show these shortcuts", func(a *App) { a.showKeys() }, false},
	{"p", "play or pause simulated time", func(a *App) {
		if a.playing {
			a.Pause()
			a.announce("Paused")
		} else {
			a.Play()
			a.announce("Running")
		}
	}, false},
	{".", "step: pause and process exactly one event", func(a *App) { a.stepOnce() }, false},
	{"n", "guided scenario: run to the next step", func(a *App) { a.Next() }, false},
	{"f", "guided scenario: skip ahead, as fast as the model runs, to the next step", func(a *App) { a.SkipAhead() }, false},
	{"+", "faster", func(a *App) { a.SetSpeed(a.speed + 1); a.announceSpeed() }, false},
	{"-", "slower", func(a *App) { a.SetSpeed(a.speed - 1); a.announceSpeed() }, false},
	{"g", "go to the guided scenarios", func(a *App) { a.focusGuide() }, false},
	{"c", "go to the first console's input", func(a *App) { a.focusConsole() }, true},
	{"t", "show or hide the cluster as tables", func(a *App) {
		open := !a.ui.tables.JS().Get("open").Truthy()
		_ = a.ui.tables.SetProp("open", open)
		if open {
			_ = a.ui.tablesSummary.Focus()
		}
	}, false},
	{"s", "share, export, import, embed", func(a *App) { a.openShare() }, false},
}

// onKey runs the shortcut of a key pressed (keydown) or released (keyup)
// outside text fields.
func (a *App) onKey(ev dom.Event) {
	if ev.Ctrl() || ev.Alt() || ev.Composing() {
		return
	}
	t := ev.Target()
	if _, ok := t.Closest("input, textarea, select, [contenteditable], dialog[open]"); ok {
		return
	}
	if a.ui.menu.open {
		return
	}
	k := ev.Key()
	if k == "=" {
		k = "+"
	}
	up := ev.Type() == "keyup"
	for _, s := range shortcuts {
		if s.keys == k {
			ev.PreventDefault()
			if s.onUp == up {
				s.do(a)
			}
			return
		}
	}
}

func (a *App) stepOnce() {
	if a.Step() {
		a.announce("Stepped one event: event " + strconv.FormatUint(a.lab.Events(), 10) + ", at " + a.lab.Now().String())
	} else {
		a.announce("Nothing left to happen")
	}
}

func (a *App) announceSpeed() {
	a.announce("Speed: " + Speeds[a.speed].Label + " of simulated time per second")
}

// focusGuide moves the focus to the guide: its Next button while a
// scenario runs, else the first scenario.
func (a *App) focusGuide() {
	p := a.ui.guide
	if a.guide.active {
		if !p.next.JS().Get("disabled").Truthy() {
			_ = p.next.Focus()
			return
		}
		_ = p.title.Focus()
		return
	}
	if len(p.buttons) > 0 {
		_ = p.buttons[0].Focus()
	}
}

// focusConsole moves the focus to the first console's input.
func (a *App) focusConsole() {
	if len(a.order) > 0 {
		_ = a.consoles[a.order[0]].input.Focus()
	}
}

// keysDialog lists the shortcuts.
func keysDialog(b *dom.Builder) dom.Element {
	d := b.El("dialog", "keys-dialog", "")
	h := heading(b, d, "h2", "keys-title", "Keyboard shortcuts")
	p := b.El("p", "", "Tab and Shift+Tab reach every control; Enter or Space works a button, a node, an instance, an AZ label or a protection group; in a fault menu the arrows move and Escape closes. In a console: Enter runs a complete input, Shift+Enter adds a line, ↑ and ↓ recall earlier inputs. Outside text fields:")
	dl := b.El("dl", "keys", "")
	for _, s := range shortcuts {
		dt := b.El("dt", "", "")
		b.Add(dt, b.El("kbd", "", s.keys))
		b.Add(dl, dt, b.El("dd", "", s.what))
	}
	form := b.El("form", "buttons", "")
	b.Attr(form, "method", "dialog")
	ok := b.El("button", "", "Close")
	b.Attr(ok, "value", "close")
	b.Add(form, ok)
	b.Add(d, h, p, dl, form)
	return d
}

func (a *App) showKeys() {
	if _, err := a.ui.keys.Call("showModal"); err != nil {
		a.announce("Could not show the shortcuts: " + err.Error())
	}
}

// ---------------------------------------------------------------- embed

// postHeight tells the host page of an embed how tall the embed's content
// is, whenever that changes, so the host can size its iframe to it.
func (a *App) postHeight() error {
	if !a.opts.Embed || !dom.InFrame() {
		return nil
	}
	last := -1
	return dom.ObserveSize(a.root, func(h float64) {
		px := int(math.Ceil(h)) + 2 // the body's margin and a border's rounding
		if px == last {
			return
		}
		last = px
		_ = dom.PostToParent(map[string]any{"type": "aurora-lab:height", "height": px, "scenario": a.guide.name,
			"saving": a.pers.Status().Durable, "note": a.problem})
	})
}
