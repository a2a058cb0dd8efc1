//go:build js && wasm

package app

import (
	"context"
	"fmt"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/session"
	"aurora-lab/wasm/internal/store"
)

// TestAckWaitsForFlush: a commit's output is shown only once the flush
// that makes it durable has committed.
func TestAckWaitsForFlush(t *testing.T) {
	a, root := mount(t, Options{DB: "test-app-ack", Paused: true})
	if err := a.Submit("w1", "CREATE TABLE t (id INT PRIMARY KEY);"); err != nil {
		t.Fatal(err)
	}
	if err := a.lab.RunUntilIdle(); err != nil {
		t.Fatal(err)
	}
	if err := a.render(); err != nil {
		t.Fatal(err)
	}
	out := `section[data-console="w1"] ol.outputs`
	if got := textOf(t, q(t, root, out)); strings.Contains(got, "commit LSN") {
		t.Fatalf("the commit is shown before any flush: %q", got)
	}
	if !strings.Contains(textOf(t, q(t, root, ".statusbar .saved")), "waiting for the disk") {
		t.Fatal("the status does not say a result waits for the disk")
	}
	settle(t, a)
	if got := textOf(t, q(t, root, out)); !strings.Contains(got, "commit LSN") {
		t.Fatalf("the commit is not shown after its flush: %q", got)
	}
	if st := a.pers.Status(); st.Entries != 1 || st.Released == 0 {
		t.Fatalf("status %+v", st)
	}
}

// TestCheckpointVerified: the storage nodes' disks are saved as a
// checkpoint; a reload replays the log to the checkpoint's moment and
// finds the same disks. A stored piece that does not belong is reported.
func TestCheckpointVerified(t *testing.T) {
	const db = "test-app-checkpoint"
	a, _ := mount(t, Options{DB: db, Paused: true})
	for _, in := range []string{"CREATE TABLE t (id INT PRIMARY KEY, v TEXT);", "INSERT INTO t VALUES (1, 'one'), (2, 'two');", `\crash b2`, "INSERT INTO t VALUES (3, 'three');"} {
		if err := a.Submit("w1", in); err != nil {
			t.Fatal(err)
		}
		if err := a.lab.RunUntilIdle(); err != nil {
			t.Fatal(err)
		}
	}
	a.lab.RunFor(20 * engine.Millisecond)
	// Paused, the next frames take a checkpoint at once.
	for a.cp.ready == nil {
		a.checkpointWork(dom0())
	}
	waitFlush(t, a)
	st := a.pers.Status()
	if st.Checkpoint == nil || st.Checkpoint.Stats.Segments == 0 || st.Checkpoint.Stats.Records+st.Checkpoint.Stats.Pages == 0 {
		t.Fatalf("checkpoint %+v", st.Checkpoint)
	}
	a.lab.RunFor(5 * engine.Millisecond) // the session goes on past the checkpoint
	if err := a.Submit("w1", "INSERT INTO t VALUES (4, 'four');"); err != nil {
		t.Fatal(err)
	}
	if err := a.lab.RunUntilIdle(); err != nil {
		t.Fatal(err)
	}
	waitFlush(t, a)

	b, _ := remount(t, context.Background(), Options{DB: db, Paused: true})
	if b.Problem() != "" {
		t.Fatalf("problem after reload: %s", b.Problem())
	}
	v := b.verdict
	if !v.Checked || !v.Stored || !v.Replayed || v.Mark != st.Checkpoint.Mark {
		t.Fatalf("verdict %+v, checkpoint at %+v", v, st.Checkpoint.Mark)
	}
	if !strings.Contains(b.restored, "match the saved ones") {
		t.Fatalf("restored: %q", b.restored)
	}
	if b.lab.Events() != a.lab.Events() || b.lab.TraceHash() != a.lab.TraceHash() {
		t.Fatal("the reload is not where the page was")
	}

	// A piece the checkpoint does not know: the saved disks no longer
	// match their digest, and the page says so.
	ctx := context.Background()
	raw, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var batch store.Batch
	batch.Put(store.Durable, "zz/s999", []byte("not a disk"))
	if err := raw.Write(ctx, &batch); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	c, _ := remount(t, ctx, Options{DB: db, Paused: true})
	if c.verdict.Stored || !strings.Contains(c.Problem(), "fail their checksum") {
		t.Fatalf("verdict %+v, problem %q", c.verdict, c.Problem())
	}
}

