//go:build js && wasm

package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall/js"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
	"aurora-lab/wasm/internal/share"
)

// APIName is the global through which host pages and tests drive the page.
const APIName = "auroraLab"

// Expose installs the JavaScript API on window.auroraLab, keeping the ready
// promise that boot.js put there (or making a resolved one); once the saved
// session is restored it sets <html data-state="ready">, marks
// "aurora:ready" for the page-timing benchmark, and resolves ready. (Mount
// marks "aurora:first-render" when it has drawn the page.)
//
// The API, every call synchronous unless it says it returns a promise:
//
//	run(console, text)   submit input as if typed: {ok: true} or
//	                     {ok: false, error, line, col} for a parse error
//	                     (nothing is queued then); console "page" is the
//	                     one the page's controls use
//	snapshot(noteSince)  the model's snapshot as a plain object; notes made
//	                     after the first noteSince of them (default: all kept)
//	outputs(since)       {outputs: [...], next}: outputs after the first since,
//	                     only those the page has shown (a committed flush
//	                     covers them)
//	log()                the command log: [{e, t, c, s}, ...]
//	links()              the links with a fault: [{a, b, cut, latency, loss}]
//	checks()             the invariant checkers' verdicts: [{name, ok,
//	                     checks, violations, first, at}]
//	complete(text)       whether Enter would run text
//	pause(), play()      stop and start simulated time
//	step()               pause and process exactly one event: whether there was one
//	speed(i)             select speed i (see speeds); returns {index, label, ns}
//	speeds               the speeds: [{label, ns}], ns of simulated time per second
//	status()             {playing, now, events, storage: {durable, name, entries,
//	                     flushes, error, released, writer, checkpoint}, problem,
//	                     restored}
//	perf()               the recent frames and flushes: {frames: [{interval,
//	                     sim, total, events}], flushes: [{ms, records}]}
//	perfReset()          forget them
//	flush()              promise: save now; resolves with the saved entry count
//	reset()              promise: new default cluster, saved state cleared
//	takeOver()           ask the tab that saves this lab to hand over, then
//	                     reload (a tab that does not save it)
//	guide()              the guided scenario: {active, name, title, step,
//	                     steps, tried, try, targets, pending, scenarios}
//	start(name)          promise: start guided scenario name ("" for free
//	                     play: a new default cluster); no confirmation asked
//	next(), skip()       run to the scenario's next step; skip ahead to it
//	                     as fast as the model runs
//	share()              the link that replays this run to this moment
//	embedCode()          the iframe line that embeds the current scenario
//	exportRun()          the run as a console-language file
//	importRun(text)      replace the run with an exported file (or run a
//	                     script as a scenario): {ok, message}
//	keep()               promise: make a run opened from a link the lab
//	                     saved in this browser
//	ready                promise resolved (with the API) once the page has
//	                     rendered and restored the saved session;
//	                     data-state="ready" on <html> says the same
//	                     ("restoring" while the replay runs)
func (a *App) Expose() error {
	win := js.Global()
	api := win.Get(APIName)
	if api.Type() != js.TypeObject {
		api = js.Global().Get("Object").New()
		win.Set(APIName, api)
	}
	fns := map[string]func([]js.Value) any{
		"run":      a.jsRun,
		"snapshot": a.jsSnapshot,
		"outputs":  a.jsOutputs,
		"log": func([]js.Value) any {
			log := a.lab.Log()
			if log == nil {
				log = []engine.Entry{}
			}
			return toJS(log)
		},
		"complete": func(args []js.Value) any {
			return len(args) > 0 && engine.Complete(args[0].String())
		},
		"pause": func([]js.Value) any { a.Pause(); return nil },
		"play":  func([]js.Value) any { a.Play(); return nil },
		"step":  func([]js.Value) any { return a.Step() },
		"speed": func(args []js.Value) any {
			if len(args) > 0 && args[0].Type() == js.TypeNumber {
				a.SetSpeed(args[0].Int())
			}
			sp := Speeds[a.speed]
			return map[string]any{"index": a.speed, "label": sp.Label, "ns": sp.NS}
		},
		"status": a.jsStatus,
		"flush":  a.jsFlush,
		"reset":  a.jsReset,
		"links":  func([]js.Value) any { return toJS(nonNil(a.lab.Links())) },
		"checks": func([]js.Value) any { return toJS(a.watch.Reports()) },
		"perf":   a.jsPerf,
		"perfReset": func([]js.Value) any {
			a.perf.frames = nil
			a.pers.mu.Lock()
			a.pers.status.Times, a.pers.status.Records = nil, nil
			a.pers.mu.Unlock()
			return nil
		},
		"takeOver": func([]js.Value) any { a.TakeOver(); return nil },
		"guide":    a.jsGuide,
		"start": func(args []js.Value) any {
			p, resolve, reject := dom.NewPromise()
			name := ""
			if len(args) > 0 && args[0].Type() == js.TypeString {
				name = args[0].String()
			}
			a.StartScenario(name, func(err error) {
				if err != nil {
					reject(err)
					return
				}
				resolve(true)
			})
			return p
		},
		"next":      func([]js.Value) any { a.Next(); return nil },
		"skip":      func([]js.Value) any { a.SkipAhead(); return nil },
		"share":     func([]js.Value) any { return a.ShareLink() },
		"embedCode": func([]js.Value) any { return a.EmbedCode() },
		"exportRun": func([]js.Value) any { return share.Export(a.Run()) },
		"importRun": func(args []js.Value) any {
			if len(args) == 0 || args[0].Type() != js.TypeString {
				return map[string]any{"ok": false, "message": "importRun(text): a string expected"}
			}
			msg := a.importText("the text", args[0].String(), nil)
			return map[string]any{"ok": strings.HasPrefix(msg, "✓"), "message": msg}
		},
		"keep": func([]js.Value) any {
			p, done := a.settle()
			a.Keep(done)
			return p
		},
	}
	for name, fn := range fns {
		api.Set(name, dom.Func(APIName+"."+name, fn))
	}
	speeds := make([]any, len(Speeds))
	for i, sp := range Speeds {
		speeds[i] = map[string]any{"label": sp.Label, "ns": sp.NS}
	}
	api.Set("speeds", speeds)

	root, err := a.doc.Root()
	if err != nil {
		return err
	}
	// Ready once the saved session is restored (at once when there is
	// none): data-state="ready" and the ready promise say so.
	a.onReady = func() {
		_ = dom.Mark("aurora:ready")
		if err := root.SetData("state", "ready"); err != nil {
			dom.OnPanic("ready", err)
		}
		boot := api.Get("_boot")
		if boot.Type() == js.TypeObject {
			boot.Call("resolve", api)
		} else if api.Get("ready").Type() != js.TypeObject {
			api.Set("ready", js.Global().Get("Promise").Call("resolve", api))
		}
	}
	if a.isReady || a.restoring == nil {
		a.isReady = false
		a.markReady()
	} else {
		_ = root.SetData("state", "restoring")
	}
	return nil
}

