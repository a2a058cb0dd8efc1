//go:build js && wasm

// Package app is the Aurora Lab page: it boots the model (restoring the
// saved session from IndexedDB, or starting the default cluster), draws it
// once per animation frame, forwards what a person types to the engine,
// drives simulated time, saves the session, and offers a small JavaScript
// API on window.auroraLab.
//
// It holds no model logic: every figure on the page comes from an engine
// snapshot, and every change to the model is console input submitted to the
// engine, so the command log replays it.
package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
	"aurora-lab/wasm/internal/session"
	"aurora-lab/wasm/internal/store"
	"aurora-lab/wasm/internal/view"
)

// Options configure a page.
type Options struct {
	// DB is the IndexedDB database name: "aurora-lab" for the page; an
	// embed uses its own.
	DB string
	// Memory skips IndexedDB altogether (tests, and pages that must not
	// keep anything).
	Memory bool
	// Paused starts with time stopped.
	Paused bool
	// OpenStore opens the database; nil means store.Open. Tests use it to
	// play a browser without IndexedDB.
	OpenStore func(ctx context.Context, name string) (*store.Store, error)
}

// Speeds are the speeds offered, in simulated nanoseconds per wall-clock
// second, from slow motion to fast-forward.
var Speeds = []struct {
	NS    float64
	Label string
}{
	{10e3, "10 µs"}, {20e3, "20 µs"}, {50e3, "50 µs"},
	{100e3, "100 µs"}, {200e3, "200 µs"}, {500e3, "500 µs"},
	{1e6, "1 ms"}, {2e6, "2 ms"}, {5e6, "5 ms"},
	{10e6, "10 ms"}, {20e6, "20 ms"}, {50e6, "50 ms"},
	{100e6, "100 ms"}, {200e6, "200 ms"}, {500e6, "500 ms"},
	{1e9, "1 s"},
}

// DefaultSpeed is the index in Speeds the page starts at: slow enough to
// watch a write travel to six segments and the acks come back.
const DefaultSpeed = 6

// simBudgetMS bounds the simulation's share of one animation frame, in
// milliseconds of wall time; the rest is for rendering and the browser.
const simBudgetMS = 6

// flushEveryMS is how often the session is saved while time runs, so the
// simulated time reached survives a reload.
const flushEveryMS = 1000

// App is a mounted page.
type App struct {
	opts Options
	doc  dom.Document
	root dom.Element
	ctx  context.Context

	lab   *engine.Lab
	start engine.Config // the configuration lab started with

	// Persistence: real is the IndexedDB store when it opened (even if
	// its data could not be used), pers the writer of the store in use.
	real    *store.Store
	pers    *persister
	problem string // why the page is not saving, or what went wrong loading

	// Time.
	playing   bool
	speed     int
	lastFrame float64
	carry     float64
	behind    bool

	// Rendering.
	ui        *ui
	topo      *view.Topology
	vol       *view.Volume
	events    *view.EventLog
	consoles  map[string]*console
	order     []string
	outNext   uint64
	noteNext  uint64
	newNotes  bool // the cluster was replaced: notes start again
	width     float64
	measure   bool
	flushedAt float64
	savedNow  engine.Time
	rendered  bool
	frameErr  error
	stopped   bool
	next      *dom.Frame
	drawn     drawnVersion
}

// Mount boots the page inside root: it opens the store, restores the saved
// session or starts the default cluster, and draws the first frame. It
// blocks on IndexedDB, so call it from main or a test, never from a DOM
// callback. Call Start to set time running.
func Mount(ctx context.Context, root dom.Element, opts Options) (*App, error) {
	doc, err := dom.Doc()
	if err != nil {
		return nil, err
	}
	if opts.DB == "" {
		opts.DB = "aurora-lab"
	}
	a := &App{opts: opts, doc: doc, root: root, ctx: ctx, speed: DefaultSpeed, playing: !opts.Paused,
		consoles: map[string]*console{}, measure: true}

	st, saved, found := a.openStore(ctx)
	if found {
		lab, err := session.Restore(saved)
		if err != nil {
			a.problem = fmt.Sprintf("The session saved in this browser could not be replayed (%v). A new cluster runs in memory; the saved data is left as it was until you reset.", err)
			st = store.Memory(opts.DB)
			found = false
		} else {
			a.lab, a.start = lab, saved.Config
		}
	}
	if a.lab == nil {
		cfg := engine.DefaultConfig()
		lab, err := engine.New(cfg)
		if err != nil {
			return nil, err
		}
		a.lab, a.start = lab, cfg
	}
	entries := 0
	if found {
		entries = len(saved.Log)
	}
	a.pers = newPersister(session.NewSaver(st, entries))
	go a.pers.run(ctx)

	if err := a.build(); err != nil {
		return nil, err
	}
	if err := a.render(); err != nil {
		return nil, err
	}
	a.rendered = true
	return a, nil
}