func dom0() float64 { return 0 }

// TestSecondTabDoesNotWrite: a page that finds the database's lock taken
// shows what was saved, runs in memory and writes nothing; when the
// writing page is asked to hand over, it saves and lets the lock go.
func TestSecondTabDoesNotWrite(t *testing.T) {
	const db = "test-app-tabs"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := store.Delete(ctx, js.Global(), db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Delete(context.Background(), js.Global(), db) })
	first, _ := mountIn(t, ctx, Options{DB: db, Paused: true})
	if first.lockState != lockHeld {
		t.Fatalf("the first page's lock state is %v", first.lockState)
	}
	if err := first.Submit("w1", `\crash a1`); err != nil {
		t.Fatal(err)
	}
	waitFlush(t, first)

	second, root := mountIn(t, ctx, Options{DB: db, Paused: true})
	if second.lockState != lockOther || !strings.Contains(second.Problem(), "open in another tab") {
		t.Fatalf("second page: lock %v, problem %q", second.lockState, second.Problem())
	}
	if hidden, _ := q(t, root, "button.take-over").JS().Get("hidden"), 0; hidden.Bool() {
		t.Fatal("no take-over button")
	}
	if len(second.lab.Log()) != 1 {
		t.Fatalf("the second page shows %d inputs, the first saved 1", len(second.lab.Log()))
	}
	if err := second.Submit("w1", `\crash b1`); err != nil {
		t.Fatal(err)
	}
	waitFlush(t, second)
	raw, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	saved, _, err := session.Load(ctx, raw)
	raw.Close()
	if err != nil || len(saved.Log) != 1 {
		t.Fatalf("the store holds %d inputs (%v): the second page wrote", len(saved.Log), err)
	}

	// Another tab asks for the lock: the first page saves, lets go, and
	// goes on in memory.
	ch := js.Global().Get("BroadcastChannel").New(store.LockName(db))
	ch.Call("postMessage", handoverMsg)
	ch.Call("close")
	deadline := time.Now().Add(5 * time.Second)
	for first.lockState != lockLost && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if first.lockState != lockLost || !strings.Contains(first.Problem(), "took over") {
		t.Fatalf("first page after handover: lock %v, problem %q", first.lockState, first.Problem())
	}
	lock, err := store.AcquireLock(ctx, db, store.IfAvailable)
	if err != nil || lock == nil {
		t.Fatalf("the lock is not free after the handover (%v)", err)
	}
	lock.Release()
}

