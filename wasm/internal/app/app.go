//go:build js && wasm

// Package app is the Aurora Lab page: it boots the model (restoring the
// saved session from IndexedDB, or starting the default cluster), draws it
// once per animation frame, forwards what a person types or clicks to the
// engine as console-language input, drives simulated time, saves the
// session, and offers a small JavaScript API on window.auroraLab.
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
	"aurora-lab/wasm/internal/share"
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
	// NoLock skips the Web Lock that keeps a second tab from writing the
	// same database (tests that mount two pages in one document).
	NoLock bool
	// Link is what the page's address asks for (share.Parse): a shared
	// run, a scenario or a script to start. The full page shows it in
	// memory, leaving the saved lab alone until Keep; an embed starts it
	// when its own database holds nothing yet.
	Link *share.Link
	// LinkErr is why the address could not be read; the banner says it.
	LinkErr error
	// Embed draws the minimal page of embed.html: one scenario, no logs,
	// and its height posted to the host page.
	Embed bool
}

// PageConsole is the console that the page's controls submit their
// commands on: a click produces the same console-language text a person
// would type, so it is in the command log and replays.
const PageConsole = "page"

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
	{1e9, "1 s"}, {2e9, "2 s"}, {5e9, "5 s"}, {10e9, "10 s"},
}

// DefaultSpeed is the index in Speeds the page starts at: slow enough to
// watch a write travel to six segments and the acks come back.
const DefaultSpeed = 6

// The rendering budget of one animation frame.
const (
	// simBudgetMS bounds the simulation's share of one frame, in
	// milliseconds of wall time; the rest is for rendering and the
	// browser. When the model cannot keep up, simulated time lags.
	simBudgetMS = 6
	// maxEventsPerFrame bounds the events one frame processes, whatever
	// the wall time says.
	maxEventsPerFrame = 20000
	// checkpointBudgetMS bounds the time a frame spends encoding the
	// storage nodes' disks for a checkpoint.
	checkpointBudgetMS = 2
)

// flushEveryMS is how often the session header is saved while time runs
// and nothing else asks for a flush, so the simulated time reached
// survives a reload.
const flushEveryMS = 1000

// checkpointEveryMS is the least wall time between two checkpoints of the
// disks while time runs; a checkpoint that took long spaces the next out
// (at most 2% of the wall time goes to them).
const checkpointEveryMS = 5000

// App is a mounted page.
type App struct {
	opts Options
	doc  dom.Document
	root dom.Element
	ctx  context.Context

	lab   *engine.Lab
	start engine.Config // the configuration lab started with
	watch *engine.Watcher

	// Persistence: real is the IndexedDB store when it opened (even if
	// its data could not be used), pers the writer of the store in use.
	real       *store.Store
	pers       *persister
	persStop   context.CancelFunc
	lock       *store.Lock
	lockState  lockState
	problem    string // why the page is not saving, or what went wrong loading
	restored   string // what the restore found, for the status bar
	verdict    session.Verdict
	restoredAt engine.Mark // where the restore brought the model
	restoring  *restoreJob // a restore in progress
	onReady    func()      // called once the page is ready (restored)
	isReady    bool
	cp         checkpointer
	waiters    []func(error) // flush() calls waiting for the next flush
	flushNow   bool
	flushedAt  float64
	takingOver bool
	linkNote   string // what the page says about the link it was opened with

	// Time.
	playing   bool
	speed     int
	lastFrame float64
	carry     float64
	behind    bool

	// Rendering.
	ui       *ui
	topo     *view.Topology
	vol      *view.Volume
	events   *view.EventLog
	checks   *view.Invariants
	cmds     *view.CommandLog
	consoles map[string]*console
	order    []string
	outNext  uint64
	noteNext uint64
	logShown int
	pageIns  []pageInput
	newNotes bool // the cluster was replaced: notes start again
	width    float64
	measure  bool
	rendered bool
	frameErr error
	stopped  bool
	next     *dom.Frame
	drawn    drawnVersion
	selPG    uint32
	perf     perfLog
	phases   [phCount]float64 // the last render's phases

	// Guided scenarios, sharing, narration.
	guide   guide
	shared  bool // showing a run from a link, in memory, until Keep
	narr    narrator
	reduced bool // prefers-reduced-motion
}

// pageInput is a command the controls submitted, waiting for its output
// in the command log.
type pageInput struct {
	text string
	n    int // index in the command log
}

