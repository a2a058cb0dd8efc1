//go:build js && wasm

package app

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"aurora-lab/wasm/internal/share"
	"aurora-lab/wasm/internal/store"
)

// skip runs the model as a skip ahead does, frame after frame, until it
// stops at a step, then flushes and draws.
func skip(t *testing.T, a *App) {
	t.Helper()
	a.SkipAhead()
	for i := 0; a.guide.ffwd; i++ {
		if i > 1000 {
			t.Fatal("the skip ahead never stopped")
		}
		a.fastForward()
	}
	settle(t, a)
}

// TestEmbedScriptWithoutIndexedDB: an embed given a script in its address
// where IndexedDB is blocked runs it in memory and says so; the script's
// narration stops at each step, even two reached at the same instant,
// lights what a step names, and ends with its prompt.
func TestEmbedScriptWithoutIndexedDB(t *testing.T) {
	script := "\\title Two steps at once\n-- What it shows.\n\\step One: a table.\nCREATE TABLE t (id INT PRIMARY KEY);\n\\step Two: look.\n\\highlight pg1 vdl w1 volume\n\\step Three: a row.\nINSERT INTO t VALUES (1);\n\\expect ok\n\\try write more rows\n"
	link, err := share.Parse("script="+url.QueryEscape(script), "")
	if err != nil {
		t.Fatal(err)
	}
	a, root := mount(t, Options{DB: "unused-embed", Embed: true, Link: &link, OpenStore: func(context.Context, string) (*store.Store, error) {
		return nil, errors.Join(store.ErrUnavailable, errors.New("blocked in this frame"))
	}})
	if p := a.Problem(); !strings.Contains(p, "Not saving") || !strings.Contains(p, "in memory") {
		t.Fatalf("the embed does not say it runs in memory: %q", p)
	}
	if a.Playing() {
		t.Fatal("time runs before the first step is read")
	}
	settle(t, a)
	if got := textOf(t, q(t, root, ".guide-kicker")); got != "Script · step 1 of 3" {
		t.Fatalf("kicker %q", got)
	}
	if got := textOf(t, q(t, root, ".guide-title")); got != "Two steps at once" {
		t.Errorf("title %q", got)
	}
	if got := textOf(t, q(t, root, ".guide-intro")); got != "What it shows." {
		t.Errorf("intro %q", got)
	}

	skip(t, a)
	if a.guide.step != 2 || !a.guide.waiting() {
		t.Fatalf("after a skip: step %d, step three waiting %v", a.guide.step, a.guide.waiting())
	}
	if got := textOf(t, q(t, root, ".guide-look")); got != "◎ Look at: pg1, vdl, w1, volume" {
		t.Errorf("look %q", got)
	}
	for _, sel := range []string{`g.inst[data-inst="w1"].hl`, ".wm-vdl.hl", ".pg.hl", ".panel-volume.hl", `.seg.hl`} {
		q(t, root, sel)
	}
	at := a.lab.Now()
	a.Next() // step three was reached at the same instant: shown at once
	settle(t, a)
	if a.guide.step != 3 || a.lab.Now() != at || a.Playing() {
		t.Fatalf("Next: step %d at %v (was %v), playing %v", a.guide.step, a.lab.Now(), at, a.Playing())
	}
	if els, _ := root.QueryAll(".hl"); len(els) != 0 {
		t.Errorf("%d things still lit after the next step", len(els))
	}
	skip(t, a)
	if !a.guide.tried || a.lab.Failures() != 0 {
		t.Fatalf("the script did not end well: tried %v, %d failures", a.guide.tried, a.lab.Failures())
	}
	if got := textOf(t, q(t, root, ".guide-try")); got != "Now you try: write more rows" {
		t.Errorf("prompt %q", got)
	}
	// The run shares and exports; the export imports back to the same run.
	if frag := share.Fragment(a.Run()); !strings.Contains(frag, "step=3&seed=") {
		t.Errorf("fragment %q", frag)
	}
	back, scripted, err := share.Import(share.Export(a.Run()))
	if err != nil || scripted || len(back.Log) != 1 || back.Log[0].Text != script {
		t.Fatalf("export and import: %+v %v %v", back, scripted, err)
	}
}
