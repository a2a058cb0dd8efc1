//go:build js && wasm

package app

import (
	"errors"
	"fmt"
	"strings"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
)

// maxShown bounds the outputs kept on the page per console.
const maxShown = 400

// maxHistory bounds a console's input history.
const maxHistory = 200

// console is one console's panel: its outputs, its input and its history.
type console struct {
	a     *App
	name  string
	sec   dom.Element
	title dom.Element
	sub   dom.Element
	out   dom.Element
	input dom.Element
	err   dom.Element
	shown int

	subText  string
	busy     bool
	history  []string
	hpos     int    // position in history while browsing; len(history) when not
	draft    string // what was typed before browsing history
	hasError bool
}

// console returns the panel of console name, creating it.
func (a *App) console(name string) *console {
	if c := a.consoles[name]; c != nil {
		return c
	}
	c, err := a.newConsole(name)
	if err != nil {
		dom.OnPanic("creating console "+name, err)
	}
	a.consoles[name] = c
	a.order = append(a.order, name)
	for _, e := range a.lab.Log() {
		if e.Console == name {
			c.remember(e.Text)
		}
	}
	return c
}

func (a *App) newConsole(name string) (*console, error) {
	b := dom.NewBuilder(a.doc)
	c := &console{a: a, name: name}
	id := "console-" + name
	c.sec = b.El("section", "console", "")
	b.Attr(c.sec, "data-console", name)
	b.Attr(c.sec, "aria-labelledby", id+"-title")
	head := b.El("header", "console-head", "")
	c.title = b.El("h3", "", name)
	b.Attr(c.title, "id", id+"-title")
	c.sub = b.El("span", "console-sub", "")
	b.Add(head, c.title, c.sub)

	c.out = b.El("ol", "outputs", "")
	b.Attr(c.out, "aria-label", "Output of "+name)
	b.Attr(c.out, "tabindex", "0")

	form := b.El("div", "console-input", "")
	label := b.El("label", "visually-hidden", "Command or SQL for "+name)
	b.Attr(label, "for", id+"-input")
	c.input = b.El("textarea", "", "")
	b.Attr(c.input, "id", id+"-input")
	b.Attr(c.input, "rows", "2")
	b.Attr(c.input, "spellcheck", "false")
	b.Attr(c.input, "autocapitalize", "off")
	b.Attr(c.input, "autocomplete", "off")
	b.Attr(c.input, "placeholder", name+`> SQL;  or  \status  \crash b1  \?`)
	b.Attr(c.input, "aria-describedby", id+"-error console-hint")
	run := b.El("button", "run", "Run")
	b.Attr(run, "type", "button")
	b.Attr(run, "aria-label", "Run the input on "+name)
	b.Add(form, label, c.input, run)

	c.err = b.El("p", "input-error", "")
	b.Attr(c.err, "id", id+"-error")
	b.Attr(c.err, "aria-live", "assertive")
	b.Add(c.sec, head, c.out, form, c.err)
	b.Add(a.ui.consoles, c.sec)
	if b.Err() != nil {
		return c, b.Err()
	}
	if _, err := c.input.On("keydown", c.onKey); err != nil {
		return c, err
	}
	_, err := run.On("click", func(dom.Event) { c.submit() })
	return c, err
}

// remember adds text to the history.
func (c *console) remember(text string) {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return
	}
	if n := len(c.history); n == 0 || c.history[n-1] != text {
		c.history = append(c.history, text)
		if len(c.history) > maxHistory {
			c.history = c.history[1:]
		}
	}
	c.hpos = len(c.history)
}

func (c *console) value() string {
	v, _ := c.input.PropString("value")
	return v
}

// onKey handles the input's keys: Enter runs a complete input, Shift+Enter
// (or Enter inside an open statement) adds a line, the arrows walk the
// history when the caret is on the first or last line.
func (c *console) onKey(ev dom.Event) {
	if ev.Composing() {
		return
	}
	switch ev.Key() {
	case "Enter":
		if ev.Shift() || ev.Alt() {
			return
		}
		if ev.Ctrl() || engine.Complete(c.value()) {
			ev.PreventDefault()
			c.submit()
		}
	case "ArrowUp", "ArrowDown":
		if ev.Shift() || ev.Ctrl() || ev.Alt() {
			return
		}
		v := c.value()
		start, _ := c.input.PropInt("selectionStart")
		end, _ := c.input.PropInt("selectionEnd")
		if start != end {
			return
		}
		up := ev.Key() == "ArrowUp"
		if up && strings.Contains(v[:min(start, len(v))], "\n") {
			return // move within the text
		}
		if !up && strings.Contains(v[min(start, len(v)):], "\n") {
			return
		}
		if c.browse(up, v) {
			ev.PreventDefault()
		}
	case "Escape":
		c.showError("")
	}
}

// browse moves through the history and reports whether it did.
func (c *console) browse(up bool, current string) bool {
	if up {
		if c.hpos == 0 || len(c.history) == 0 {
			return false
		}
		if c.hpos == len(c.history) {
			c.draft = current
		}
		c.hpos--
	} else {
		if c.hpos >= len(c.history) {
			return false
		}
		c.hpos++
	}
	text := c.draft
	if c.hpos < len(c.history) {
		text = c.history[c.hpos]
	}
	_ = c.input.SetProp("value", text)
	n := len([]rune(text))
	_, _ = c.input.Call("setSelectionRange", n, n)
	return true
}