// lockState says whether this tab may write the database.
type lockState int

const (
	lockNone  lockState = iota // no Web Locks, or memory only: nothing to guard
	lockHeld                   // this tab writes
	lockOther                  // another tab writes; this one runs in memory
	lockLost                   // another tab took over
)

// Mount boots the page inside root: it takes the database's lock, opens
// the store, restores the saved session or starts the default cluster, and
// draws the first frame. It blocks on IndexedDB, so call it from main or a
// test, never from a DOM callback. Call Start to set time running.
func Mount(ctx context.Context, root dom.Element, opts Options) (*App, error) {
	doc, err := dom.Doc()
	if err != nil {
		return nil, err
	}
	if opts.DB == "" {
		opts.DB = "aurora-lab"
	}
	a := &App{opts: opts, doc: doc, root: root, ctx: ctx, speed: DefaultSpeed, playing: !opts.Paused,
		consoles: map[string]*console{}, measure: true, watch: engine.NewWatcher()}

	// Draw the page first, with a new cluster, so that it shows while
	// IndexedDB is read (the browser paints while Mount waits for it).
	cfg := engine.DefaultConfig()
	lab, err := engine.New(cfg)
	if err != nil {
		return nil, err
	}
	a.lab, a.start = lab, cfg
	a.startPersister(session.NewSaver(store.Memory(opts.DB), 0), nil)
	if err := a.build(); err != nil {
		return nil, err
	}
	if !opts.Memory {
		a.problem = "Opening the state saved in this browser…"
	}
	if err := a.render(); err != nil {
		return nil, err
	}
	a.problem = ""
	_ = dom.Mark("aurora:first-render")

	_ = dom.Mark("aurora:load-start")
	linkRun, linkNote := a.linkRun(opts.Link)
	if opts.LinkErr != nil {
		linkNote = "This address could not be read: " + opts.LinkErr.Error() + ". "
	}
	st, saved, found, cp, stored := a.openStore(ctx)
	if linkRun != nil && !opts.Embed {
		// A run from a link: shown in memory; the lab saved in this
		// browser stays as it was unless the person keeps this one.
		found, a.shared = false, true
		if lerr := a.setRun(linkRun); lerr != nil {
			linkNote += "The run in this link could not be replayed: " + lerr.Error() + ". "
			a.shared = false
		}
		if linkRun.Step > 0 {
			a.guide.allowed = linkRun.Step
		}
		st = store.Memory(opts.DB)
		a.playing = false
	} else if linkRun != nil && !found {
		if lerr := a.setRun(linkRun); lerr != nil {
			linkNote += "The run in this link could not be replayed: " + lerr.Error() + ". "
		}
		a.playing = false
	}
	a.linkNote = linkNote
	if found {
		// The replay runs over the animation frames (restoreWork), so a
		// long session shows its progress instead of freezing the page.
		// Nothing is saved until it is done.
		_ = dom.Mark("aurora:restore-start")
		r, err := session.NewCheckedRestorer(saved, cp, stored)
		if err != nil {
			return nil, err
		}
		a.restoring = &restoreJob{r: r, saved: saved, cp: cp, stored: stored, st: st}
		a.lab, a.start = r.Lab(), saved.Config
	} else {
		a.startPersister(session.NewSaver(st, 0), nil)
		a.watch.Observe(a.lab)
		a.guide.follow(a.lab)
	}
	if err := a.render(); err != nil {
		return nil, err
	}
	a.rendered = true
	a.watchLock()
	a.sayLink()
	if err := a.postHeight(); err != nil {
		a.problem = strings.TrimSpace(a.problem + " This embed cannot tell its host page its height: " + err.Error() + ".")
	}
	return a, nil
}

// restoreJob is a restore in progress.
type restoreJob struct {
	r      *session.CheckedRestorer
	saved  session.State
	cp     *session.Checkpoint
	stored map[string]uint64
	st     *store.Store
}

// restoreBudgetMS is the wall time a frame gives the restore.
const restoreBudgetMS = 12

// restoreWork replays a frame's share of the saved session, and finishes
// the restore when it is complete.
func (a *App) restoreWork(budgetMS float64) {
	j := a.restoring
	deadline := dom.Now() + budgetMS
	n := 0
	done, err := j.r.Run(func() bool {
		n++
		return n%64 != 0 || dom.Now() < deadline
	})
	if done {
		a.finishRestore(err)
	}
}

