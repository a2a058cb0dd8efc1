//go:build js && wasm

package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
	"aurora-lab/wasm/internal/share"
)

// Guided scenarios. A scenario is a console-language file under
// web/scenarios; starting one replaces the cluster with a new default one
// and submits the file on the console "scenario", as one input of the
// command log, so it is saved, replayed and shared like anything typed.
// The engine runs it as it runs any script; its narration (\title, \step,
// \highlight, \try) comes back as outputs of kind guide, which this file
// shows in the guide panel, and whose targets the drawing lights up.
//
// The page stops time when the scenario reaches a \step, so a person can
// read it: "Next step" lets time run to the following one, "Skip ahead"
// runs the model as fast as it can to it. Stopping never changes the run:
// the whole scenario is queued from the start, and a pause is not an input.

// scenarioEntry is one scenario of web/scenarios/index.json.
type scenarioEntry struct {
	Name  string `json:"name"`
	Title string `json:"title"`
}

// guide is the state of the guided scenario the model runs, as far as
// the page has shown it. It is rebuilt from the command log and the
// outputs, so a reload or a shared link brings it back.
type guide struct {
	active  bool
	name    string       // the scenario's name; "" for a script from a link or a file
	outline engine.Guide // read from its input
	step    int          // steps shown so far
	tried   bool         // the closing \try shown
	try     string
	targets []string        // what the current step points at
	lit     map[string]bool // the same, as a set for the drawing
	version int             // changes whenever the panel must be drawn again
	drawn   int

	// queue holds narration not shown yet: a step the scenario reached
	// at the same instant as the one shown waits for "Next" all the same.
	queue   []engine.Output
	allowed int    // the steps the person has asked to see
	scan    uint64 // outputs looked at for stopping (shown or not)
	ffwd    bool   // running as fast as possible to the next step
	// free says time runs on through steps instead of stopping at each.
	free bool

	mu      sync.Mutex
	list    []scenarioEntry // from index.json
	listErr error
	listNew bool
	texts   map[string]string // scenario files fetched
}

// follow starts following lab: its scenario, if its log begins with one.
func (g *guide) follow(lab *engine.Lab) {
	g.active, g.name, g.outline, g.step, g.tried, g.try = false, "", engine.Guide{}, 0, false, ""
	g.targets, g.lit, g.ffwd = nil, nil, false
	g.queue, g.allowed = nil, 1
	_, g.scan = lab.Outputs(0)
	g.version++
	log := lab.Log()
	if len(log) == 0 || log[0].Console != share.ScenarioConsole {
		return
	}
	out, err := engine.GuideOutline(log[0].Text)
	if err != nil {
		return
	}
	g.active, g.outline = true, out
	g.name, _ = share.ScenarioOf(log[0].Text)
	// The outputs emitted while the input was submitted (the title and
	// the first step, at time zero) are not a reason to stop. The steps
	// reached so far (a restored or shared run) are shown.
	outs, next := lab.Outputs(0)
	g.scan, g.allowed = next, 0
	for i := range outs {
		if o := &outs[i]; o.Kind == engine.OutGuide && o.Console == share.ScenarioConsole && (o.Guide == "step" || o.Guide == "try") {
			g.allowed++
		}
	}
	g.allowed = max(g.allowed, 1)
}

// take queues a narration output to show, shows what the person has
// asked to see, and returns what the live region says.
func (g *guide) take(o *engine.Output) string {
	if !g.active || o.Console != share.ScenarioConsole {
		return ""
	}
	g.queue = append(g.queue, *o)
	return g.drain()
}

// drain shows the queued narration up to the steps allowed.
func (g *guide) drain() string {
	said := ""
	for len(g.queue) > 0 {
		o := &g.queue[0]
		if (o.Guide == "step" || o.Guide == "try") && g.step >= g.allowed && !g.free {
			break
		}
		if s := g.show(o); s != "" {
			said = s
		}
		g.queue = g.queue[1:]
	}
	return said
}

// waiting reports whether a step the scenario has reached is not shown.
func (g *guide) waiting() bool {
	for _, o := range g.queue {
		if o.Guide == "step" || o.Guide == "try" {
			return true
		}
	}
	return false
}

