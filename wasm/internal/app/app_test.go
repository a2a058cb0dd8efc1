//go:build js && wasm

package app

import (
	"context"
	"errors"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
	"aurora-lab/wasm/internal/session"
	"aurora-lab/wasm/internal/store"
)

// mount mounts a page in a fresh element. Each test names its own
// database (the tests share one browser profile); it is deleted first.
func mount(t *testing.T, opts Options) (*App, dom.Element) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	opts.NoLock = true
	if !opts.Memory && opts.OpenStore == nil {
		if err := store.Delete(ctx, js.Global(), opts.DB); err != nil {
			t.Fatal(err)
		}
	}
	a, root := remount(t, ctx, opts)
	t.Cleanup(func() {
		cancel()
		if !opts.Memory && opts.OpenStore == nil {
			_ = store.Delete(context.Background(), js.Global(), opts.DB)
		}
	})
	return a, root
}

// remount mounts another page on the same database, as a reload does.
func remount(t *testing.T, ctx context.Context, opts Options) (*App, dom.Element) {
	t.Helper()
	opts.NoLock = true
	return mountIn(t, ctx, opts)
}

// mountIn mounts a page in a fresh element with opts as they are.
func mountIn(t *testing.T, ctx context.Context, opts Options) (*App, dom.Element) {
	t.Helper()
	doc, err := dom.Doc()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := doc.Body()
	root, _ := doc.Create("div")
	if err := body.Append(root); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = root.Remove() })
	a, err := Mount(ctx, root, opts)
	if err != nil {
		t.Fatal(err)
	}
	a.restoreAll()
	t.Cleanup(a.Stop)
	return a, root
}

func q(t *testing.T, root dom.Element, sel string) dom.Element {
	t.Helper()
	e, ok, err := root.Query(sel)
	if err != nil || !ok {
		t.Fatalf("no %s (%v)", sel, err)
	}
	return e
}

func textOf(t *testing.T, e dom.Element) string {
	t.Helper()
	s, _ := e.Text()
	return s
}

// key types text into a console input and presses a key, as a person
// does: the value, then a keydown the page may cancel.
func key(t *testing.T, input dom.Element, value, k string, shift bool) (prevented bool) {
	t.Helper()
	if value != "\x00" {
		_ = input.SetProp("value", value)
		n := len([]rune(value))
		input.JS().Call("setSelectionRange", n, n)
	}
	init := js.Global().Get("Object").New()
	init.Set("key", k)
	init.Set("shiftKey", shift)
	init.Set("cancelable", true)
	init.Set("bubbles", true)
	return !input.JS().Call("dispatchEvent", js.Global().Get("KeyboardEvent").New("keydown", init)).Bool()
}

// waitFlush does what the frames do about saving until a flush that
// covers everything so far has committed.
func waitFlush(t *testing.T, a *App) {
	t.Helper()
	done := make(chan error, 1)
	a.flush(func(err error) { done <- err })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		a.maybeFlush(dom.Now())
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatal("no flush within 10s")
}

// settle flushes and draws.
func settle(t *testing.T, a *App) {
	t.Helper()
	waitFlush(t, a)
	if err := a.render(); err != nil {
		t.Fatal(err)
	}
}

