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
	pending  strings.Builder // outputs to show, as HTML
	pendingN int
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
	head := b.El("header", "console-head", "")
	c.title = heading(b, c.sec, "h3", id+"-title", name)
	c.sub = b.El("span", "console-sub", "")
	b.Add(head, c.title, c.sub)

	c.out = b.El("ol", "outputs", "")
	b.Attr(c.out, "aria-label", "Output of "+name)
	// The scroller keeps the newest output in view by itself (a
	// column-reverse flex box starts at its end), with no scroll call.
	scroller := b.El("div", "outputs-scroll", "")
	b.Attr(scroller, "tabindex", "0")
	b.Attr(scroller, "aria-label", "Outputs of "+name)
	b.Add(scroller, c.out)

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
	b.Add(c.sec, head, scroller, form, c.err)
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
	c.pending.Reset()
	c.pendingN = 0
	c.showError("")
}

// add queues one output to show; flushDOM shows the queued ones with one
// DOM call.
func (c *console) add(o *engine.Output) error {
	h := &c.pending
	e := dom.Escape
	failed := o.Err != "" || (o.Kind == engine.OutExpect && !o.OK)
	class := "out k-" + string(o.Kind)
	if failed {
		class += " failed"
	}
	prompt := c.name + "> "
	if o.Kind == engine.OutSQL && o.Conn != "" {
		prompt = o.Conn + "> "
	}
	input := o.Input
	if o.Kind == engine.OutSQL {
		input += ";"
	}
	fmt.Fprintf(h, `<li class="%s" data-line="%d"><span class="at" title="simulated time when it finished">%s</span><pre class="in"><span class="prompt">%s</span><span>%s</span></pre>`,
		class, o.Line, e(o.At.String()), e(prompt), e(input))
	switch {
	case o.Kind == engine.OutExpect && o.OK:
		h.WriteString(`<pre class="res ok">✓ ok</pre>`)
	case failed:
		msg := o.Err
		// The item's position, unless the message gives a finer one.
		where := fmt.Sprintf("✖ line %d, column %d: ", o.Line, o.Col)
		line, col, fine := errorAt(msg)
		if fine {
			where = "✖ "
		}
		fmt.Fprintf(h, `<pre class="res err"><span class="err-where">%s</span><span>%s</span>`, e(where), e(msg))
		if src, caret, ok := caretAt(o, line, col); ok && fine {
			fmt.Fprintf(h, `<span class="err-src">%s</span><span class="caret">%s</span>`, e("\n"+src+"\n"), e(caret))
		}
		h.WriteString(`</pre>`)
	case o.Text != "":
		if tbl, rest, ok := parseTable(o.Text); ok {
			tableHTML(h, tbl)
			if rest != "" {
				fmt.Fprintf(h, `<pre class="res">%s</pre>`, e(rest))
			}
		} else {
			fmt.Fprintf(h, `<pre class="res">%s</pre>`, e(o.Text))
		}
	case o.Result != "":
		fmt.Fprintf(h, `<pre class="res">%s</pre>`, e(o.Result))
	}
	h.WriteString(`</li>`)
	c.pendingN++
	return nil
}