// show shows one narration output.
func (g *guide) show(o *engine.Output) string {
	g.version++
	switch o.Guide {
	case "step":
		g.step++
		g.targets, g.lit = nil, nil
		return fmt.Sprintf("Step %d of %d: %s", g.step, len(g.outline.Steps), o.Text)
	case "highlight":
		g.targets = o.Targets
		g.lit = map[string]bool{}
		for _, t := range o.Targets {
			g.lit[t] = true
		}
		return "Look at: " + strings.Join(o.Targets, ", ")
	case "try":
		g.tried, g.try = true, o.Text
		g.targets, g.lit = nil, nil
		return "Scenario complete. Now you try: " + o.Text
	}
	return ""
}

// stopHere reports whether time should stop now: the scenario has just
// reached a \step or its \try (in lab's outputs, shown or not yet).
func (g *guide) stopHere(lab *engine.Lab) bool {
	if !g.active {
		return false
	}
	outs, next := lab.Outputs(g.scan)
	g.scan = next
	for i := range outs {
		o := &outs[i]
		if o.Kind == engine.OutGuide && o.Console == share.ScenarioConsole && (o.Guide == "step" || o.Guide == "try") {
			if o.Guide == "try" || !g.free || g.ffwd {
				g.ffwd = false
				return true
			}
		}
	}
	return false
}

// ffwdBudgetMS is the wall time a frame gives a skip ahead.
const ffwdBudgetMS = 20

// ffwdMax bounds the simulated time one skip ahead may cover.
const ffwdMax = 120 * engine.Second

// fastForward runs the model as fast as a frame allows until the scenario
// reaches its next step, checking the invariants after every event.
func (a *App) fastForward() int {
	g := &a.guide
	deadline := dom.Now() + ffwdBudgetMS
	start := a.lab.Now()
	for i := 1; ; i++ {
		if !a.lab.Step() {
			g.ffwd, a.playing = false, false
			a.announce("Nothing left to happen.")
			return i - 1
		}
		a.watch.Observe(a.lab)
		if g.stopHere(a.lab) {
			a.playing, a.carry = false, 0
			a.flush(nil)
			return i
		}
		if !a.lab.Pending(share.ScenarioConsole) || a.lab.Now()-start > ffwdMax {
			g.ffwd, a.playing = false, false
			return i
		}
		if i%16 == 0 && dom.Now() > deadline {
			return i
		}
	}
}

// Next shows the scenario's next step: at once when the scenario has
// reached it already, else by letting time run to it.
func (a *App) Next() {
	g := &a.guide
	if !g.active || g.tried {
		a.Play()
		return
	}
	g.allowed = max(g.allowed, g.step) + 1
	if g.waiting() {
		a.announce(g.drain())
		return
	}
	g.ffwd = false
	a.Play()
	a.announce("Running to the next step…")
}

// SkipAhead runs the model as fast as it can to the scenario's next step
// (or shows it, when the scenario has reached it already).
func (a *App) SkipAhead() {
	g := &a.guide
	if !g.active || g.tried {
		return
	}
	g.allowed = max(g.allowed, g.step) + 1
	if g.waiting() {
		a.announce(g.drain())
		return
	}
	if !a.lab.Pending(share.ScenarioConsole) {
		return
	}
	g.ffwd = true
	a.playing = true
	a.announce("Skipping ahead to the next step…")
}

// hasWork reports whether the model holds inputs a person made (anything
// but a scenario's own input), which starting another run would replace.
func (a *App) hasWork() bool {
	for _, e := range a.lab.Log() {
		if e.Console != share.ScenarioConsole {
			return true
		}
	}
	return false
}