func TestConsoleAndRender(t *testing.T) {
	a, root := mount(t, Options{DB: "test-app-console", Paused: true})
	nodes, _ := root.QueryAll("svg g.node")
	if len(nodes) != 6 {
		t.Fatalf("%d nodes drawn", len(nodes))
	}
	in := q(t, root, `section[data-console="w1"] textarea`)
	q(t, root, `section[data-console="r1"] textarea`)

	// Enter runs a complete input.
	if !key(t, in, `\crash b1`, "Enter", false) {
		t.Fatal("Enter on a complete input was not taken")
	}
	if v, _ := in.PropString("value"); v != "" {
		t.Fatalf("input keeps %q after running", v)
	}
	settle(t, a)
	out := textOf(t, q(t, root, `section[data-console="w1"] ol.outputs`))
	if !strings.Contains(out, `\crash b1`) || !strings.Contains(out, "crashed: b1") {
		t.Fatalf("w1 outputs: %q", out)
	}
	if st, _, _ := q(t, root, `g.node[data-node="b1"]`).Attr("data-state"); st != "down" {
		t.Fatalf("b1 is %s after \\crash b1", st)
	}

	// A malformed meta-command is refused at the input with its position;
	// nothing is queued.
	before := len(a.lab.Log())
	key(t, in, "\\status\n\\crash", "Enter", false)
	errText := textOf(t, q(t, root, `section[data-console="w1"] .input-error`))
	if !strings.Contains(errText, "line 2, column") {
		t.Fatalf("parse error shown as %q", errText)
	}
	if inv, _, _ := in.Attr("aria-invalid"); inv != "true" {
		t.Fatal("input not marked invalid")
	}
	if v, _ := in.PropString("value"); v != "\\status\n\\crash" {
		t.Fatalf("input lost its text: %q", v)
	}
	if start, _ := in.PropInt("selectionStart"); start < len("\\status\n") {
		t.Fatalf("selection at %d, not on line 2", start)
	}
	if len(a.lab.Log()) != before {
		t.Fatal("a parse error was logged")
	}

	// An open statement: Enter adds a line; Shift+Enter always does.
	if key(t, in, "select 1", "Enter", false) {
		t.Fatal("Enter ran an unterminated statement")
	}
	if key(t, in, `\status`, "Enter", true) {
		t.Fatal("Shift+Enter ran the input")
	}
	if len(a.lab.Log()) != before {
		t.Fatal("input was submitted")
	}

	// Errors of a statement that ran are shown distinctly, with position.
	key(t, in, "SELECT v FROM missing_table;", "Enter", false)
	a.lab.RunFor(50 * engine.Millisecond)
	settle(t, a)
	errs, _ := root.QueryAll(`section[data-console="w1"] li.failed .res.err`)
	if len(errs) != 1 {
		t.Fatalf("%d failed outputs shown, want 1", len(errs))
	}
	if got := textOf(t, errs[0]); !strings.HasPrefix(got, "✖") || !strings.Contains(got, "line 1, column") || !strings.Contains(got, "missing_table") {
		t.Fatalf("statement error shown as %q", got)
	}

	// History: ArrowUp on an empty input recalls the last inputs.
	_ = in.SetProp("value", "")
	if !key(t, in, "\x00", "ArrowUp", false) {
		t.Fatal("ArrowUp not taken")
	}
	if v, _ := in.PropString("value"); v != "SELECT v FROM missing_table;" {
		t.Fatalf("ArrowUp gave %q", v)
	}
	key(t, in, "\x00", "ArrowUp", false)
	if v, _ := in.PropString("value"); v != `\crash b1` {
		t.Fatalf("second ArrowUp gave %q", v)
	}
	key(t, in, "\x00", "ArrowDown", false)
	key(t, in, "\x00", "ArrowDown", false)
	if v, _ := in.PropString("value"); v != "" {
		t.Fatalf("ArrowDown back to the draft gave %q", v)
	}
}

// TestRestoreFromIndexedDB: what ran before a reload is there after it,
// from IndexedDB: the cluster state, the outputs and the history.
func TestRestoreFromIndexedDB(t *testing.T) {
	const db = "test-app-restore"
	a, _ := mount(t, Options{DB: db, Paused: true})
	if err := a.Submit("w1", `\crash b1`); err != nil {
		t.Fatal(err)
	}
	a.lab.RunFor(3 * engine.Millisecond)
	if err := a.Submit("r1", `\status`); err != nil {
		t.Fatal(err)
	}
	a.Step()
	waitFlush(t, a)
	if st := a.pers.Status(); !st.Durable || st.Entries != 2 || st.Err != nil {
		t.Fatalf("save status %+v", st)
	}

	b, root := remount(t, context.Background(), Options{DB: db, Paused: true})
	if b.Problem() != "" {
		t.Fatalf("problem after reload: %s", b.Problem())
	}
	if b.lab.Now() != a.lab.Now() || b.lab.Events() != a.lab.Events() {
		t.Fatalf("restored at %v after %d events, saved at %v after %d", b.lab.Now(), b.lab.Events(), a.lab.Now(), a.lab.Events())
	}
	if st, _, _ := q(t, root, `g.node[data-node="b1"]`).Attr("data-state"); st != "down" {
		t.Fatalf("b1 is %s after reload", st)
	}
	out := textOf(t, q(t, root, `section[data-console="w1"] ol.outputs`))
	if !strings.Contains(out, "crashed: b1") {
		t.Fatalf("w1 outputs after reload: %q", out)
	}
	if h := b.console("w1").history; len(h) != 1 || h[0] != `\crash b1` {
		t.Fatalf("w1 history after reload: %q", h)
	}
	if len(b.lab.Log()) != 2 {
		t.Fatalf("restored log has %d entries", len(b.lab.Log()))
	}
}