// restoreAll completes the restore at once (tests).
func (a *App) restoreAll() {
	if a.restoring != nil {
		a.restoreWork(1e12)
	}
}

// restoreProgress says how far the restore is.
func (a *App) restoreProgress() string {
	done, total := a.restoring.r.Progress()
	return fmt.Sprintf("Restoring the session saved in this browser: replaying input %d of %d (simulated time %v of %v)…",
		done, total, a.lab.Now(), a.restoring.saved.Now)
}

// finishRestore makes the restored model the page's, or, when the replay
// failed, says so and starts a new cluster in memory.
func (a *App) finishRestore(err error) {
	j := a.restoring
	a.restoring = nil
	_ = dom.Mark("aurora:restore-end")
	st, entries := j.st, len(j.saved.Log)
	if err != nil {
		a.problem = fmt.Sprintf("The session saved in this browser could not be replayed (%v). A new cluster runs in memory; the saved data, the disks included, is left as it was until you reset.", err)
		if cp := j.cp; cp != nil {
			a.problem += fmt.Sprintf(" The saved disks hold %d nodes, %d segments, %d log records and %d pages as of t = %v.",
				cp.Stats.Nodes, cp.Stats.Segments, cp.Stats.Records, cp.Stats.Pages, cp.Mark.At)
		}
		st, entries, a.real = store.Memory(a.opts.DB), 0, nil
		cfg := engine.DefaultConfig()
		lab, lerr := engine.New(cfg)
		if lerr != nil {
			dom.OnPanic("restore", lerr)
			return
		}
		a.lab, a.start = lab, cfg
		j.stored = nil
	} else {
		v := j.r.Verdict
		a.lab, a.verdict = j.r.Lab(), v
		a.restoredAt = engine.MarkOf(a.lab)
		a.restored = restoreText(entries, j.saved.Now, v)
		if v.Checked && (!v.Stored || !v.Replayed) {
			a.problem = a.restored
		} else if a.lockState == lockOther {
			a.problem = otherTabText
		}
	}
	for i, e := range a.lab.Log() {
		if e.Console == PageConsole {
			a.pageIns = append(a.pageIns, pageInput{text: e.Text, n: i})
		}
	}
	a.pageIns = a.pageIns[max(len(a.pageIns)-view.MaxCommands, 0):]
	for _, c := range a.consoles {
		c.history, c.hpos = nil, 0
	}
	for _, e := range a.lab.Log() {
		if e.Console != PageConsole {
			a.console(e.Console).remember(e.Text)
		}
	}
	a.startPersister(session.NewSaver(st, entries), j.stored)
	if j.cp != nil && st.Durable() && err == nil {
		a.pers.status.Checkpoint = j.cp
	}
	a.watch = engine.NewWatcher()
	a.watch.Observe(a.lab)
	a.guide.follow(a.lab)
	a.measure = true
	if rerr := a.render(); rerr != nil {
		dom.OnPanic("rendering", rerr)
	}
	a.markReady()
}

// restoreText says what a restore found.
func restoreText(entries int, now engine.Time, v session.Verdict) string {
	s := fmt.Sprintf("Restored by replaying %d input%s to t = %v", entries, plural(entries), now)
	switch {
	case !v.Checked:
		return s + "."
	case !v.Stored:
		return s + fmt.Sprintf(". ✕ The disks saved at t = %v fail their checksum (a piece is missing or changed); the replayed cluster runs and the next checkpoint replaces them.", v.Mark.At)
	case !v.Replayed:
		return s + fmt.Sprintf(". ✕ The replay differs from the disks saved at t = %v: this version of Aurora Lab computes differently from the one that saved them. The replayed cluster runs; the next checkpoint replaces the saved disks.", v.Mark.At)
	}
	return s + fmt.Sprintf("; ✓ the replayed disks match the saved ones at t = %v (%d segments, %d log records, %d pages).",
		v.Mark.At, v.Stats.Segments, v.Stats.Records, v.Stats.Pages)
}

// startPersister makes sv's store the one the page saves to.
func (a *App) startPersister(sv *session.Saver, written map[string]uint64) {
	if a.persStop != nil {
		a.persStop()
	}
	ctx, cancel := context.WithCancel(a.ctx)
	a.persStop = cancel
	p := newPersister(sv, written)
	_, outs := a.lab.Outputs(0)
	p.status.Released = outs // what was restored is durable already
	a.pers = p
	a.cp = checkpointer{}
	go p.run(ctx)
}