// toJS turns a Go value into a plain JavaScript value through JSON.
func toJS(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return js.Global().Get("Error").New(err.Error())
	}
	out, err := dom.JSONParse(string(raw))
	if err != nil {
		return js.Global().Get("Error").New(err.Error())
	}
	return out
}

func (a *App) jsRun(args []js.Value) any {
	if len(args) < 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
		return map[string]any{"ok": false, "error": "run(console, text): two strings expected"}
	}
	err := a.Submit(args[0].String(), args[1].String())
	if err == nil {
		return map[string]any{"ok": true}
	}
	res := map[string]any{"ok": false, "error": err.Error()}
	var pe *engine.ParseError
	if errors.As(err, &pe) {
		res["line"], res["col"], res["message"] = pe.Line, pe.Col, pe.Msg
	}
	return res
}

func (a *App) jsSnapshot(args []js.Value) any {
	since := uint64(0)
	if len(args) > 0 && args[0].Type() == js.TypeNumber && args[0].Float() > 0 {
		since = min(uint64(args[0].Float()), a.lab.NoteCount())
	}
	return toJS(a.lab.SnapshotSince(since))
}

func (a *App) jsOutputs(args []js.Value) any {
	since := uint64(0)
	if len(args) > 0 && args[0].Type() == js.TypeNumber && args[0].Float() > 0 {
		since = uint64(args[0].Float())
	}
	outs, next := a.lab.Outputs(min(since, a.outNextMax()))
	if released := a.pers.Status().Released; released < next {
		first := next - uint64(len(outs))
		n := int(max(int64(released)-int64(first), 0))
		outs, next = outs[:n], first+uint64(n)
	}
	return toJS(struct {
		Outputs []engine.Output `json:"outputs"`
		Next    uint64          `json:"next"`
	}{outs, next})
}