// TestCorruptState: stored data that fails its checksum is reported
// plainly, the page runs in memory, and Reset clears the store.
func TestCorruptState(t *testing.T) {
	const db = "test-app-corrupt"
	ctx := context.Background()
	if err := store.Delete(ctx, js.Global(), db); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var b store.Batch
	b.Put(store.Meta, session.HeaderKey, []byte(`{"format":1,"config":"seed=1","entries":0}`))
	if err := st.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	// Flip the stored bytes behind the store's back.
	flip := js.Global().Get("Function").New("name", `
		return new Promise((resolve, reject) => {
			const r = indexedDB.open(name);
			r.onsuccess = () => {
				const db = r.result;
				const tx = db.transaction("meta", "readwrite");
				const os = tx.objectStore("meta");
				const g = os.get("session");
				g.onsuccess = () => { const v = g.result; v.data[3] ^= 1; os.put(v, "session"); };
				tx.oncomplete = () => { db.close(); resolve(); };
				tx.onerror = () => reject(tx.error);
			};
			r.onerror = () => reject(r.error);
		});`).Invoke(db)
	flipped := make(chan struct{})
	then := js.FuncOf(func(js.Value, []js.Value) any { close(flipped); return nil })
	defer then.Release()
	flip.Call("then", then)
	select {
	case <-flipped:
	case <-time.After(10 * time.Second):
		t.Fatal("could not corrupt the stored record")
	}
	st.Close()

	t.Cleanup(func() { _ = store.Delete(context.Background(), js.Global(), db) })
	a, root := remount(t, ctx, Options{DB: db, Paused: true})
	if !strings.Contains(a.Problem(), "checksum") {
		t.Fatalf("problem = %q, want the checksum failure", a.Problem())
	}
	banner := q(t, root, "div.banner")
	if hidden, _ := banner.JS().Get("hidden"), 0; hidden.Bool() || !strings.Contains(textOf(t, banner), "checksum") {
		t.Fatalf("banner %q hidden=%v", textOf(t, banner), hidden.Bool())
	}
	if a.pers.Status().Durable {
		t.Fatal("saving to the corrupt store")
	}
	if !strings.Contains(textOf(t, q(t, root, ".statusbar .saved")), "not saved") {
		t.Fatal("status does not say the page is not saving")
	}

	done := make(chan error, 1)
	if err := a.Reset(func(err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if a.Problem() != "" || !a.pers.Status().Durable {
		t.Fatalf("after reset: problem %q, durable %v", a.Problem(), a.pers.Status().Durable)
	}
	c, _ := remount(t, ctx, Options{DB: db, Paused: true})
	if c.Problem() != "" {
		t.Fatalf("after reset and reload: %s", c.Problem())
	}
}

func TestNoIndexedDB(t *testing.T) {
	a, root := mount(t, Options{DB: "unused", Paused: true, OpenStore: func(context.Context, string) (*store.Store, error) {
		return nil, errors.Join(store.ErrUnavailable, errors.New("blocked in this frame"))
	}})
	if !strings.Contains(a.Problem(), "Not saving") || !strings.Contains(a.Problem(), "blocked in this frame") {
		t.Fatalf("problem = %q", a.Problem())
	}
	if err := a.Submit("w1", `\crash a1`); err != nil {
		t.Fatal(err)
	}
	waitFlush(t, a)
	if err := a.render(); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, q(t, root, ".statusbar .saved")); !strings.Contains(got, "in memory only") {
		t.Fatalf("saved status %q", got)
	}
	if st, _, _ := q(t, root, `g.node[data-node="a1"]`).Attr("data-state"); st != "down" {
		t.Fatal("the page does not work in memory")
	}
}

// TestTimeControls: step processes exactly one event; play advances time
// by the speed; pause stops it.
func TestTimeControls(t *testing.T) {
	a, root := mount(t, Options{Memory: true, DB: "mem"})
	// A new cluster has its start-up events pending; each click on Step
	// processes exactly one of them.
	if a.lab.NextAt() == engine.Never {
		t.Fatal("a new cluster has nothing pending to step through")
	}
	for i := range 3 {
		ev := a.lab.Events()
		q(t, root, "button.step").JS().Call("click")
		if a.Playing() {
			t.Fatal("step left time running")
		}
		if got := a.lab.Events(); got != ev+1 {
			t.Fatalf("step %d: %d events, want %d", i, got, ev+1)
		}
	}

	now := a.lab.Now()
	a.SetSpeed(15) // 1 s per second
	q(t, root, "button.play").JS().Call("click")
	if !a.Playing() {
		t.Fatal("play did not start time")
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	// The frames move time on; no figure of wall time is asserted.
	for deadline := time.Now().Add(20 * time.Second); a.lab.Now()-now < 20*engine.Millisecond && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	q(t, root, "button.play").JS().Call("click")
	a.Stop()
	if a.Playing() {
		t.Fatal("pause did not stop time")
	}
	if got := a.lab.Now() - now; got < 20*engine.Millisecond {
		t.Fatalf("time did not run: %v in 20 s of frames", got)
	}
	paused := a.lab.Now()
	time.Sleep(100 * time.Millisecond)
	if a.lab.Now() != paused {
		t.Fatal("time ran while paused")
	}
	if err := a.render(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(textOf(t, q(t, root, ".statusbar .clock")), a.lab.Now().String()) {
		t.Fatalf("clock shows %q, model at %v", textOf(t, q(t, root, ".statusbar .clock")), a.lab.Now())
	}
}

func TestJSAPI(t *testing.T) {
	a, _ := mount(t, Options{Memory: true, DB: "mem", Paused: true})
	if err := a.Expose(); err != nil {
		t.Fatal(err)
	}
	api := js.Global().Get(APIName)
	if js.Global().Get("document").Get("documentElement").Get("dataset").Get("state").String() != "ready" {
		t.Fatal("data-state not ready")
	}
	if js.Global().Get("performance").Call("getEntriesByName", "aurora:first-render").Length() == 0 {
		t.Fatal("no first-render mark")
	}
	ok := api.Call("run", "w1", `\crash c2`)
	if !ok.Get("ok").Bool() {
		t.Fatalf("run: %v", ok.Get("error"))
	}
	bad := api.Call("run", "w1", `\nonsense`)
	if bad.Get("ok").Bool() || bad.Get("line").Int() != 1 || bad.Get("col").Int() != 1 || bad.Get("error").String() == "" {
		t.Fatalf("run of a bad command: ok %v line %v col %v", bad.Get("ok"), bad.Get("line"), bad.Get("col"))
	}
	snap := api.Call("snapshot")
	nodes := snap.Get("nodes")
	if nodes.Length() != 6 {
		t.Fatalf("snapshot has %d nodes", nodes.Length())
	}
	for i := range nodes.Length() {
		n := nodes.Index(i)
		if n.Get("name").String() == "c2" && n.Get("up").Bool() {
			t.Fatal("c2 up in the API snapshot after \\crash c2")
		}
	}
	if api.Call("outputs", 0).Get("outputs").Length() != 0 {
		t.Fatal("outputs before the flush that makes them durable")
	}
	waitFlush(t, a)
	outs := api.Call("outputs", 0)
	if outs.Get("outputs").Length() == 0 || outs.Get("next").Int() != outs.Get("outputs").Length() {
		t.Fatalf("outputs: %d, next %d", outs.Get("outputs").Length(), outs.Get("next").Int())
	}
	if api.Call("outputs", 1e9).Get("outputs").Length() != 0 {
		t.Fatal("outputs past the end")
	}
	if !api.Call("complete", `\status`).Bool() || api.Call("complete", "select 1").Bool() {
		t.Fatal("complete")
	}
	if api.Call("log").Length() != 1 {
		t.Fatal("log")
	}
	api.Call("play")
	if !a.Playing() {
		t.Fatal("play")
	}
	api.Call("pause")
	if a.Playing() {
		t.Fatal("pause")
	}
	if sp := api.Call("speed", 0); sp.Get("index").Int() != 0 || sp.Get("label").String() != Speeds[0].Label {
		t.Fatal("speed")
	}
	if st := api.Call("status"); st.Get("storage").Get("durable").Bool() || st.Get("playing").Bool() {
		t.Fatal("status")
	}
	if api.Get("ready").Type() != js.TypeObject {
		t.Fatal("no ready promise")
	}
}
