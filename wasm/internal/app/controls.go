//go:build js && wasm

package app

import (
	"errors"
	"fmt"
	"strings"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
)

// The page's fault controls: a menu on each storage node, instance and AZ
// of the drawing, and a bar that builds any fault command. Both produce
// console-language text and submit it on the page's console, so a click is
// exactly the command a person could type: it shows in the command log,
// is saved, and replays.

// menuItem is one entry of a fault menu.
type menuItem struct {
	label, cmd string
}

// menu is the pop-up menu of a node, an instance or an AZ.
type menu struct {
	el     dom.Element
	title  dom.Element
	list   dom.Element
	opener dom.Element
	items  []dom.Element
	open   bool
}

func newMenu(b *dom.Builder) *menu {
	m := &menu{el: b.El("div", "menu", "")}
	b.Attr(m.el, "role", "menu")
	b.Keep(m.el.SetProp("hidden", true))
	m.title = b.El("p", "menu-title", "")
	b.Attr(m.title, "id", "menu-title")
	b.Attr(m.el, "aria-labelledby", "menu-title")
	m.list = b.El("div", "menu-items", "")
	b.Add(m.el, m.title, m.list)
	return m
}

// openMenu shows items for the thing anchor draws.
func (a *App) openMenu(title string, items []menuItem, anchor dom.Element) {
	m := a.ui.menu
	b := dom.NewBuilder(a.doc)
	m.items = m.items[:0]
	var els []dom.Element
	for _, it := range items {
		btn := b.El("button", "menu-item", "")
		b.Attr(btn, "type", "button")
		b.Attr(btn, "role", "menuitem")
		b.Attr(btn, "tabindex", "-1")
		b.Attr(btn, "data-cmd", it.cmd)
		b.Add(btn, b.El("span", "", it.label), b.El("code", "", it.cmd))
		cmd := it.cmd
		if _, err := btn.On("click", func(dom.Event) {
			a.closeMenu(true)
			a.control(cmd)
		}); err != nil {
			b.Keep(err)
		}
		els = append(els, btn)
		m.items = append(m.items, btn)
	}
	b.Keep(m.title.SetText(title))
	b.Keep(m.list.ReplaceChildren(els...))
	if b.Err() != nil {
		dom.OnPanic("menu", b.Err())
		return
	}
	// Place it under the thing, inside the panel it belongs to.
	if parent, ok := m.el.Closest(".panel-body"); ok {
		pr, err1 := parent.Rect()
		ar, err2 := anchor.Rect()
		if err1 == nil && err2 == nil {
			left := min(max(ar.Left-pr.Left, 0), max(pr.Width-280, 0))
			top := ar.Top - pr.Top + min(ar.Height, 44) + 4
			_ = m.el.SetStyleProperty("left", fmt.Sprintf("%.0fpx", left))
			_ = m.el.SetStyleProperty("top", fmt.Sprintf("%.0fpx", top))
		}
	}
	_ = m.el.SetProp("hidden", false)
	m.open, m.opener = true, anchor
	if len(m.items) > 0 {
		_ = m.items[0].Focus()
	}
}

// closeMenu hides the menu; refocus returns the focus to what opened it.
func (a *App) closeMenu(refocus bool) {
	m := a.ui.menu
	if !m.open {
		return
	}
	m.open = false
	_ = m.el.SetProp("hidden", true)
	if refocus && m.opener.Valid() {
		_ = m.opener.Focus()
	}
}

// menuKey moves through the menu with the arrows; Escape closes it.
func (a *App) menuKey(ev dom.Event) {
	m := a.ui.menu
	if !m.open {
		return
	}
	switch ev.Key() {
	case "Escape":
		ev.PreventDefault()
		a.closeMenu(true)
	case "ArrowDown", "ArrowUp", "Home", "End":
		ev.PreventDefault()
		active, _ := a.doc.ActiveElement()
		i := -1
		for j, it := range m.items {
			if it.Is(active) {
				i = j
			}
		}
		n := len(m.items)
		if n == 0 {
			return
		}
		switch ev.Key() {
		case "ArrowDown":
			i = (i + 1) % n
		case "ArrowUp":
			i = (i - 1 + n) % n
		case "Home":
			i = 0
		case "End":
			i = n - 1
		}
		_ = m.items[i].Focus()
	case "Tab":
		a.closeMenu(false)
	}
}

