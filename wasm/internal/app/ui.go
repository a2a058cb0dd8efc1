//go:build js && wasm

package app

import (
	"errors"
	"fmt"
	"runtime/metrics"
	"strconv"
	"strings"

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
	bannerText        dom.Element
	takeOver          dom.Element
	clock, events     dom.Element
	flight, runState  dom.Element
	saved, restored   dom.Element
	topoHost          dom.Element
	volHost           dom.Element
	consoles          dom.Element
	live              dom.Element
	action            dom.Element
	menu              *menu
	faults            *faultBar
	guide             *guidePanel
	share             *shareDialog
	confirm           *confirmDialog
	shareBtn, keysBtn dom.Element
	keep              dom.Element
	openFull          dom.Element
	keys              dom.Element
	narration         dom.Element
	tables            dom.Element
	tablesSummary     dom.Element
	tablesBody        dom.Element

	restoreFrames int

	last struct {
		banner, clock, events, flight, runState, saved, restored, play string
		speed                                                          int
		takeOver, keep                                                 bool
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
	u.shareBtn = b.El("button", "share", "Share…")
	b.Attr(u.shareBtn, "type", "button")
	b.Attr(u.shareBtn, "aria-haspopup", "dialog")
	b.Attr(u.shareBtn, "aria-keyshortcuts", "s")
	b.Attr(u.shareBtn, "title", "Share a link to this run, export or import it, embed it")
	u.keysBtn = b.El("button", "keys-btn", "?")
	b.Attr(u.keysBtn, "type", "button")
	b.Attr(u.keysBtn, "aria-haspopup", "dialog")
	b.Attr(u.keysBtn, "aria-label", "Keyboard shortcuts")
	b.Attr(u.keysBtn, "aria-keyshortcuts", "?")
	b.Attr(u.keysBtn, "title", "Keyboard shortcuts (?)")
	b.Add(controls, u.play, u.step, speed, u.shareBtn, u.reset, u.keysBtn)
	if a.opts.Embed {
		// The embed's way to the full page, with this run.
		open := b.El("a", "open-full", "Open in Aurora Lab ↗")
		b.Attr(open, "href", "./")
		b.Attr(open, "target", "_blank")
		b.Attr(open, "rel", "noopener")
		b.Add(brand, open)
		u.openFull = open
	}
	b.Add(top, brand, controls)

	u.banner = b.El("div", "banner", "")
	b.Attr(u.banner, "role", "alert")
	u.bannerText = b.El("span", "", "")
	u.takeOver = b.El("button", "take-over", "Take over saving here")
	b.Attr(u.takeOver, "type", "button")
	b.Keep(u.takeOver.SetProp("hidden", true))
	u.keep = b.El("button", "keep", "Keep this run here")
	b.Attr(u.keep, "type", "button")
	b.Attr(u.keep, "title", "Make this run the lab saved in this browser, replacing what it saved")
	b.Keep(u.keep.SetProp("hidden", true))
	b.Add(u.banner, u.bannerText, u.takeOver, u.keep)
	b.Keep(u.banner.SetProp("hidden", true))

	status := b.El("div", "statusbar", "")
	b.Attr(status, "aria-label", "Model status")
	u.clock = b.El("span", "clock", "")
	u.events = b.El("span", "", "")
	u.flight = b.El("span", "", "")
	u.runState = b.El("span", "run-state", "")
	u.saved = b.El("span", "saved", "")
	b.Add(status, u.clock, u.events, u.flight, u.runState, u.saved)
	u.restored = b.El("p", "restored", "")
	u.narration = b.El("p", "narration", "")
	b.Attr(u.narration, "role", "status")
	b.Attr(u.narration, "aria-live", "polite")
	b.Attr(u.narration, "aria-label", "The model in words")

	grid := b.El("main", "grid", "")
	topoPanel, topoBody := panel(b, "topology", "Cluster")
	u.topoHost = b.El("div", "topo-host", "")
	u.faults = newFaultBar(b)
	u.action = b.El("p", "last-action", "")
	b.Attr(u.action, "aria-live", "polite")
	u.tables = b.El("details", "tables", "")
	u.tablesSummary = b.El("summary", "", "The cluster as tables")
	b.Attr(u.tablesSummary, "aria-keyshortcuts", "t")
	u.tablesBody = b.El("div", "tables-body", "")
	b.Add(u.tables, u.tablesSummary, u.tablesBody)
	b.Add(topoBody, u.faults.el, u.action, u.topoHost, legend(b), u.tables)
	volPanel, volHost := panel(b, "volume", "Volume and protection groups")
	u.volHost = volHost
	conPanel, conBody := panel(b, "consoles", "Consoles")
	u.consoles = b.El("div", "console-list", "")
	hint := b.El("p", "hint", "Each console runs SQL on its instance, and meta-commands (\\? lists them). Enter runs a complete input; Shift+Enter adds a line; ↑ and ↓ recall earlier inputs. Results show once the flush that makes them durable in this browser has committed.")
	b.Attr(hint, "id", "console-hint")
	b.Add(conBody, hint, u.consoles)
	checkPanel, checkHost := panel(b, "checks", "Invariants")
	cmdPanel, cmdHost := panel(b, "commands", "Command log")
	b.Add(cmdHost, b.El("p", "hint", "Every input, typed or clicked, in the console language: this log is what the page saves and replays."))
	logPanel, logHost := panel(b, "log", "Event log")
	u.guide = newGuidePanel(b)
	b.Add(grid, u.guide.sec, topoPanel, conPanel, volPanel, checkPanel, cmdPanel, logPanel)

	u.live = b.El("div", "visually-hidden", "")
	b.Attr(u.live, "role", "status")
	b.Attr(u.live, "aria-live", "polite")

	u.dialog = resetDialog(b)
	u.share = newShareDialog(b)
	u.confirm = newConfirmDialog(b)
	u.keys = keysDialog(b)
	u.menu = newMenu(b)
	if b.Err() != nil {
		return b.Err()
	}
	if err := a.root.ReplaceChildren(top, u.banner, status, u.narration, u.restored, grid, u.live, u.dialog, u.share.el, u.confirm.el, u.keys); err != nil {
		return err
	}
	if a.opts.Embed {
		if html, err := a.doc.Root(); err == nil {
			_ = html.SetClass("embed", true)
		}
	}
	if err := topoBody.Append(u.menu.el); err != nil {
		return err
	}

	var err error
	if a.topo, err = view.NewTopology(a.doc, u.topoHost); err != nil {
		return err
	}
	if a.vol, err = view.NewVolume(a.doc, volHost); err != nil {
		return err
	}
	a.vol.OnSelect = func(pg uint32) { a.selPG = pg }
	if a.checks, err = view.NewInvariants(a.doc, checkHost); err != nil {
		return err
	}
	if a.cmds, err = view.NewCommandLog(a.doc, cmdHost); err != nil {
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

// heading returns a heading element (tag h2, h3, ...) with the given id
// and text, and names el after it for assistive technology.
func heading(b *dom.Builder, el dom.Element, tag, id, text string) dom.Element {
	b.Attr(el, "aria-labelledby", id)
	h := b.El(tag, "", text)
	b.Attr(h, "id", id)
	return h
}

// panel returns a titled section and the element its content goes in.
func panel(b *dom.Builder, key, title string) (section, body dom.Element) {
	section = b.El("section", "panel panel-"+key, "")
	h := heading(b, section, "h2", "h-"+key, title)
	body = b.El("div", "panel-body", "")
	b.Add(section, h, body)
	return section, body
}

// legend explains the message shapes, the segment marks and the states.
func legend(b *dom.Builder) dom.Element {
	l := b.El("ul", "legend", "")
	b.Attr(l, "aria-label", "Legend")
	for _, it := range []struct{ kind, text string }{
		{"write", "redo records"}, {"write-ack", "ack"}, {"write-reject", "refused"},
		{"gossip", "gossip"}, {"read", "read"}, {"log-stream", "log stream, staging"},
		{"heartbeat", "heartbeat"}, {"control", "control plane"},
	} {
		li := b.El("li", "", "")
		svg := b.SVG("svg", "width", "16", "height", "16", "viewBox", "-8 -8 16 16", "aria-hidden", "true")
		class, shape := view.MessageShape(it.kind)
		b.Add(svg, b.SVG("path", "class", "msg "+class, "d", shape))
		b.Add(li, svg, b.El("span", "", it.text))
		b.Add(l, li)
	}
	b.Add(l, b.El("li", "", "segments: solid = full, dashed = tail · ◔ filling · ⚠ corrupt · ◌ gap"))
	b.Add(l, b.El("li", "", "✓ up · ✕ down · ✂ cut link"))
	return l
}

func resetDialog(b *dom.Builder) dom.Element {
	d := b.El("dialog", "reset-dialog", "")
	form := b.El("form", "", "")
	b.Attr(form, "method", "dialog")
	h := heading(b, d, "h2", "reset-title", "Reset the lab?")
	p := b.El("p", "", "This replaces the cluster with a new default one and clears the state saved in this browser: the command log, the outputs, the saved disks and the simulated time. It cannot be undone.")
	buttons := b.El("div", "buttons", "")
	cancel := b.El("button", "", "Cancel")
	b.Attr(cancel, "value", "cancel")
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
	on(u.step, "click", func(dom.Event) { a.stepOnce() })
	on(u.keysBtn, "click", func(dom.Event) { a.showKeys() })
	if u.openFull.Valid() {
		// The link carries the run as it is when it is followed.
		for _, typ := range []string{"focus", "pointerdown", "click"} {
			on(u.openFull, typ, func(dom.Event) { _ = u.openFull.SetProp("href", a.ShareLink()) })
		}
	}
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
	on(u.takeOver, "click", func(dom.Event) { a.TakeOver() })
	errs = append(errs, a.listenControls(), a.listenGuide(), a.listenShare())
	on(u.tables, "toggle", func(dom.Event) {
		a.narr.tables, a.narr.tabAt = "", 0
		s := a.lab.Snapshot()
		if err := a.narrate(&s); err != nil {
			dom.OnPanic("the tables", err)
		}
	})
	for _, typ := range []string{"keydown", "keyup"} {
		_, err := a.doc.On(typ, a.onKey)
		errs = append(errs, err)
	}
	a.reduced = dom.MediaQuery("(prefers-reduced-motion: reduce)", func(on bool) { a.reduced = on; a.measure = true })
	go a.guide.loadList()
	_, err := dom.Win().On("resize", func(dom.Event) { a.measure = true })
	errs = append(errs, err)
	_, err = dom.Win().On("pagehide", func(dom.Event) { a.flushAtOnce() })
	errs = append(errs, err)
	_, err = a.doc.On("visibilitychange", func(dom.Event) {
		if a.doc.Hidden() {
			a.flushAtOnce()
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

// lastAction shows the outcome of the latest command the controls
// submitted, near the controls.
func (u *ui) lastAction(input, text string, failed bool) {
	mark := "✓ "
	if failed {
		mark = "✕ "
	}
	_ = u.action.SetText(mark + strings.TrimSpace(input) + " → " + firstLine(text))
	_ = u.action.SetClass("failed", failed)
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
	_, outs := a.lab.Outputs(0)
	waiting := int64(outs) - int64(st.Released)
	saved := ""
	switch {
	case st.Err != nil && errors.Is(st.Err, store.ErrQuota):
		saved = "✖ not saved: the browser's storage is full (" + st.Err.Error() + ")"
	case st.Err != nil:
		saved = "✖ saving failed: " + st.Err.Error()
	case a.lockState == lockOther || a.lockState == lockLost:
		saved = "in memory only: another tab saves this lab"
	case !st.Durable:
		saved = "in memory only: not saved"
	case st.Flushes == 0:
		saved = "✓ saved in this browser"
	default:
		saved = fmt.Sprintf("✓ saved in this browser (%d input%s)", st.Entries, plural(st.Entries))
	}
	if waiting > 0 {
		saved += fmt.Sprintf(" · %d result%s waiting for the disk", waiting, plural(int(waiting)))
	}
	if a.restoring != nil {
		saved = "restoring the saved session…"
	}
	if st.Checkpoint != nil {
		saved += fmt.Sprintf(" · disks checkpointed at t = %v", st.Checkpoint.Mark.At)
	}
	setText(u.saved, &u.last.saved, saved)
	setText(u.restored, &u.last.restored, a.restored)
	problem := a.problem
	if st.Err != nil && problem == "" {
		if errors.Is(st.Err, store.ErrQuota) {
			problem = "Not saving: the browser's storage quota is exhausted. The model goes on in memory; what was saved before is kept. Free space (or Reset) and the next flush tries again."
		} else {
			problem = "Saving failed: " + st.Err.Error() + ". The model goes on in memory; the next flush tries again."
		}
	}
	if problem != u.last.banner {
		u.last.banner = problem
		_ = u.bannerText.SetText("⚠ " + problem)
		_ = u.banner.SetProp("hidden", problem == "")
	}
	take := (a.lockState == lockOther || a.lockState == lockLost) && !a.takingOver
	if take != u.last.takeOver {
		u.last.takeOver = take
		_ = u.takeOver.SetProp("hidden", !take)
	}
	keep := a.shared && a.real != nil
	if keep != u.last.keep {
		u.last.keep = keep
		_ = u.keep.SetProp("hidden", !keep)
	}
	return nil
}

// renderRestoring shows the restore's progress, and the replay as it
// stands every few frames.
func (u *ui) renderRestoring(a *App) {
	text := a.restoreProgress()
	if text != u.last.banner {
		u.last.banner = text
		_ = u.bannerText.SetText("⟳ " + text)
		_ = u.banner.SetProp("hidden", false)
	}
	u.restoreFrames++
	if u.restoreFrames%15 == 0 {
		s := a.lab.Snapshot()
		_ = a.topo.Render(&s, a.lab.Links(), a.width)
		_ = u.renderStatus(a, &s)
		_ = u.bannerText.SetText("⟳ " + text)
		_ = u.banner.SetProp("hidden", false)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// ---------------------------------------------------------------- perf

// frameSample is what one animation frame cost.
type frameSample struct {
	interval float64 // wall ms since the previous frame
	sim      float64 // wall ms spent advancing the model
	save     float64 // wall ms spent on the checkpoint's share and the flush hand-off
	total    float64 // wall ms of the frame's work (model, checkpoint, flush, DOM)
	events   int
	phases   [phCount]float64
	gcs      uint64 // garbage collections so far
	heap     uint64 // the heap goal: the size the next collection is due at
}

// gcCount reads how many garbage collections have run, and the heap size
// the next one is due at.
func gcCount() (cycles, heap uint64) {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		cycles = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		heap = s[1].Value.Uint64()
	}
	return cycles, heap
}

// perfLog keeps the recent frames, for auroraLab.perf().
type perfLog struct {
	frames []frameSample
}

const maxFrames = 4000

func (p *perfLog) add(f frameSample) {
	if len(p.frames) >= maxFrames {
		p.frames = append(p.frames[:0:0], p.frames[maxFrames/2:]...)
	}
	p.frames = append(p.frames, f)
}
