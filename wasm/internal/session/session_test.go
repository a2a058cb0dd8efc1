package session

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/store"
)

func mustLab(t *testing.T, settings string) (engine.Config, *engine.Lab) {
	t.Helper()
	cfg, err := engine.ParseConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	lab, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, lab
}

func snapJSON(t *testing.T, lab *engine.Lab) string {
	t.Helper()
	b, err := json.Marshal(lab.SnapshotSince(0))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func outputs(lab *engine.Lab) string {
	outs, _ := lab.Outputs(0)
	var b strings.Builder
	for _, o := range outs {
		b.WriteString(engine.FormatOutput(o))
	}
	return b.String()
}

// TestSaveLoadRestore saves a session twice, the way the page flushes,
// loads it back and finds the same lab: same snapshot, outputs and trace.
func TestSaveLoadRestore(t *testing.T) {
	ctx := context.Background()
	cfg, lab := mustLab(t, "seed=7")
	st := store.Memory("t")
	sv := NewSaver(st, 0)

	for _, in := range []struct{ con, src string }{{"w1", `\status`}, {"w1", `\crash b1`}} {
		if err := lab.Submit(in.con, in.src); err != nil {
			t.Fatal(err)
		}
		lab.RunFor(300 * engine.Microsecond)
	}
	if err := sv.Save(ctx, Capture(cfg, lab)); err != nil {
		t.Fatal(err)
	}
	if got := st.Stats(); got.Transactions != 1 || got.Puts != 3 {
		t.Fatalf("first save: %+v, want 1 transaction of 3 records (header + 2 entries)", got)
	}

	if err := lab.Submit("r1", `\restart b1`); err != nil {
		t.Fatal(err)
	}
	lab.RunFor(2 * engine.Millisecond)
	for range 3 { // stop between two events, as the page's step button does
		lab.Step()
	}
	if err := sv.Save(ctx, Capture(cfg, lab)); err != nil {
		t.Fatal(err)
	}
	if got := st.Stats(); got.Transactions != 2 || got.Puts != 5 {
		t.Fatalf("second save: %+v, want 2 transactions, 5 records: only the new entry and the header", got)
	}

	s, ok, err := Load(ctx, st)
	if err != nil || !ok {
		t.Fatalf("Load = %v, %v", ok, err)
	}
	if len(s.Log) != 3 || s.Now != lab.Now() || s.Events != lab.Events() || s.Config.String() != cfg.String() {
		t.Fatalf("loaded %d entries at %v after %d events (config %s); want 3 at %v after %d (%s)",
			len(s.Log), s.Now, s.Events, s.Config, lab.Now(), lab.Events(), cfg)
	}
	back, err := Restore(s)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := snapJSON(t, lab), snapJSON(t, back); a != b {
		t.Fatalf("restored snapshot differs:\n got %s\nwant %s", b, a)
	}
	if a, b := outputs(lab), outputs(back); a != b {
		t.Fatalf("restored outputs differ:\n got %s\nwant %s", b, a)
	}
	if lab.TraceHash() != back.TraceHash() {
		t.Fatal("restored trace hash differs")
	}
	if !strings.Contains(outputs(back), "crashed: b1") {
		t.Fatalf("restored outputs lack the crash:\n%s", outputs(back))
	}
}

func TestLoadEmpty(t *testing.T) {
	_, ok, err := Load(context.Background(), store.Memory("t"))
	if ok || err != nil {
		t.Fatalf("Load of an empty store = %v, %v; want false, nil", ok, err)
	}
}

func TestLoadIncompleteLog(t *testing.T) {
	ctx := context.Background()
	cfg, lab := mustLab(t, "")
	st := store.Memory("t")
	if err := lab.Submit("w1", `\status`); err != nil {
		t.Fatal(err)
	}
	if err := lab.Submit("w1", `\crash a1`); err != nil {
		t.Fatal(err)
	}
	if err := NewSaver(st, 0).Save(ctx, Capture(cfg, lab)); err != nil {
		t.Fatal(err)
	}
	var b store.Batch
	b.Delete(store.Log, LogKey(0))
	if err := st.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(ctx, st); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("Load with a missing entry: err = %v", err)
	}
}

func TestLoadNewerFormat(t *testing.T) {
	ctx := context.Background()
	st := store.Memory("t")
	var b store.Batch
	b.Put(store.Meta, HeaderKey, []byte(`{"format":99,"config":"seed=1"}`))
	if err := st.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(ctx, st); !errors.Is(err, ErrNewerFormat) {
		t.Fatalf("Load = %v, want ErrNewerFormat", err)
	}
}