// control submits a command of the page's controls.
func (a *App) control(cmd string) {
	if err := a.Submit(PageConsole, cmd); err != nil {
		a.ui.lastAction(cmd, err.Error(), true)
		a.announce("Not run: " + err.Error())
	}
}

// listenControls wires the drawing's menus and the fault bar.
func (a *App) listenControls() error {
	var errs []error
	svg := a.topo.SVG()
	openFor := func(ev dom.Event) bool {
		t := ev.Target()
		s := a.lab.Snapshot()
		if g, ok := t.Closest("[data-node]"); ok {
			name, _, _ := g.Attr("data-node")
			a.openMenu("Storage node "+name, a.nodeItems(&s, name), g)
			return true
		}
		if g, ok := t.Closest("[data-inst]"); ok {
			name, _, _ := g.Attr("data-inst")
			a.openMenu("Instance "+name, a.instItems(&s, name), g)
			return true
		}
		if g, ok := t.Closest(".az-head"); ok {
			name, _, _ := g.Attr("data-az")
			a.openMenu("AZ "+name, a.azItems(&s, name), g)
			return true
		}
		return false
	}
	_, err := svg.On("click", func(ev dom.Event) { openFor(ev) })
	errs = append(errs, err)
	_, err = svg.On("keydown", func(ev dom.Event) {
		if k := ev.Key(); k == "Enter" || k == " " {
			if openFor(ev) {
				ev.PreventDefault()
			}
		}
	})
	errs = append(errs, err)
	_, err = a.ui.menu.el.On("keydown", a.menuKey)
	errs = append(errs, err)
	_, err = a.doc.On("pointerdown", func(ev dom.Event) {
		if a.ui.menu.open && !a.ui.menu.el.Contains(ev.Target()) {
			a.closeMenu(false)
		}
	})
	errs = append(errs, err)
	errs = append(errs, a.ui.faults.listen(a))
	return errors.Join(errs...)
}

func writerOf(s *engine.Snapshot) string {
	if s.Volume.Writer != "" {
		return s.Volume.Writer
	}
	return "w1"
}

func otherAZs(s *engine.Snapshot, az string) []string {
	var out []string
	for _, z := range s.AZs {
		if z.Name != az {
			out = append(out, z.Name)
		}
	}
	return out
}

// nodeItems are the faults of storage node name.
func (a *App) nodeItems(s *engine.Snapshot, name string) []menuItem {
	var n *engine.NodeState
	for i := range s.Nodes {
		if s.Nodes[i].Name == name {
			n = &s.Nodes[i]
		}
	}
	if n == nil {
		return nil
	}
	var items []menuItem
	if n.Up {
		items = append(items, menuItem{"Crash it", `\crash ` + name})
	} else {
		items = append(items, menuItem{"Restart it", `\restart ` + name})
	}
	if n.Slow > 0 {
		items = append(items, menuItem{"Make it fast again", `\slow ` + name + ` 0`})
	} else {
		items = append(items, menuItem{"Make it slow (+5 ms a message and a disk write)", `\slow ` + name + ` 5ms`})
	}
	pg := uint32(0)
	for _, sg := range n.Segments {
		if pg == 0 || sg.PG == a.selPG {
			pg = sg.PG
		}
	}
	if pg != 0 {
		items = append(items, menuItem{fmt.Sprintf("Corrupt a record or page of its pg%d segment", pg), fmt.Sprintf(`\corrupt %s pg%d`, name, pg)})
	}
	items = append(items, menuItem{"Replace its segments (membership change)", `\replace ` + name})
	w := writerOf(s)
	items = append(items, menuItem{"Cut its links to the writer " + w, `\partition ` + name + " " + w})
	for _, z := range otherAZs(s, n.AZ) {
		items = append(items, menuItem{"Cut its links to AZ " + z, `\partition ` + name + " " + z})
	}
	items = append(items,
		menuItem{"Slow its link to " + w + " by 20 ms", `\latency ` + name + " " + w + " 20ms"},
		menuItem{"Lose 30% of its messages to " + w, `\loss ` + name + " " + w + " 30"},
		menuItem{"Heal its links", `\heal ` + name})
	return items
}