// StartScenario replaces the model with scenario name (or, for "", a new
// default cluster: free play). It fetches the file when the page has not
// yet, so it never blocks; done hears the outcome.
func (a *App) StartScenario(name string, done func(error)) {
	if a.restoring != nil {
		done(errRestoring)
		return
	}
	if name == "" {
		done(a.replaceRun(&share.Run{Config: engine.DefaultConfig()}, "Free play: a new default cluster.", nil))
		return
	}
	if !share.ValidName(name) {
		done(fmt.Errorf("no scenario called %q", name))
		return
	}
	if src, ok := a.guide.text(name); ok {
		done(a.startScript(name, src))
		return
	}
	go func() {
		src, err := a.guide.fetch(name)
		dom.OnLoop(func() {
			if err == nil {
				err = a.startScript(name, src)
			}
			done(err)
		})
	}()
}

// startScript starts src as a guided run: scenario name's file, or a
// script (name "").
func (a *App) startScript(name, src string) error {
	if _, err := engine.GuideOutline(src); err != nil {
		return fmt.Errorf("the scenario does not parse: %w", err)
	}
	text := src
	if name != "" {
		text = share.ScenarioInput(name, src)
	}
	run := &share.Run{Config: engine.DefaultConfig(), Log: []engine.Entry{{Console: share.ScenarioConsole, Text: text}}}
	title := name
	if out, _ := engine.GuideOutline(src); out.Title != "" {
		title = out.Title
	}
	if err := a.replaceRun(run, "Started: "+title+".", nil); err != nil {
		return err
	}
	a.playing = a.guide.free
	return nil
}

// text returns scenario name's file if the page has it.
func (g *guide) text(name string) (string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.texts[name]
	return s, ok
}

// fetch gets scenario name's file from the server. It blocks.
func (g *guide) fetch(name string) (string, error) {
	src, err := dom.FetchText("scenarios/" + name + ".aurora")
	if err != nil {
		return "", fmt.Errorf("scenario %q: %w", name, err)
	}
	g.mu.Lock()
	if g.texts == nil {
		g.texts = map[string]string{}
	}
	g.texts[name] = src
	g.mu.Unlock()
	return src, nil
}

// loadList fetches the list of scenarios. It blocks.
func (g *guide) loadList() {
	raw, err := dom.FetchText("scenarios/index.json")
	var list []scenarioEntry
	if err == nil {
		if jerr := json.Unmarshal([]byte(raw), &list); jerr != nil {
			err = fmt.Errorf("scenarios/index.json: %w", jerr)
		}
	}
	g.mu.Lock()
	g.list, g.listErr, g.listNew = list, err, true
	g.mu.Unlock()
}

// ---------------------------------------------------------------- panel

// guidePanel is the guide's part of the page.
type guidePanel struct {
	sec      dom.Element
	now      dom.Element // the scenario in progress
	kicker   dom.Element
	title    dom.Element
	intro    dom.Element
	steps    dom.Element
	look     dom.Element
	try      dom.Element
	next     dom.Element
	skip     dom.Element
	free     dom.Element
	leave    dom.Element
	pick     dom.Element
	list     dom.Element
	listNote dom.Element
	buttons  []dom.Element
}

func newGuidePanel(b *dom.Builder) *guidePanel {
	p := &guidePanel{}
	var body dom.Element
	p.sec, body = panel(b, "guide", "Guided scenarios")
	p.now = b.El("div", "guide-now", "")
	b.Keep(p.now.SetProp("hidden", true))
	p.kicker = b.El("p", "guide-kicker", "")
	p.title = b.El("h3", "guide-title", "")
	b.Attr(p.title, "id", "guide-title")
	b.Attr(p.title, "tabindex", "-1")
	p.intro = b.El("p", "guide-intro", "")
	p.steps = b.El("ol", "guide-steps", "")
	b.Attr(p.steps, "aria-label", "Steps so far")
	p.look = b.El("p", "guide-look", "")
	p.try = b.El("p", "guide-try", "")
	b.Keep(p.try.SetProp("hidden", true))
	bar := b.El("div", "guide-buttons", "")
	p.next = b.El("button", "guide-next", "Next step ▸")
	b.Attr(p.next, "type", "button")
	b.Attr(p.next, "aria-keyshortcuts", "n")
	p.skip = b.El("button", "guide-skip", "Skip ahead ⏭")
	b.Attr(p.skip, "type", "button")
	b.Attr(p.skip, "aria-keyshortcuts", "f")
	b.Attr(p.skip, "title", "Run the model as fast as it can to the next step")
	freeLabel := b.El("label", "guide-free", "")
	p.free = b.El("input", "", "")
	b.Attr(p.free, "type", "checkbox")
	b.Add(freeLabel, p.free, b.El("span", "", " Let time run on through the steps"))
	p.leave = b.El("button", "guide-leave", "Leave the scenario")
	b.Attr(p.leave, "type", "button")
	b.Attr(p.leave, "title", "Stop the narration; the cluster stays as it is")
	b.Add(bar, p.next, p.skip, freeLabel, p.leave)
	b.Add(p.now, p.kicker, p.title, p.intro, p.steps, p.look, p.try, bar)

	p.pick = b.El("div", "guide-pick", "")
	hint := b.El("p", "hint", "Each scenario narrates one mechanism in a few steps and stops at each step; then it is yours to play with. Starting one replaces the cluster.")
	p.list = b.El("ul", "scenario-list", "")
	b.Attr(p.list, "aria-label", "Guided scenarios")
	p.listNote = b.El("p", "hint", "Loading the scenarios…")
	b.Add(p.pick, hint, p.list, p.listNote)
	b.Add(body, p.now, p.pick)
	return p
}