// TestControlsSubmitCommands: clicking a node opens its menu; an item
// submits the console-language command on the page's console, which the
// command log shows with its result.
func TestControlsSubmitCommands(t *testing.T) {
	a, root := mount(t, Options{Memory: true, DB: "mem", Paused: true})
	q(t, root, `g.node[data-node="c1"] rect.box`).JS().Call("dispatchEvent", js.Global().Get("MouseEvent").New("click", map[string]any{"bubbles": true}))
	if hidden := q(t, root, ".menu").JS().Get("hidden").Bool(); hidden {
		t.Fatal("no menu after clicking c1")
	}
	item := q(t, root, `.menu button[data-cmd="\\crash c1"]`)
	item.JS().Call("click")
	log := a.lab.Log()
	if len(log) != 1 || log[0].Console != PageConsole || log[0].Text != `\crash c1` {
		t.Fatalf("command log %+v", log)
	}
	a.lab.RunFor(engine.Millisecond)
	settle(t, a)
	if st, _, _ := q(t, root, `g.node[data-node="c1"]`).Attr("data-state"); st != "down" {
		t.Fatalf("c1 is %s", st)
	}
	cmds := textOf(t, q(t, root, "ol.commands"))
	if !strings.Contains(cmds, `\crash c1`) || !strings.Contains(cmds, "crashed: c1") {
		t.Fatalf("command log shows %q", cmds)
	}
	if _, ok, _ := root.Query(`section[data-console="page"]`); ok {
		t.Fatal("the page's console got a console panel")
	}

	// The fault bar builds the same language.
	bar := a.ui.faults
	_ = bar.action.SetProp("value", "latency")
	bar.action.JS().Call("dispatchEvent", js.Global().Get("Event").New("change"))
	_ = bar.a.SetProp("value", "b")
	_ = bar.b.SetProp("value", "w1")
	if got := bar.command(); got != `\latency b w1 20ms` {
		t.Fatalf("fault bar builds %q", got)
	}
	bar.el.JS().Call("requestSubmit")
	if log := a.lab.Log(); len(log) != 2 || log[1].Text != `\latency b w1 20ms` {
		t.Fatalf("command log %+v", log)
	}
	settle(t, a)
	if links := a.lab.Links(); len(links) == 0 {
		t.Fatal("no faulty link after \\latency")
	}
	drawn, _ := root.QueryAll(`g.link[visibility="visible"]`)
	if len(drawn) == 0 {
		t.Fatal("the slow links are not drawn")
	}
}

// TestInvariantPanel: the checkers' verdicts are shown, the acknowledged
// commits among them.
func TestInvariantPanel(t *testing.T) {
	a, root := mount(t, Options{Memory: true, DB: "mem", Paused: true})
	if err := a.Submit("w1", "CREATE TABLE t (id INT PRIMARY KEY);"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := a.Submit("w1", fmt.Sprintf("INSERT INTO t VALUES (%d);", i)); err != nil {
			t.Fatal(err)
		}
	}
	for !a.lab.Idle() {
		a.Step()
	}
	settle(t, a)
	got := textOf(t, q(t, root, "ul.checks"))
	if !strings.Contains(got, "acknowledged commits lost: 0") || !strings.Contains(got, "4 commits acknowledged") {
		t.Fatalf("invariants: %q", got)
	}
	if !strings.Contains(got, "watermarks never move backwards") {
		t.Fatalf("invariants: %q", got)
	}
}

// TestQuotaShown: a flush the browser refuses for lack of space is shown
// plainly; the page goes on in memory, shows no acknowledgement it could
// not make durable, and the next flush after space returns catches up.
func TestQuotaShown(t *testing.T) {
	a, root := mount(t, Options{DB: "test-app-quota", Paused: true})
	a.real.FailWrites(fmt.Errorf("%w (QuotaExceededError)", store.ErrQuota))
	if err := a.Submit("w1", "CREATE TABLE q (id INT PRIMARY KEY);"); err != nil {
		t.Fatal(err)
	}
	if err := a.lab.RunUntilIdle(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	a.flush(func(err error) { done <- err })
	for deadline := time.Now().Add(10 * time.Second); ; {
		a.maybeFlush(float64(time.Now().UnixMilli()))
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("the flush succeeded on a full store")
			}
		case <-time.After(5 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no flush")
			}
			continue
		}
		break
	}
	if err := a.render(); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, q(t, root, ".statusbar .saved")); !strings.Contains(got, "storage is full") {
		t.Fatalf("status %q", got)
	}
	if got := textOf(t, q(t, root, "div.banner")); !strings.Contains(got, "quota") {
		t.Fatalf("banner %q", got)
	}
	if got := textOf(t, q(t, root, `section[data-console="w1"] ol.outputs`)); strings.Contains(got, "commit LSN") {
		t.Fatalf("a commit is shown that no flush made durable: %q", got)
	}
	a.real.FailWrites(nil)
	settle(t, a)
	if got := textOf(t, q(t, root, `section[data-console="w1"] ol.outputs`)); !strings.Contains(got, "commit LSN") {
		t.Fatalf("the commit is not shown once saved: %q", got)
	}
	if a.pers.Status().Err != nil {
		t.Fatal("the error stays after a good flush")
	}
}