// outNextMax is the count of outputs ever produced, the largest valid
// cursor.
func (a *App) outNextMax() uint64 {
	_, next := a.lab.Outputs(0)
	return next
}

func (a *App) jsStatus([]js.Value) any {
	st := a.pers.Status()
	errText := ""
	if st.Err != nil {
		errText = st.Err.Error()
	}
	cp := map[string]any(nil)
	if c := st.Checkpoint; c != nil {
		cp = map[string]any{"at": float64(c.Mark.At), "events": float64(c.Mark.Events), "entries": c.Mark.Entries,
			"segments": c.Stats.Segments, "records": c.Stats.Records, "pages": c.Stats.Pages, "bytes": c.Stats.Bytes}
	}
	_, outs := a.lab.Outputs(0)
	return map[string]any{
		"trace":    fmt.Sprintf("%016x", a.lab.TraceHash()),
		"failures": a.lab.Failures(),
		"shared":   a.shared,
		"playing":  a.playing,
		"now":      float64(a.lab.Now()),
		"events":   float64(a.lab.Events()),
		"outputs":  float64(outs),
		"storage": map[string]any{
			"durable": st.Durable, "name": st.Name, "entries": st.Entries,
			"flushes": st.Flushes, "error": errText, "released": float64(st.Released),
			"writer": a.lockState == lockHeld || a.lockState == lockNone && st.Durable,
			"lock":   []string{"none", "held", "other tab", "lost"}[a.lockState], "checkpoint": cp,
		},
		"problem":    a.problem,
		"restored":   a.restored,
		"restoredAt": map[string]any{"at": float64(a.restoredAt.At), "events": float64(a.restoredAt.Events), "entries": a.restoredAt.Entries},
		"verdict": map[string]any{"checked": a.verdict.Checked, "stored": a.verdict.Stored, "replayed": a.verdict.Replayed,
			"at": float64(a.verdict.Mark.At), "records": a.verdict.Stats.Records, "pages": a.verdict.Stats.Pages, "segments": a.verdict.Stats.Segments},
	}
}

// settle returns a promise and a func(error) that settles it from the
// persister's goroutine with the saved entry count.
func (a *App) settle() (js.Value, func(error)) {
	p, resolve, reject := dom.NewPromise()
	return p, func(err error) {
		if err != nil {
			reject(err)
			return
		}
		resolve(a.pers.Status().Entries)
	}
}

func (a *App) jsFlush([]js.Value) any {
	p, done := a.settle()
	a.flush(done)
	return p
}

func (a *App) jsReset([]js.Value) any {
	p, done := a.settle()
	if err := a.Reset(done); err != nil {
		done(err)
	}
	return p
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (a *App) jsPerf([]js.Value) any {
	frames := make([]any, len(a.perf.frames))
	for i, f := range a.perf.frames {
		ph := map[string]any{}
		for j, n := range phaseNames {
			ph[n] = f.phases[j]
		}
		frames[i] = map[string]any{"interval": f.interval, "sim": f.sim, "save": f.save, "total": f.total, "events": f.events,
			"phases": ph, "gcs": float64(f.gcs), "heap": float64(f.heap)}
	}
	st := a.pers.Status()
	flushes := make([]any, len(st.Times))
	for i := range st.Times {
		flushes[i] = map[string]any{"ms": st.Times[i], "records": st.Records[i]}
	}
	return map[string]any{"frames": frames, "flushes": flushes}
}

func (a *App) jsGuide([]js.Value) any {
	g := &a.guide
	var names []any
	for _, e := range g.entries() {
		names = append(names, e.Name)
	}
	targets := make([]any, len(g.targets))
	for i, t := range g.targets {
		targets[i] = t
	}
	return map[string]any{
		"active": g.active, "name": g.name, "title": g.outline.Title, "step": g.step, "steps": len(g.outline.Steps),
		"tried": g.tried, "try": g.try, "targets": targets, "pending": a.lab.Pending(share.ScenarioConsole),
		"ffwd": g.ffwd, "scenarios": names,
	}
}
