//go:build js && wasm

package app

import (
	"errors"
	"fmt"
	"strconv"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
	"aurora-lab/wasm/internal/store"
	"aurora-lab/wasm/internal/view"
)

// ui holds the page's fixed elements.
type ui struct {
	play, step, reset dom.Element
	speed, speedOut   dom.Element
	dialog            dom.Element
	banner            dom.Element
	clock, events     dom.Element
	flight, runState  dom.Element
	saved             dom.Element
	topoHost          dom.Element
	consoles          dom.Element
	live              dom.Element

	last struct {
		banner, clock, events, flight, runState, saved, play string
		speed                                                int
	}
}

// build creates the page inside the root.
func (a *App) build() error {
	b := dom.NewBuilder(a.doc)
	u := &ui{}
	a.ui = u
	u.last.speed = -1

	top := b.El("header", "top", "")
	brand := b.El("div", "brand", "")
	b.Add(brand, b.El("h1", "", "Aurora Lab"), b.El("p", "tagline", "Amazon Aurora's quorum storage, simulated step by step"))

	controls := b.El("div", "controls", "")
	b.Attr(controls, "role", "toolbar")
	b.Attr(controls, "aria-label", "Simulated time")
	u.play = b.El("button", "play", "")
	b.Attr(u.play, "type", "button")
	u.step = b.El("button", "step", "Step ▸")
	b.Attr(u.step, "type", "button")
	b.Attr(u.step, "aria-label", "Step: pause and process exactly one event")
	b.Attr(u.step, "title", "Pause and process exactly one event")
	speed := b.El("div", "speed", "")
	speedLabel := b.El("label", "", "Speed")
	b.Attr(speedLabel, "for", "speed")
	u.speed = b.El("input", "", "")
	for _, kv := range [][2]string{{"type", "range"}, {"id", "speed"}, {"min", "0"}, {"max", strconv.Itoa(len(Speeds) - 1)}, {"step", "1"}} {
		b.Attr(u.speed, kv[0], kv[1])
	}
	u.speedOut = b.El("output", "", "")
	b.Attr(u.speedOut, "for", "speed")
	b.Add(speed, speedLabel, u.speed, u.speedOut)
	u.reset = b.El("button", "reset", "Reset…")
	b.Attr(u.reset, "type", "button")
	b.Attr(u.reset, "aria-haspopup", "dialog")
	b.Add(controls, u.play, u.step, speed, u.reset)
	b.Add(top, brand, controls)

	u.banner = b.El("p", "banner", "")
	b.Attr(u.banner, "role", "alert")
	b.Keep(u.banner.SetProp("hidden", true))

	status := b.El("div", "statusbar", "")
	b.Attr(status, "aria-label", "Model status")
	u.clock = b.El("span", "clock", "")
	u.events = b.El("span", "", "")
	u.flight = b.El("span", "", "")
	u.runState = b.El("span", "run-state", "")
	u.saved = b.El("span", "saved", "")
	b.Add(status, u.clock, u.events, u.flight, u.runState, u.saved)

	grid := b.El("main", "grid", "")
	topoPanel, topoBody := panel(b, "topology", "Cluster")
	u.topoHost = b.El("div", "topo-host", "")
	b.Add(topoBody, u.topoHost, legend(b))
	volPanel, volHost := panel(b, "volume", "Volume")
	conPanel, conBody := panel(b, "consoles", "Consoles")
	u.consoles = b.El("div", "console-list", "")
	hint := b.El("p", "hint", "Each console runs SQL on its instance, and meta-commands (\\? lists them). Enter runs a complete input; Shift+Enter adds a line; ↑ and ↓ recall earlier inputs.")
	b.Attr(hint, "id", "console-hint")
	b.Add(conBody, hint, u.consoles)
	logPanel, logHost := panel(b, "log", "Event log")
	b.Add(grid, topoPanel, conPanel, volPanel, logPanel)

	u.live = b.El("div", "visually-hidden", "")
	b.Attr(u.live, "role", "status")
	b.Attr(u.live, "aria-live", "polite")

	u.dialog = resetDialog(b)
	if b.Err() != nil {
		return b.Err()
	}
	if err := a.root.ReplaceChildren(top, u.banner, status, grid, u.live, u.dialog); err != nil {
		return err
	}

	var err error
	if a.topo, err = view.NewTopology(a.doc, u.topoHost); err != nil {
		return err
	}
	if a.vol, err = view.NewVolume(a.doc, volHost); err != nil {
		return err
	}
	if a.events, err = view.NewEventLog(a.doc, logHost); err != nil {
		return err
	}
	// The instances' consoles first, in the snapshot's order.
	for _, in := range a.lab.Snapshot().Instances {
		a.console(in.Name)
	}
	return a.listen()
}

// panel returns a titled section and the element its content goes in.
func panel(b *dom.Builder, key, title string) (section, body dom.Element) {
	section = b.El("section", "panel panel-"+key, "")
	b.Attr(section, "aria-labelledby", "h-"+key)
	h := b.El("h2", "", title)
	b.Attr(h, "id", "h-"+key)
	body = b.El("div", "panel-body", "")
	b.Add(section, h, body)
	return section, body
}