// submit runs the input. A parse error stays at the input, with its line
// and column selected; nothing is queued.
func (c *console) submit() {
	text := c.value()
	if strings.TrimSpace(text) == "" {
		return
	}
	err := c.a.Submit(c.name, text)
	var pe *engine.ParseError
	switch {
	case errors.As(err, &pe):
		c.showError(fmt.Sprintf("✖ Not run: line %d, column %d: %s", pe.Line, pe.Col, pe.Msg))
		c.selectAt(text, pe.Line, pe.Col)
		c.a.announce("Not run: " + pe.Error())
	case err != nil:
		c.showError("✖ Not run: " + err.Error())
	default:
		c.showError("")
		_ = c.input.SetProp("value", "")
		c.draft = ""
	}
	_ = c.input.Focus()
}

// selectAt selects the character at line, col (1-based, in runes) of text.
func (c *console) selectAt(text string, line, col int) {
	runes := []rune(text)
	l, i := 1, 0
	for ; i < len(runes) && l < line; i++ {
		if runes[i] == '\n' {
			l++
		}
	}
	i = min(i+col-1, len(runes))
	end := min(i+1, len(runes))
	if end > i && runes[i] == '\n' {
		end = i
	}
	_, _ = c.input.Call("setSelectionRange", i, end)
}

func (c *console) showError(text string) {
	has := text != ""
	if !has && !c.hasError {
		return
	}
	c.hasError = has
	_ = c.err.SetText(text)
	if has {
		_ = c.input.SetAttr("aria-invalid", "true")
	} else {
		_ = c.input.RemoveAttr("aria-invalid")
	}
}

// clear empties the outputs (after a reset).
func (c *console) clear() {
	_ = c.out.ReplaceChildren()
	c.shown = 0
	c.showError("")
}

// add shows one output.
func (c *console) add(o *engine.Output) error {
	b := dom.NewBuilder(c.a.doc)
	failed := o.Err != "" || (o.Kind == engine.OutExpect && !o.OK)
	class := "out k-" + string(o.Kind)
	if failed {
		class += " failed"
	}
	li := b.El("li", class, "")
	b.Attr(li, "data-line", fmt.Sprint(o.Line))
	prompt := c.name + "> "
	if o.Kind == engine.OutSQL && o.Conn != "" {
		prompt = o.Conn + "> "
	}
	input := o.Input
	if o.Kind == engine.OutSQL {
		input += ";"
	}
	in := b.El("pre", "in", "")
	b.Add(in, b.El("span", "prompt", prompt), b.El("span", "", input))
	at := b.El("span", "at", o.At.String())
	b.Attr(at, "title", "simulated time when it finished")
	b.Add(li, at, in)
	switch {
	case o.Kind == engine.OutExpect && o.OK:
		b.Add(li, b.El("pre", "res ok", "✓ ok"))
	case failed:
		msg := o.Err
		// The item's position, unless the message gives a finer one.
		where := fmt.Sprintf("✖ line %d, column %d: ", o.Line, o.Col)
		if strings.Contains(msg, "line ") {
			where = "✖ "
		}
		e := b.El("pre", "res err", "")
		b.Add(e, b.El("span", "err-where", where), b.El("span", "", msg))
		b.Add(li, e)
	case o.Text != "":
		b.Add(li, b.El("pre", "res", o.Text))
	case o.Result != "":
		b.Add(li, b.El("pre", "res", o.Result))
	}
	b.Add(c.out, li)
	c.shown++
	for ; c.shown > maxShown; c.shown-- {
		first, ok, err := c.out.FirstChild()
		if err != nil || !ok {
			break
		}
		_ = first.Remove()
	}
	if b.Err() != nil {
		return b.Err()
	}
	return c.out.ScrollToEnd()
}

// summary is what the live region says about an output.
func summary(o *engine.Output) string {
	switch {
	case o.Kind == engine.OutExpect && o.OK:
		return o.Console + ": expectation met"
	case o.Err != "":
		return fmt.Sprintf("%s: error at line %d, column %d: %s", o.Console, o.Line, o.Col, o.Err)
	case o.Text != "":
		first, _, _ := strings.Cut(o.Text, "\n")
		return o.Console + ": " + first
	}
	return o.Console + ": done"
}

// renderConsoles keeps a panel per instance and shows each console's
// instance, its state, where its SQL runs and whether it is busy.
func (a *App) renderConsoles(s *engine.Snapshot) error {
	type want struct {
		text string
		busy bool
	}
	var names []string
	wants := map[string]*want{}
	for _, in := range s.Instances {
		state := "✓ up"
		if !in.Up {
			state = "✕ down"
		}
		names = append(names, in.Name)
		wants[in.Name] = &want{text: in.Role + " · " + state}
	}
	for _, ci := range s.Consoles {
		w := wants[ci.Name]
		if w == nil {
			w = &want{text: "console"}
			names = append(names, ci.Name)
			wants[ci.Name] = w
		}
		if ci.Conn != "" && ci.Conn != ci.Name {
			w.text += " · SQL on " + ci.Conn
		}
		w.busy = ci.Busy
	}
	for _, name := range names {
		w := wants[name]
		a.console(name).setSub(w.text, w.busy)
	}
	for _, name := range a.order {
		if wants[name] == nil { // its instance left with a \cluster
			a.consoles[name].setSub("no instance of this name in the cluster now", false)
		}
	}
	return nil
}

func (c *console) setSub(text string, busy bool) {
	if text != c.subText {
		c.subText = text
		_ = c.sub.SetText(text)
	}
	if busy != c.busy {
		c.busy = busy
		_ = c.sec.SetClass("busy", busy)
		if busy {
			_ = c.sec.SetAttr("aria-busy", "true")
		} else {
			_ = c.sec.RemoveAttr("aria-busy")
		}
	}
}