// instItems are the faults of instance name.
func (a *App) instItems(s *engine.Snapshot, name string) []menuItem {
	var in *engine.InstState
	for i := range s.Instances {
		if s.Instances[i].Name == name {
			in = &s.Instances[i]
		}
	}
	if in == nil {
		return nil
	}
	var items []menuItem
	if in.Up {
		items = append(items, menuItem{"Crash it", `\crash ` + name})
	} else {
		items = append(items, menuItem{"Restart it", `\restart ` + name})
	}
	if in.Role == "replica" && in.Up {
		items = append(items, menuItem{"Fail over: promote it to writer", `\failover ` + name})
	}
	for _, z := range s.AZs {
		items = append(items, menuItem{"Cut its links to AZ " + z.Name, `\partition ` + name + " " + z.Name})
	}
	items = append(items, menuItem{"Heal its links", `\heal ` + name})
	return items
}

// azItems are the faults of AZ name.
func (a *App) azItems(s *engine.Snapshot, name string) []menuItem {
	up, down := false, false
	for _, n := range s.Nodes {
		if n.AZ == name {
			if n.Up {
				up = true
			} else {
				down = true
			}
		}
	}
	var items []menuItem
	if up {
		items = append(items, menuItem{"Crash the whole AZ (every node and instance in it)", `\crash ` + name})
	}
	if down {
		items = append(items, menuItem{"Restart the whole AZ", `\restart ` + name})
	}
	for _, z := range otherAZs(s, name) {
		items = append(items, menuItem{"Cut its links to AZ " + z, `\partition ` + name + " " + z})
	}
	for _, z := range otherAZs(s, name) {
		items = append(items, menuItem{"Slow its links to AZ " + z + " by 20 ms", `\latency ` + name + " " + z + " 20ms"})
	}
	items = append(items, menuItem{"Heal its links", `\heal ` + name})
	return items
}

// ---------------------------------------------------------------- fault bar

// faultBar builds any fault command from lists of the cluster's names and
// shows the command before it runs.
type faultBar struct {
	el       dom.Element
	action   dom.Element
	a, b     dom.Element
	value    dom.Element
	valueLab dom.Element
	preview  dom.Element
	run      dom.Element
	heal     dom.Element
	names    string // the names the lists were built from
	doc      dom.Document
}

// faultSpecs describe the fault commands the bar builds: what A and B
// choose from ("" for none) and the value's default ("" for none).
var faultSpecs = []struct {
	name, label, a, b, value, valueLabel string
}{
	{"crash", "Crash", "any", "", "", ""},
	{"restart", "Restart", "any", "", "", ""},
	{"partition", "Partition", "any", "any", "", ""},
	{"latency", "Add latency", "any", "any", "20ms", "delay"},
	{"loss", "Lose messages", "any", "any", "30", "percent"},
	{"slow", "Slow node", "node", "", "5ms", "delay"},
	{"corrupt", "Corrupt", "node", "pg", "", ""},
	{"replace", "Replace segments", "node", "", "", ""},
	{"failover", "Fail over to", "replica", "", "", ""},
	{"heal", "Heal links of", "any", "", "", ""},
}

func newFaultBar(b *dom.Builder) *faultBar {
	f := &faultBar{el: b.El("form", "faults", ""), doc: b.Doc}
	b.Attr(f.el, "aria-label", "Faults")
	lab := func(text string, el dom.Element) dom.Element {
		l := b.El("label", "", text+" ")
		b.Add(l, el)
		return l
	}
	f.action = b.El("select", "", "")
	b.Attr(f.action, "name", "action")
	for _, sp := range faultSpecs {
		o := b.El("option", "", sp.label)
		b.Attr(o, "value", sp.name)
		b.Add(f.action, o)
	}
	f.a = b.El("select", "", "")
	b.Attr(f.a, "name", "a")
	f.b = b.El("select", "", "")
	b.Attr(f.b, "name", "b")
	f.value = b.El("input", "", "")
	b.Attr(f.value, "name", "value")
	b.Attr(f.value, "size", "6")
	b.Attr(f.value, "autocomplete", "off")
	f.valueLab = lab("value", f.value)
	f.preview = b.El("code", "preview", "")
	b.Attr(f.preview, "aria-live", "polite")
	f.run = b.El("button", "run", "Run")
	b.Attr(f.run, "type", "submit")
	f.heal = b.El("button", "", "Heal all links")
	b.Attr(f.heal, "type", "button")
	b.Attr(f.heal, "data-cmd", `\heal`)
	b.Add(f.el, b.El("span", "faults-title", "Fault"), lab("action", f.action), lab("on", f.a), lab("and", f.b), f.valueLab, f.preview, f.run, f.heal)
	return f
}