// listenGuide wires the guide panel.
func (a *App) listenGuide() error {
	p := a.ui.guide
	var errs []error
	on := func(e dom.Element, typ string, fn func(dom.Event)) {
		_, err := e.On(typ, fn)
		errs = append(errs, err)
	}
	on(p.next, "click", func(dom.Event) { a.Next() })
	on(p.skip, "click", func(dom.Event) { a.SkipAhead() })
	on(p.free, "change", func(dom.Event) {
		a.guide.free = p.free.JS().Get("checked").Truthy()
		a.guide.version++
		if a.guide.free {
			a.announce(a.guide.drain())
			a.Play()
		}
	})
	on(p.leave, "click", func(dom.Event) { a.leaveGuide() })
	on(p.list, "click", func(ev dom.Event) {
		btn, ok := ev.Target().Closest("button[data-scenario]")
		if !ok {
			return
		}
		name, _, _ := btn.Attr("data-scenario")
		a.askToStart(name)
	})
	return errors.Join(errs...)
}

// leaveGuide stops following the scenario; the cluster stays as it is.
func (a *App) leaveGuide() {
	g := &a.guide
	g.active, g.ffwd, g.targets, g.lit = false, false, nil, nil
	g.version++
	a.announce("Left the scenario: free play on this cluster.")
	if len(a.ui.guide.buttons) > 0 {
		_ = a.ui.guide.buttons[0].Focus()
	}
}

// askToStart starts scenario name, asking first when that would replace
// a person's own inputs.
func (a *App) askToStart(name string) {
	what := "a new default cluster (free play)"
	for _, s := range a.guide.entries() {
		if s.Name == name {
			what = "the scenario “" + s.Title + "”"
		}
	}
	start := func() {
		a.StartScenario(name, func(err error) {
			if err != nil {
				a.problem = "Could not start " + what + ": " + err.Error()
				a.announce(a.problem)
				return
			}
			a.guide.version++
			if name != "" {
				_ = a.ui.guide.title.Focus()
			}
		})
	}
	if !a.hasWork() {
		start()
		return
	}
	a.confirm("Replace this lab?", "Starting "+what+" replaces the cluster and what you typed or clicked, and clears the state saved in this browser. Share or export the run first to keep it.", "Start it", start)
}

// entries returns the scenarios listed.
func (g *guide) entries() []scenarioEntry {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.list
}