// legend explains the message shapes and the states.
func legend(b *dom.Builder) dom.Element {
	l := b.El("ul", "legend", "")
	b.Attr(l, "aria-label", "Legend")
	for _, it := range []struct{ kind, text string }{
		{"write", "redo records (write)"}, {"write-ack", "acknowledgement"},
		{"gossip", "gossip"}, {"read", "read"}, {"log-stream", "log stream (to replicas and other writers)"},
	} {
		li := b.El("li", "", "")
		svg := b.SVG("svg", "width", "16", "height", "16", "viewBox", "-8 -8 16 16", "aria-hidden", "true")
		class, shape := view.MessageShape(it.kind)
		b.Add(svg, b.SVG("path", "class", "msg "+class, "d", shape))
		b.Add(li, svg, b.El("span", "", it.text))
		b.Add(l, li)
	}
	b.Add(l, b.El("li", "", "✓ up · ✕ down"))
	return l
}

func resetDialog(b *dom.Builder) dom.Element {
	d := b.El("dialog", "reset-dialog", "")
	b.Attr(d, "aria-labelledby", "reset-title")
	form := b.El("form", "", "")
	b.Attr(form, "method", "dialog")
	h := b.El("h2", "", "Reset the lab?")
	b.Attr(h, "id", "reset-title")
	p := b.El("p", "", "This replaces the cluster with a new default one and clears the state saved in this browser: the command log, the outputs and the simulated time. It cannot be undone.")
	buttons := b.El("div", "buttons", "")
	cancel := b.El("button", "", "Cancel")
	b.Attr(cancel, "value", "cancel")
	b.Attr(cancel, "autofocus", "")
	ok := b.El("button", "danger", "Reset")
	b.Attr(ok, "value", "reset")
	b.Add(buttons, cancel, ok)
	b.Add(form, h, p, buttons)
	b.Add(d, form)
	return d
}

// listen wires the controls. The handlers never block.
func (a *App) listen() error {
	u := a.ui
	var errs []error
	on := func(e dom.Element, typ string, fn func(dom.Event)) {
		_, err := e.On(typ, fn)
		errs = append(errs, err)
	}
	on(u.play, "click", func(dom.Event) {
		if a.playing {
			a.Pause()
			a.announce("Paused")
		} else {
			a.Play()
			a.announce("Running")
		}
	})
	on(u.step, "click", func(dom.Event) {
		if a.Step() {
			a.announce("Stepped one event, to " + a.lab.Now().String())
		} else {
			a.announce("Nothing left to happen")
		}
	})
	on(u.speed, "input", func(dom.Event) {
		v, _ := u.speed.PropString("value")
		if i, err := strconv.Atoi(v); err == nil {
			a.SetSpeed(i)
		}
	})
	on(u.reset, "click", func(dom.Event) {
		if _, err := u.dialog.Call("showModal"); err != nil {
			a.announce("Could not open the reset dialog: " + err.Error())
		}
	})
	on(u.dialog, "close", func(dom.Event) {
		if v, _ := u.dialog.PropString("returnValue"); v == "reset" {
			if err := a.Reset(nil); err != nil {
				dom.OnPanic("reset", err)
			}
		}
		_ = u.reset.Focus()
	})
	_, err := dom.Win().On("resize", func(dom.Event) { a.measure = true })
	errs = append(errs, err)
	_, err = dom.Win().On("pagehide", func(dom.Event) { a.flush(nil) })
	errs = append(errs, err)
	_, err = a.doc.On("visibilitychange", func(dom.Event) {
		if a.doc.Hidden() {
			a.flush(nil)
		}
	})
	errs = append(errs, err)
	return errors.Join(errs...)
}

func setText(e dom.Element, last *string, s string) {
	if *last != s {
		*last = s
		_ = e.SetText(s)
	}
}

// renderStatus shows time, counts and the saving state.
func (u *ui) renderStatus(a *App, s *engine.Snapshot) error {
	setText(u.clock, &u.last.clock, "t = "+s.Now.String())
	setText(u.events, &u.last.events, fmt.Sprintf("%d events · %d delivered · %d lost", s.Events, s.Delivered, s.Dropped))
	setText(u.flight, &u.last.flight, fmt.Sprintf("%d in flight", len(s.InFlight)))
	run := "❚❚ paused"
	switch {
	case a.playing && a.behind:
		run = "⚠ running behind: the model cannot keep up at this speed"
	case a.playing:
		run = "▶ running at " + Speeds[a.speed].Label + " per second"
	}
	setText(u.runState, &u.last.runState, run)

	play := "❚❚ Pause"
	if !a.playing {
		play = "▶ Play"
	}
	if play != u.last.play {
		u.last.play = play
		_ = u.play.SetText(play)
		label := "Pause simulated time"
		if !a.playing {
			label = "Play: let simulated time run"
		}
		_ = u.play.SetAttr("aria-label", label)
	}
	if a.speed != u.last.speed {
		u.last.speed = a.speed
		_ = u.speed.SetProp("value", strconv.Itoa(a.speed))
		text := Speeds[a.speed].Label + " per second"
		_ = u.speed.SetAttr("aria-valuetext", text)
		_ = u.speedOut.SetText(text)
	}

	st := a.pers.Status()
	saved := ""
	switch {
	case st.Err != nil && errors.Is(st.Err, store.ErrQuota):
		saved = "✖ not saved: the browser's storage is full (" + st.Err.Error() + ")"
	case st.Err != nil:
		saved = "✖ saving failed: " + st.Err.Error()
	case !st.Durable:
		saved = "in memory only: not saved"
	case st.Flushes == 0:
		saved = "saved in this browser"
	default:
		saved = fmt.Sprintf("✓ saved in this browser (%d input%s)", st.Entries, plural(st.Entries))
	}
	setText(u.saved, &u.last.saved, saved)
	if a.problem != u.last.banner {
		u.last.banner = a.problem
		_ = u.banner.SetText("⚠ " + a.problem)
		_ = u.banner.SetProp("hidden", a.problem == "")
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