// openStore takes the lock and opens IndexedDB, loading the saved session.
// It returns the store to save to: IndexedDB when it opened, its data
// loaded and this tab holds the lock; memory otherwise, with a.problem
// saying why.
func (a *App) openStore(ctx context.Context) (st *store.Store, saved session.State, found bool, cp *session.Checkpoint, stored map[string]uint64) {
	if a.opts.Memory {
		return store.Memory(a.opts.DB), session.State{}, false, nil, nil
	}
	if !a.opts.NoLock {
		lock, err := store.AcquireLock(ctx, a.opts.DB, store.IfAvailable)
		if lock == nil && err == nil && tookOver() {
			// This tab just took over: the lock is on its way back.
			wctx, cancel := context.WithTimeout(ctx, handoverTimeout)
			lock, err = store.AcquireLock(wctx, a.opts.DB, store.Wait)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) {
				err = nil
			}
		}
		switch {
		case errors.Is(err, store.ErrNoLocks):
			a.lockState = lockNone
		case err != nil:
			a.problem = fmt.Sprintf("Not saving: the page could not ask for the database's lock (%v). The model runs in memory.", err)
			return store.Memory(a.opts.DB), session.State{}, false, nil, nil
		case lock == nil:
			a.lockState = lockOther
		default:
			a.lock, a.lockState = lock, lockHeld
		}
	}
	open := a.opts.OpenStore
	if open == nil {
		open = store.Open
	}
	real, err := open(ctx, a.opts.DB)
	if err != nil {
		a.problem = fmt.Sprintf("Not saving: %v. The model runs in memory; a reload starts it again.", err)
		return store.Memory(a.opts.DB), session.State{}, false, nil, nil
	}
	if lost := real.DataLoss(); lost != "" {
		// Not a fresh browser: IndexedDB found the saved data corrupt and
		// deleted it. Say so rather than start again in silence.
		a.problem = fmt.Sprintf("The browser lost the state saved here: IndexedDB found its database corrupt when it opened it and deleted it (data loss %q). A new cluster starts and is saved from now on.", lost)
	}
	saved, found, err = session.Load(ctx, real)
	if err == nil && found {
		var c session.Checkpoint
		var ok bool
		if c, ok, err = session.LoadCheckpoint(ctx, real); ok && err == nil {
			cp = &c
			stored, err = session.ScanDisks(ctx, real)
		}
	}
	switch {
	case errors.Is(err, store.ErrCorrupt):
		a.problem = fmt.Sprintf("The state saved in this browser failed its checksum (%v). A new cluster runs in memory and the saved data is left untouched; Reset clears it and saving starts again.", err)
		a.real = real
		return store.Memory(a.opts.DB), session.State{}, false, nil, nil
	case err != nil:
		a.problem = fmt.Sprintf("The state saved in this browser could not be read (%v). A new cluster runs in memory and the saved data is left untouched; Reset clears it and saving starts again.", err)
		a.real = real
		return store.Memory(a.opts.DB), session.State{}, false, nil, nil
	}
	if a.lockState == lockOther {
		// Show what the other tab saved, but never write it.
		real.Close()
		return store.Memory(a.opts.DB), saved, found, nil, nil
	}
	a.real = real
	return real, saved, found, cp, stored
}

// otherTabText is what a tab that does not hold the lock says.
const otherTabText = "This lab is open in another tab, which saves it. This tab shows what was saved when it opened and runs in memory: nothing done here is saved."

// watchLock follows the lock: when another tab takes it, this tab stops
// saving and says so. It also answers another tab's request to take over.
func (a *App) watchLock() {
	switch a.lockState {
	case lockOther:
		a.problem = otherTabText
	case lockHeld:
		lost := a.lock.Lost()
		go func() {
			<-lost
			a.loseLock()
		}()
	}
	a.listenHandover()
}