func (f *faultBar) spec() int {
	v, _ := f.action.PropString("value")
	for i, sp := range faultSpecs {
		if sp.name == v {
			return i
		}
	}
	return 0
}

// command returns the command the bar would run.
func (f *faultBar) command() string {
	sp := faultSpecs[f.spec()]
	parts := []string{`\` + sp.name}
	if sp.a != "" {
		v, _ := f.a.PropString("value")
		parts = append(parts, v)
	}
	if sp.b != "" {
		v, _ := f.b.PropString("value")
		if v != "" {
			parts = append(parts, v)
		}
	}
	if sp.value != "" {
		v, _ := f.value.PropString("value")
		parts = append(parts, strings.TrimSpace(v))
	}
	return strings.Join(parts, " ")
}

func (f *faultBar) options(sel dom.Element, names []string, keepEmpty bool) {
	old, _ := sel.PropString("value")
	bb := dom.NewBuilder(f.doc)
	var opts []dom.Element
	if keepEmpty {
		o := bb.El("option", "", "(first)")
		bb.Attr(o, "value", "")
		opts = append(opts, o)
	}
	for _, n := range names {
		o := bb.El("option", "", n)
		bb.Attr(o, "value", n)
		opts = append(opts, o)
	}
	_ = sel.ReplaceChildren(opts...)
	for _, n := range names {
		if n == old {
			_ = sel.SetProp("value", old)
		}
	}
}

// faultNames returns the names the bar's lists offer.
func faultNames(s *engine.Snapshot) map[string][]string {
	m := map[string][]string{}
	var azs, nodes, insts, replicas []string
	for _, z := range s.AZs {
		azs = append(azs, z.Name)
	}
	for _, n := range s.Nodes {
		nodes = append(nodes, n.Name)
	}
	for _, in := range s.Instances {
		insts = append(insts, in.Name)
		if in.Role == "replica" {
			replicas = append(replicas, in.Name)
		}
	}
	m["any"] = append(append(append([]string{}, azs...), nodes...), insts...)
	m["node"] = nodes
	m["replica"] = replicas
	var pgs []string
	for _, pg := range s.Volume.PGs {
		pgs = append(pgs, fmt.Sprintf("pg%d", pg.ID))
	}
	m["pg"] = pgs
	return m
}

// refresh rebuilds the lists for the chosen action.
func (f *faultBar) refresh(s *engine.Snapshot, force bool) {
	names := faultNames(s)
	sp := faultSpecs[f.spec()]
	key := sp.name + "|" + strings.Join(names["any"], ",") + "|" + strings.Join(names["replica"], ",") + "|" + fmt.Sprint(len(names["pg"]))
	if key != f.names || force {
		f.names = key
		f.options(f.a, names[sp.a], false)
		f.options(f.b, names[sp.b], sp.name == "corrupt")
		_ = f.b.SetProp("disabled", sp.b == "")
		_ = f.a.SetProp("disabled", sp.a == "")
		_ = f.valueLab.SetProp("hidden", sp.value == "")
		if v, _ := f.value.PropString("value"); v == "" || force {
			_ = f.value.SetProp("value", sp.value)
		}
		_ = f.preview.SetText(f.command())
	}
}

func (f *faultBar) listen(a *App) error {
	var errs []error
	on := func(e dom.Element, typ string, fn func(dom.Event)) {
		_, err := e.On(typ, fn)
		errs = append(errs, err)
	}
	on(f.action, "change", func(dom.Event) {
		s := a.lab.Snapshot()
		f.refresh(&s, true)
	})
	for _, e := range []dom.Element{f.a, f.b, f.value} {
		on(e, "input", func(dom.Event) { _ = f.preview.SetText(f.command()) })
		on(e, "change", func(dom.Event) { _ = f.preview.SetText(f.command()) })
	}
	on(f.el, "submit", func(ev dom.Event) {
		ev.PreventDefault()
		a.control(f.command())
	})
	on(f.heal, "click", func(dom.Event) { a.control(`\heal`) })
	return errors.Join(errs...)
}

// renderFaults keeps the fault bar's lists in step with the cluster.
func (u *ui) renderFaults(a *App, s *engine.Snapshot) {
	u.faults.refresh(s, false)
}