// openStore opens IndexedDB and loads the saved session. It returns the
// store to save to: IndexedDB when it opened and its data loaded, memory
// otherwise, with a.problem saying why.
func (a *App) openStore(ctx context.Context) (*store.Store, session.State, bool) {
	if a.opts.Memory {
		return store.Memory(a.opts.DB), session.State{}, false
	}
	open := a.opts.OpenStore
	if open == nil {
		open = store.Open
	}
	st, err := open(ctx, a.opts.DB)
	if err != nil {
		a.problem = fmt.Sprintf("Not saving: %v. The model runs in memory; a reload starts it again.", err)
		return store.Memory(a.opts.DB), session.State{}, false
	}
	a.real = st
	saved, found, err := session.Load(ctx, st)
	switch {
	case errors.Is(err, store.ErrCorrupt):
		a.problem = fmt.Sprintf("The state saved in this browser failed its checksum (%v). A new cluster runs in memory and the saved data is left untouched; Reset clears it and saving starts again.", err)
		return store.Memory(a.opts.DB), session.State{}, false
	case err != nil:
		a.problem = fmt.Sprintf("The state saved in this browser could not be read (%v). A new cluster runs in memory and the saved data is left untouched; Reset clears it and saving starts again.", err)
		return store.Memory(a.opts.DB), session.State{}, false
	}
	return st, saved, found
}

// Lab returns the running model. Use it only on the event loop (DOM
// callbacks, tests); it is not safe for other goroutines.
func (a *App) Lab() *engine.Lab { return a.lab }

// Problem returns what the page says about storage, "" when all is well.
func (a *App) Problem() string { return a.problem }

// Start sets the animation frames going: time runs (unless paused) and
// the page is drawn once per frame until Stop.
func (a *App) Start() error {
	a.stopped = false
	a.next.Cancel()
	var err error
	a.next, err = dom.AnimationFrame(a.frame)
	return err
}

// Stop ends the animation frames.
func (a *App) Stop() {
	a.stopped = true
	a.next.Cancel()
}

// capture returns the session to save now.
func (a *App) capture() session.State { return session.Capture(a.start, a.lab) }

// flush asks for the session to be saved; done (optional) hears the outcome.
func (a *App) flush(done func(error)) {
	a.savedNow = a.lab.Now()
	a.flushedAt = dom.Now()
	a.pers.Flush(a.capture(), done)
}

// Submit runs console input as if typed on console name. A parse error is
// returned (*engine.ParseError) and nothing is queued.
func (a *App) Submit(name, text string) error {
	if err := a.lab.Submit(name, text); err != nil {
		return err
	}
	a.console(name).remember(text)
	a.flush(nil)
	return nil
}

// Reset replaces the model with the default cluster and clears the saved
// state. It never blocks; done hears when the store is cleared and the new
// session saved.
func (a *App) Reset(done func(error)) error {
	cfg := engine.DefaultConfig()
	lab, err := engine.New(cfg)
	if err != nil {
		return err
	}
	a.lab, a.start = lab, cfg
	a.outNext, a.noteNext, a.carry, a.behind = 0, 0, 0, false
	for _, name := range a.order {
		a.consoles[name].clear()
	}
	if err := a.events.Clear(); err != nil {
		return err
	}
	target := a.real
	if target == nil {
		target = store.Memory(a.opts.DB)
	}
	a.problem = ""
	if a.real == nil {
		a.problem = "Not saving: IndexedDB is not available here. The model runs in memory; a reload starts it again."
	}
	a.savedNow, a.flushedAt = 0, dom.Now()
	a.pers.Reset(target, a.capture(), done)
	a.announce("Reset: a new default cluster. The saved state was cleared.")
	return a.render()
}

// Play sets simulated time running; Pause stops it.
func (a *App) Play()  { a.playing = true; a.behind = false }
func (a *App) Pause() { a.playing = false; a.flush(nil) }

// Playing reports whether time runs.
func (a *App) Playing() bool { return a.playing }

// Step pauses and processes exactly one event (or console wake-up), and
// reports whether there was one.
func (a *App) Step() bool {
	a.playing = false
	ok := a.lab.Step()
	a.flush(nil)
	return ok
}

// SetSpeed selects Speeds[i].
func (a *App) SetSpeed(i int) {
	a.speed = min(max(i, 0), len(Speeds)-1)
	a.behind = false
}

// Speed returns the index in Speeds.
func (a *App) Speed() int { return a.speed }