// loseLock switches to memory after another tab took the lock.
func (a *App) loseLock() {
	if a.lockState != lockHeld {
		return
	}
	a.lockState = lockLost
	a.pers.Stop(func(error) {})
	a.startPersister(session.NewSaver(store.Memory(a.opts.DB), len(a.lab.Log())), nil)
	a.real = nil
	a.problem = "Another tab took over saving this lab. This tab goes on in memory: nothing done here is saved any more."
	a.announce(a.problem)
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

// capture returns the flush of the session as it is now.
func (a *App) capture() *flushJob {
	_, outs := a.lab.Outputs(0)
	return &flushJob{state: session.Capture(a.start, a.lab), outputs: outs}
}

// flush asks for the session to be saved by the next frame's flush; done
// (optional) hears the outcome.
func (a *App) flush(done func(error)) {
	a.flushNow = true
	if done != nil {
		a.waiters = append(a.waiters, done)
	}
}

// flushAtOnce queues a flush now, even while another runs: for pagehide,
// when no frame may come.
func (a *App) flushAtOnce() {
	a.flushedAt = dom.Now()
	a.pers.Flush(a.capture(), nil)
}

// maybeFlush starts this frame's flush when one is due and none runs: at
// most one IndexedDB transaction per animation frame.
func (a *App) maybeFlush(ms float64) {
	st := a.pers.Status()
	if st.Busy {
		return
	}
	_, outs := a.lab.Outputs(0)
	moved := a.lab.Now() != st.Saved.At || a.lab.Events() != st.Saved.Events
	due := a.flushNow || len(a.lab.Log()) > st.Entries || outs > st.Released || a.cp.ready != nil ||
		(moved && ms-a.flushedAt >= flushEveryMS)
	if !due {
		return
	}
	f := a.capture()
	f.cp, a.cp.ready = a.cp.ready, nil
	waiters := a.waiters
	a.waiters, a.flushNow, a.flushedAt = nil, false, ms
	a.pers.Flush(f, func(err error) {
		for _, w := range waiters {
			w(err)
		}
	})
}

// Submit runs console input as if typed on console name. A parse error is
// returned (*engine.ParseError) and nothing is queued. The next frame
// saves it.
func (a *App) Submit(name, text string) error {
	if a.restoring != nil {
		return errRestoring
	}
	if err := a.lab.Submit(name, text); err != nil {
		return err
	}
	if name == PageConsole {
		a.pageIns = append(a.pageIns, pageInput{text: text, n: len(a.lab.Log()) - 1})
		if len(a.pageIns) > view.MaxCommands {
			a.pageIns = a.pageIns[1:]
		}
	} else {
		a.console(name).remember(text)
	}
	return nil
}

// errRestoring refuses input while the saved session is being replayed.
var errRestoring = errors.New("the page is still restoring the saved session; wait until it is done")

// markReady says the page is ready: restored and drawn.
func (a *App) markReady() {
	if a.isReady {
		return
	}
	a.isReady = true
	if a.onReady != nil {
		a.onReady()
	}
}

// Reset replaces the model with the default cluster and clears the saved
// state. It never blocks; done hears when the store is cleared and the new
// session saved.
func (a *App) Reset(done func(error)) error {
	return a.replaceRun(&share.Run{Config: engine.DefaultConfig()}, "Reset: a new default cluster.", done)
}

// setRun makes run the model, replayed to its moment.
func (a *App) setRun(run *share.Run) error {
	lab, err := engine.Restore(run.Config, run.Log, run.At, run.Events)
	if err != nil {
		return err
	}
	a.lab, a.start = lab, run.Config
	a.guide.follow(lab)
	return nil
}

// replaceRun replaces the model with run (a new cluster, a scenario, an
// imported run) and clears the saved state for it, saying what (said).
// It never blocks; done hears when the store is cleared and the new
// session saved.
func (a *App) replaceRun(run *share.Run, said string, done func(error)) error {
	if err := a.setRun(run); err != nil {
		return err
	}
	lab := a.lab
	if a.restoring != nil { // abandon it: the saved state is cleared
		a.restoring = nil
		a.startPersister(session.NewSaver(store.Memory(a.opts.DB), 0), nil)
		defer a.markReady()
	}
	a.watch = engine.NewWatcher()
	a.watch.Observe(lab)
	a.outNext, a.noteNext, a.carry, a.behind, a.logShown, a.pageIns = 0, 0, 0, false, 0, nil
	for i, e := range lab.Log() {
		if e.Console == PageConsole {
			a.pageIns = append(a.pageIns, pageInput{text: e.Text, n: i})
		}
	}
	for _, name := range a.order {
		a.consoles[name].clear()
		a.consoles[name].history, a.consoles[name].hpos = nil, 0
	}
	for _, e := range lab.Log() {
		if e.Console != PageConsole {
			a.console(e.Console).remember(e.Text)
		}
	}
	if err := errors.Join(a.events.Clear(), a.cmds.Clear()); err != nil {
		return err
	}
	a.restored = ""
	a.cp = checkpointer{}
	a.newNotes = true
	switch {
	case a.shared:
		// A run from a link: still in memory until Keep.
		a.startPersister(session.NewSaver(store.Memory(a.opts.DB), 0), nil)
		a.announce(said + " In memory: this page shows a run from a link and saves nothing until you keep it.")
		if done != nil {
			done(nil)
		}
		return a.render()
	case a.lockState == lockOther || a.lockState == lockLost:
		// Not this tab's database: start again in memory only.
		a.startPersister(session.NewSaver(store.Memory(a.opts.DB), 0), nil)
		a.announce(said + " In memory: another tab saves this lab.")
		if done != nil {
			done(nil)
		}
		return a.render()
	case a.real == nil:
		a.problem = "Not saving: IndexedDB is not available here. The model runs in memory; a reload starts it again."
		if a.opts.Memory {
			a.problem = ""
		}
		a.startPersister(session.NewSaver(store.Memory(a.opts.DB), 0), nil)
		a.pers.Flush(a.capture(), done)
	default:
		a.problem = ""
		a.pers.resetReleased()
		a.pers.Reset(a.real, a.capture(), done)
	}
	a.flushedAt = dom.Now()
	a.announce(said + " The state saved before was cleared.")
	return a.render()
}

// Keep makes the run from a link the lab saved in this browser, replacing
// what was saved, and drops the link from the address. It never blocks.
func (a *App) Keep(done func(error)) {
	if !a.shared || a.real == nil {
		if done != nil {
			done(errors.New("there is no run from a link to keep, or this browser cannot save"))
		}
		return
	}
	a.shared, a.problem, a.linkNote = false, "", ""
	a.pers.resetReleased()
	a.pers.Reset(a.real, a.capture(), done)
	a.flushedAt = dom.Now()
	here := dom.Here()
	_ = dom.ReplaceURL(here.Pathname)
	a.announce("Kept: this run is now the lab saved in this browser.")
}

// Play sets simulated time running; Pause stops it.
func (a *App) Play()  { a.playing = true; a.behind = false }
func (a *App) Pause() { a.playing = false; a.flush(nil) }

// Playing reports whether time runs.
func (a *App) Playing() bool { return a.playing }

// Step pauses and processes exactly one event of the cluster, and reports
// whether there was one. Console wake-ups on the way (a \run ending) are
// not events: they happen as they come, without counting as the step.
func (a *App) Step() bool {
	a.playing = false
	before := a.lab.Events()
	gen := a.lab.Generation()
	for range 10000 {
		if !a.lab.Step() {
			break
		}
		if a.lab.Events() != before || a.lab.Generation() != gen {
			break
		}
	}
	a.watch.Observe(a.lab)
	a.guide.stopHere(a.lab)
	a.flush(nil)
	return a.lab.Events() != before
}

// SetSpeed selects Speeds[i].
func (a *App) SetSpeed(i int) {
	a.speed = min(max(i, 0), len(Speeds)-1)
	a.behind = false
}

// Speed returns the index in Speeds.
func (a *App) Speed() int { return a.speed }

// advance moves simulated time on by dtMS of wall time at the current
// speed, spending at most simBudgetMS of wall time and maxEventsPerFrame
// events on it, and checking the invariants after every event. When the
// model cannot keep up, time lags rather than the page stalling.
func (a *App) advance(dtMS float64) int {
	want := Speeds[a.speed].NS*dtMS/1000 + a.carry
	d := engine.Time(want)
	a.carry = want - float64(d)
	target := a.lab.Now() + d
	deadline := dom.Now() + simBudgetMS
	for i := 1; ; i++ {
		if a.lab.NextAt() > target {
			a.lab.RunUntil(target)
			a.watch.Observe(a.lab)
			a.behind = false
			return i - 1
		}
		a.lab.Step()
		a.watch.Observe(a.lab)
		if a.guide.stopHere(a.lab) {
			a.playing, a.carry = false, 0
			a.flush(nil)
			return i
		}
		if i >= maxEventsPerFrame || (i%8 == 0 && dom.Now() > deadline) {
			a.behind, a.carry = true, 0
			return i
		}
	}
}

// frame is one animation frame: time, the checkpoint's share, the flush,
// and one batch of DOM updates.
func (a *App) frame(ms float64) {
	if a.stopped {
		return
	}
	t0 := dom.Now()
	dt := ms - a.lastFrame
	if a.lastFrame == 0 || dt < 0 {
		dt = 0
	}
	a.lastFrame = ms
	dt = min(dt, 100) // a background tab comes back without a jump
	if a.restoring != nil {
		a.restoreWork(restoreBudgetMS)
		if a.restoring != nil {
			a.ui.renderRestoring(a)
		}
		var err error
		if a.next, err = dom.AnimationFrame(a.frame); err != nil {
			dom.OnPanic("requestAnimationFrame", err)
		}
		return
	}
	events := 0
	switch {
	case a.guide.ffwd:
		events = a.fastForward()
	case a.playing:
		events = a.advance(dt)
	}
	t1 := dom.Now()
	a.checkpointWork(ms)
	a.maybeFlush(ms)
	t2 := dom.Now()
	a.phases = [phCount]float64{}
	if v := a.version(); a.playing || v != a.drawn {
		a.drawn = v
		if err := a.render(); err != nil && a.frameErr == nil {
			a.frameErr = err
			dom.OnPanic("rendering", err)
		}
	}
	gcs, heap := gcCount()
	a.perf.add(frameSample{interval: dt, sim: t1 - t0, save: t2 - t1, total: dom.Now() - t0, events: events,
		phases: a.phases, gcs: gcs, heap: heap})
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
	released        uint64
	notes           uint64
	log             int
	flushes         int
	saveErr         error
	busy, measure   bool
	problem         string
	playing, behind bool
	speed           int
	sel             uint32
	gen             int
	guide           int
}

func (a *App) version() drawnVersion {
	st := a.pers.Status()
	_, outs := a.lab.Outputs(a.outNext)
	return drawnVersion{
		now: a.lab.Now(), events: a.lab.Events(), outputs: outs, released: st.Released, notes: a.lab.NoteCount(),
		log: len(a.lab.Log()), flushes: st.Flushes, saveErr: st.Err, busy: st.Busy, measure: a.measure, problem: a.problem,
		playing: a.playing, behind: a.behind, speed: a.speed, sel: a.selPG, gen: a.lab.Generation(),
		guide: a.guide.version,
	}
}

// Render phases, timed for auroraLab.perf().
const (
	phOutputs = iota
	phSnapshot
	phTopology
	phVolume
	phEvents
	phChecks
	phStatus
	phCount
)

// phaseNames name the render phases in auroraLab.perf().
var phaseNames = [phCount]string{"outputs", "snapshot", "topology", "volume", "events", "checks", "status"}

// render draws the model as it is now.
func (a *App) render() error {
	var ph [phCount]float64
	t := dom.Now()
	lap := func(i int) {
		now := dom.Now()
		ph[i] += now - t
		t = now
	}
	defer func() { a.phases = ph }()
	if a.measure {
		if w, err := a.ui.topoHost.PropFloat("clientWidth"); err == nil && w > 0 {
			a.width = w
		}
		if w, err := a.ui.volHost.PropFloat("clientWidth"); err == nil && w > 0 {
			a.vol.SetWidth(w - 4)
		}
		a.measure = false
	}
	if err := a.takeLog(); err != nil {
		return err
	}
	if err := a.takeOutputs(); err != nil {
		return err
	}
	lap(phOutputs)
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
	a.topo.Selected = a.selPG
	a.vol.Selected = a.selPG
	a.topo.Highlight, a.vol.Highlight = a.guide.lit, a.guide.lit
	a.topo.ReducedMotion = a.reduced
	links := a.lab.Links()
	lap(phSnapshot)
	if err := a.topo.Render(&s, links, a.width); err != nil {
		return err
	}
	lap(phTopology)
	if err := a.vol.Render(&s); err != nil {
		return err
	}
	lap(phVolume)
	if err := a.events.Add(s.Notes); err != nil {
		return err
	}
	lap(phEvents)
	if err := a.checks.Render(a.watch.Reports(), a.watch.Acked()); err != nil {
		return err
	}
	lap(phChecks)
	if err := a.renderConsoles(&s); err != nil {
		return err
	}
	a.ui.renderFaults(a, &s)
	err := errors.Join(a.ui.renderStatus(a, &s), a.renderGuide(), a.narrate(&s))
	lap(phStatus)
	return err
}

// takeLog shows the command log's new entries.
func (a *App) takeLog() error {
	log := a.lab.Log()
	if a.logShown > len(log) {
		a.logShown = 0
	}
	if len(log)-a.logShown > view.MaxCommands { // a restore: only the newest are shown
		a.cmds.Skip(len(log) - view.MaxCommands - a.logShown)
		a.logShown = len(log) - view.MaxCommands
	}
	for ; a.logShown < len(log); a.logShown++ {
		if err := a.cmds.Add(log[a.logShown]); err != nil {
			return err
		}
	}
	return a.cmds.Flush()
}

// takeOutputs routes new outputs to their consoles, but only those a
// committed flush covers: an acknowledgement is shown only once the flush
// that makes it durable has committed.
func (a *App) takeOutputs() error {
	outs, next := a.lab.Outputs(a.outNext)
	released := a.pers.Status().Released
	first := next - uint64(len(outs))
	if released < next {
		n := int(max(int64(released)-int64(first), 0))
		outs, next = outs[:n], first+uint64(n)
	}
	a.outNext = next
	// A console shows its newest maxShown outputs: after a restore, skip
	// what would be dropped at once.
	per := map[string]int{}
	for i := range outs {
		per[outs[i].Console]++
	}
	var last string
	for i := range outs {
		o := &outs[i]
		if o.Kind == engine.OutGuide {
			if said := a.guide.take(o); said != "" && a.rendered {
				last = said
			}
			continue
		}
		if per[o.Console] > maxShown && o.Console != PageConsole {
			per[o.Console]--
			continue
		}
		if o.Kind == engine.OutMeta && o.OK && strings.HasPrefix(strings.TrimSpace(o.Input), `\cluster`) {
			a.newNotes = true
		}
		if o.Console == PageConsole {
			text, failed := o.Text, o.Err != ""
			if failed {
				text = o.Err
			}
			for i, in := range a.pageIns {
				if strings.Contains(in.text, o.Input) {
					if err := a.cmds.Result(in.n, text, failed); err != nil {
						return err
					}
					a.pageIns = append(a.pageIns[:i], a.pageIns[i+1:]...)
					break
				}
			}
			a.ui.lastAction(o.Input, text, failed)
			last = "Done: " + o.Input + ": " + firstLine(text)
			continue
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

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
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

// ---------------------------------------------------------------- checkpoints

// checkpointer encodes the storage nodes' disks a few pieces per frame,
// from a snapshot taken at one moment, and hands the pieces that changed
// to the next flush.
type checkpointer struct {
	snap    *engine.DiskSnapshot
	base    map[string]uint64 // what the store held when the snapshot began
	sums    map[string]uint64
	puts    []engine.DiskRecord
	ready   *cpWrite
	startMS float64
	costMS  float64 // wall time the last checkpoint spent encoding
	last    engine.Mark
	have    bool
}

// checkpointWork starts a checkpoint when one is due, and encodes a frame's
// share of it.
func (a *App) checkpointWork(ms float64) {
	c := &a.cp
	st := a.pers.Status()
	if !st.Durable || c.ready != nil {
		return
	}
	if c.snap == nil {
		mark := engine.MarkOf(a.lab)
		if c.have && mark == c.last {
			return
		}
		if st.Checkpoint != nil && st.Checkpoint.Mark == mark {
			c.last, c.have = mark, true
			return
		}
		interval := max(checkpointEveryMS, 50*c.costMS)
		if a.playing && c.have && ms-c.startMS < interval {
			return
		}
		if !c.have {
			c.have, c.startMS = true, ms // the first one waits a full interval
			if a.playing {
				return
			}
		}
		c.snap, c.base, c.costMS = a.lab.DiskSnapshot(), a.pers.Written(), 0
		c.sums, c.puts, c.startMS = map[string]uint64{}, nil, ms
	}
	t0 := dom.Now()
	for dom.Now()-t0 < checkpointBudgetMS {
		r, ok := c.snap.Next()
		if !ok {
			w := &cpWrite{puts: c.puts, sums: c.sums}
			for k := range c.base {
				if _, ok := c.sums[k]; !ok {
					w.deletes = append(w.deletes, k)
				}
			}
			w.header = session.Checkpoint{Mark: c.snap.Mark, Digest: session.Digest(c.sums), Stats: c.snap.Stats()}
			c.ready, c.last, c.snap, c.puts = w, c.snap.Mark, nil, nil
			break
		}
		sum := engine.DiskSum(r.Data)
		c.sums[r.Key] = sum
		if old, ok := c.base[r.Key]; !ok || old != sum {
			c.puts = append(c.puts, r)
		}
	}
	c.costMS += dom.Now() - t0
}