// renderGuide draws the guide panel when it changed.
func (a *App) renderGuide() error {
	g, p := &a.guide, a.ui.guide
	b := dom.NewBuilder(a.doc)
	g.mu.Lock()
	list, listErr, listNew := g.list, g.listErr, g.listNew
	g.listNew = false
	g.mu.Unlock()
	if listNew {
		var items []dom.Element
		p.buttons = nil
		for _, s := range list {
			li := b.El("li", "", "")
			btn := b.El("button", "scenario", s.Title)
			b.Attr(btn, "type", "button")
			b.Attr(btn, "data-scenario", s.Name)
			b.Add(li, btn)
			items = append(items, li)
			p.buttons = append(p.buttons, btn)
		}
		li := b.El("li", "", "")
		free := b.El("button", "scenario free", "Free play: a new default cluster")
		b.Attr(free, "type", "button")
		b.Attr(free, "data-scenario", "")
		b.Add(li, free)
		p.buttons = append(p.buttons, free)
		items = append(items, li)
		b.Keep(p.list.ReplaceChildren(items...))
		note := ""
		if listErr != nil {
			note = "✕ The list of scenarios could not be loaded: " + listErr.Error()
		}
		b.Keep(p.listNote.SetText(note))
		b.Keep(p.listNote.SetProp("hidden", note == ""))
	}
	if g.drawn == g.version && !listNew {
		return b.Err()
	}
	g.drawn = g.version
	b.Keep(p.now.SetProp("hidden", !g.active))
	b.Keep(a.ui.guideSec().SetClass("guiding", g.active))
	if !g.active {
		return b.Err()
	}
	o := &g.outline
	kicker := "Scenario"
	if g.name == "" {
		kicker = "Script"
	}
	switch {
	case g.tried:
		kicker += " · complete"
	case g.step > 0:
		kicker += fmt.Sprintf(" · step %d of %d", g.step, len(o.Steps))
	}
	b.Keep(p.kicker.SetText(kicker))
	title := o.Title
	if title == "" {
		title = g.name
	}
	b.Keep(p.title.SetText(title))
	b.Keep(p.intro.SetText(o.Intro))
	b.Keep(p.intro.SetProp("hidden", o.Intro == ""))
	var steps []dom.Element
	for i := 0; i < g.step && i < len(o.Steps); i++ {
		li := b.El("li", "", o.Steps[i])
		if i == g.step-1 && !g.tried {
			b.Attr(li, "class", "current")
			b.Attr(li, "aria-current", "step")
		} else {
			b.Attr(li, "class", "done")
		}
		steps = append(steps, li)
	}
	b.Keep(p.steps.ReplaceChildren(steps...))
	look := ""
	if len(g.targets) > 0 {
		look = "◎ Look at: " + strings.Join(g.targets, ", ")
	}
	b.Keep(p.look.SetText(look))
	b.Keep(p.look.SetProp("hidden", look == ""))
	b.Keep(p.try.SetText("Now you try: " + g.try))
	b.Keep(p.try.SetProp("hidden", !g.tried))
	done := g.tried || (!a.lab.Pending(share.ScenarioConsole) && !g.waiting())
	b.Keep(p.next.SetProp("disabled", done))
	b.Keep(p.skip.SetProp("disabled", done))
	b.Keep(p.free.SetProp("checked", g.free))
	a.lightPanels()
	return b.Err()
}

// guideSec returns the guide's section.
func (u *ui) guideSec() dom.Element { return u.guide.sec }

// panelTargets maps the names a \highlight may give to the page's panels
// (the drawing lights nodes, AZs, instances, PGs and watermarks itself).
var panelTargets = map[string]string{
	"cluster": ".panel-topology", "topology": ".panel-topology",
	"volume": ".panel-volume", "consoles": ".panel-consoles", "console": ".panel-consoles",
	"invariants": ".panel-checks", "checks": ".panel-checks",
	"log": ".panel-log", "events": ".panel-log", "commands": ".panel-commands",
}

// lightPanels marks the panels, and the consoles of the instances, the
// current step points at.
func (a *App) lightPanels() {
	lit := a.guide.lit
	old, _ := a.root.QueryAll(".panel.hl, .console.hl")
	for _, e := range old {
		_ = e.SetClass("hl", false)
	}
	for t := range lit {
		sel, ok := panelTargets[t]
		if !ok {
			sel = fmt.Sprintf(`.console[data-console=%q]`, t)
		}
		if els, err := a.root.QueryAll(sel); err == nil {
			for _, e := range els {
				_ = e.SetClass("hl", true)
			}
		}
	}
}