// flushDOM shows the queued outputs and drops the oldest beyond maxShown.
func (c *console) flushDOM() error {
	if c.pendingN == 0 {
		return nil
	}
	err := c.out.InsertHTML("beforeend", c.pending.String())
	c.shown += c.pendingN
	c.pending.Reset()
	c.pendingN = 0
	if c.shown > maxShown {
		err = errors.Join(err, c.out.RemoveChildren(c.shown-maxShown, true))
		c.shown = maxShown
	}
	return err
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

// errorAt reads "at line N, column M" in an error message.
func errorAt(msg string) (line, col int, ok bool) {
	i := strings.Index(msg, "at line ")
	if i < 0 {
		return 0, 0, false
	}
	if _, err := fmt.Sscanf(msg[i:], "at line %d, column %d", &line, &col); err != nil {
		return 0, 0, false
	}
	return line, col, true
}

// caretAt returns the line of o's input that holds (line, col), counted
// in the whole submitted text, and a caret under the column.
func caretAt(o *engine.Output, line, col int) (src, caret string, ok bool) {
	rel := line - o.Line
	lines := strings.Split(o.Input, "\n")
	if rel < 0 || rel >= len(lines) {
		return "", "", false
	}
	c := col
	if rel == 0 {
		c = col - o.Col + 1
	}
	runes := []rune(lines[rel])
	if c < 1 || c > len(runes)+1 {
		return "", "", false
	}
	return string(runes), strings.Repeat(" ", c-1) + "^", true
}

// table is a result parsed from the engine's psql-style text.
type table struct {
	head []string
	rows [][]string
	num  []bool // right-aligned columns
}

// parseTable reads the psql-style table the engine prints for a result:
// a header, a separator of dashes and pluses, rows, then "(N rows)" and
// any further lines (returned as rest). The separator gives the column
// boundaries exactly, so a value holding "|" cannot shift a column.
// Anything else is not a table.
func parseTable(text string) (t table, rest string, ok bool) {
	lines := strings.Split(text, "\n")
	if len(lines) < 3 {
		return t, "", false
	}
	sep := []rune(lines[1])
	if len(sep) == 0 || strings.Trim(lines[1], "-+") != "" || !strings.Contains(lines[1], "-") {
		return t, "", false
	}
	var bounds []int // start of each column, then the end
	bounds = append(bounds, 0)
	for i, r := range sep {
		if r == '+' {
			bounds = append(bounds, i)
		}
	}
	bounds = append(bounds, len(sep))
	cells := func(line string) ([]string, bool) {
		rs := []rune(line)
		var out []string
		for k := 0; k+1 < len(bounds); k++ {
			from, to := bounds[k], bounds[k+1]
			if k > 0 {
				if from >= len(rs) || rs[from] != '|' {
					return nil, false
				}
				from++
			}
			to = min(to, len(rs))
			if from > to {
				return nil, false
			}
			out = append(out, string(rs[from:to]))
		}
		return out, true
	}
	head, ok := cells(lines[0])
	if !ok {
		return t, "", false
	}
	for _, h := range head {
		t.head = append(t.head, strings.TrimSpace(h))
	}
	t.num = make([]bool, len(head))
	i := 2
	for ; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "(") {
			break
		}
		row, ok := cells(lines[i])
		if !ok {
			return table{}, "", false
		}
		for k, c := range row {
			if len(c) > 1 && c[0] == ' ' && c[1] == ' ' && strings.TrimSpace(c) != "" {
				t.num[k] = true
			}
			row[k] = strings.TrimSpace(c)
		}
		t.rows = append(t.rows, row)
	}
	return t, strings.Join(lines[i:], "\n"), true
}

func tableHTML(h *strings.Builder, t table) {
	e := dom.Escape
	h.WriteString(`<div class="res-table"><table class="result"><thead><tr>`)
	for _, c := range t.head {
		fmt.Fprintf(h, `<th scope="col">%s</th>`, e(c))
	}
	h.WriteString(`</tr></thead><tbody>`)
	for _, row := range t.rows {
		h.WriteString(`<tr>`)
		for k, c := range row {
			if k < len(t.num) && t.num[k] {
				fmt.Fprintf(h, `<td class="num">%s</td>`, e(c))
			} else {
				fmt.Fprintf(h, `<td>%s</td>`, e(c))
			}
		}
		h.WriteString(`</tr>`)
	}
	h.WriteString(`</tbody></table></div>`)
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
		if ci.Name == PageConsole {
			continue
		}
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
	var errs []error
	for _, name := range a.order {
		errs = append(errs, a.consoles[name].flushDOM())
	}
	if err := errors.Join(errs...); err != nil {
		return err
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