// advance moves simulated time on by dtMS of wall time at the current
// speed, spending at most simBudgetMS of wall time on it. When the model
// cannot keep up, time lags rather than the page stalling.
func (a *App) advance(dtMS float64) {
	want := Speeds[a.speed].NS*dtMS/1000 + a.carry
	d := engine.Time(want)
	a.carry = want - float64(d)
	target := a.lab.Now() + d
	deadline := dom.Now() + simBudgetMS
	for i := 1; ; i++ {
		if a.lab.NextAt() > target {
			a.lab.RunUntil(target)
			a.behind = false
			return
		}
		a.lab.Step()
		if i%64 == 0 && dom.Now() > deadline {
			a.behind, a.carry = true, 0
			return
		}
	}
}

// frame is one animation frame: time, outputs, one batch of DOM updates,
// and the periodic flush.
func (a *App) frame(ms float64) {
	if a.stopped {
		return
	}
	dt := ms - a.lastFrame
	if a.lastFrame == 0 || dt < 0 {
		dt = 0
	}
	a.lastFrame = ms
	dt = min(dt, 100) // a background tab comes back without a jump
	if a.playing {
		a.advance(dt)
	}
	if v := a.version(); a.playing || v != a.drawn {
		a.drawn = v
		if err := a.render(); err != nil && a.frameErr == nil {
			a.frameErr = err
			dom.OnPanic("rendering", err)
		}
	}
	if a.playing && ms-a.flushedAt >= flushEveryMS && a.lab.Now() != a.savedNow {
		a.flush(nil)
	}
	var err error
	if a.next, err = dom.AnimationFrame(a.frame); err != nil {
		dom.OnPanic("requestAnimationFrame", err)
	}
}

// drawnVersion says what a frame showed; while time stands still, a frame
// that would show the same is skipped.
type drawnVersion struct {
	now             engine.Time
	events, outputs uint64
	notes           uint64
	flushes         int
	saveErr         error
	busy, measure   bool
	problem         string
	playing, behind bool
	speed           int
}

func (a *App) version() drawnVersion {
	st := a.pers.Status()
	_, outs := a.lab.Outputs(a.outNext)
	return drawnVersion{
		now: a.lab.Now(), events: a.lab.Events(), outputs: outs, notes: a.lab.NoteCount(),
		flushes: st.Flushes, saveErr: st.Err, busy: st.Busy, measure: a.measure, problem: a.problem,
		playing: a.playing, behind: a.behind, speed: a.speed,
	}
}

// render draws the model as it is now.
func (a *App) render() error {
	if a.measure {
		if w, err := a.ui.topoHost.PropFloat("clientWidth"); err == nil && w > 0 {
			a.width = w
		}
		a.measure = false
	}
	if err := a.takeOutputs(); err != nil {
		return err
	}
	since := a.noteNext
	if a.newNotes || since > a.lab.NoteCount() {
		since = 0
		if a.noteNext > 0 || a.newNotes {
			if err := a.events.Separator("new cluster"); err != nil {
				return err
			}
		}
		a.newNotes = false
	}
	s := a.lab.SnapshotSince(since)
	a.noteNext = s.NoteNext
	if err := a.topo.Render(&s, a.width); err != nil {
		return err
	}
	if err := a.vol.Render(&s); err != nil {
		return err
	}
	if err := a.events.Add(s.Notes); err != nil {
		return err
	}
	if err := a.renderConsoles(&s); err != nil {
		return err
	}
	return a.ui.renderStatus(a, &s)
}

// takeOutputs routes new outputs to their consoles.
func (a *App) takeOutputs() error {
	outs, next := a.lab.Outputs(a.outNext)
	a.outNext = next
	var last string
	for i := range outs {
		o := &outs[i]
		if o.Kind == engine.OutMeta && o.OK && strings.HasPrefix(strings.TrimSpace(o.Input), `\cluster`) {
			a.newNotes = true
		}
		if err := a.console(o.Console).add(o); err != nil {
			return err
		}
		last = summary(o)
	}
	if last != "" && a.rendered {
		a.announce(last)
	}
	return nil
}

// announce tells screen readers something through the live region.
func (a *App) announce(text string) {
	if a.ui != nil {
		_ = a.ui.live.SetText(text)
	}
}

// Failed reports a failure of the page's own code (a panic in a callback, a
// rendering error): in the banner and on the browser console.
func (a *App) Failed(what string, v any) {
	a.problem = fmt.Sprintf("Something went wrong in %s: %v. Reloading restores the saved state.", what, v)
	a.announce(a.problem)
	js.Global().Get("console").Call("error", "aurora-lab: "+what+": "+fmt.Sprint(v))
}
