package engine

import (
	"testing"
)

// TestReplayReproducesARunWithTimeFlowing drives a Lab the way the page
// does — inputs submitted while time flows in uneven frames, a single
// step in between — and checks that Replay of its command log reaches the
// very same state.
func TestReplayReproducesARunWithTimeFlowing(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Seed = 42
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(l.Submit("w1", "CREATE TABLE t (id INT PRIMARY KEY, v TEXT);"))
	l.RunFor(700 * Microsecond)
	must(l.Submit("w1", "INSERT INTO t VALUES (1, 'a');"))
	l.Step()
	l.Step()
	must(l.Submit("w1", "INSERT INTO t VALUES (2, 'b');"))
	l.RunFor(333 * Microsecond)
	must(l.Submit("w1", `\crash c1`))
	l.RunFor(5 * Millisecond)
	must(l.Submit("w1", "SELECT COUNT(*) FROM t;"))
	l.RunFor(5 * Millisecond)

	r, err := Replay(cfg, l.Log(), l.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r.TraceHash() != l.TraceHash() || r.Events() != l.Events() || r.Now() != l.Now() {
		t.Fatalf("replay diverged: hash %x vs %x, events %d vs %d, time %v vs %v",
			r.TraceHash(), l.TraceHash(), r.Events(), l.Events(), r.Now(), l.Now())
	}
	a, _ := l.Outputs(0)
	b, _ := r.Outputs(0)
	if len(a) != len(b) {
		t.Fatalf("replay produced %d outputs, the run %d", len(b), len(a))
	}
	for i := range a {
		if FormatOutput(a[i]) != FormatOutput(b[i]) {
			t.Fatalf("output %d differs:\n%s\nvs\n%s", i, FormatOutput(a[i]), FormatOutput(b[i]))
		}
	}
	if last := a[len(a)-1]; last.Result != "2" {
		t.Fatalf("SELECT COUNT(*) = %q, want 2 (%s)", last.Result, last.Err)
	}
}

func TestSubmitRejectsAMalformedMetaCommandAndChangesNothing(t *testing.T) {
	l, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	err = l.Submit("w1", "SELECT 1;\n\\crash\n")
	pe, ok := err.(*ParseError)
	if !ok || pe.Line != 2 || pe.Col != 1 {
		t.Fatalf("Submit = %v, want a parse error at line 2, column 1", err)
	}
	if len(l.Log()) != 0 || !l.Idle() {
		t.Fatal("a rejected input was logged or queued")
	}
}

func TestStatementOnACrashedInstanceFails(t *testing.T) {
	lab, err := RunScript("\\crash w1\nSELECT 1;\n\\expect error instance is down\n")
	if err != nil {
		t.Fatal(err)
	}
	if lab.Failures() != 0 {
		t.Fatal("a statement on a crashed writer did not fail as expected")
	}
}

// TestRestoreStopsAtTheSavedEvent saves a Lab between two events of one
// instant (after single steps) and checks that Restore comes back to
// exactly that event, not to the end of the instant.
func TestRestoreStopsAtTheSavedEvent(t *testing.T) {
	l, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Submit("w1", "CREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t VALUES (1);"); err != nil {
		t.Fatal(err)
	}
	for range 7 {
		l.Step()
	}
	r, err := Restore(DefaultConfig(), l.Log(), l.Now(), l.Events())
	if err != nil {
		t.Fatal(err)
	}
	if r.Events() != l.Events() || r.TraceHash() != l.TraceHash() || r.Now() != l.Now() {
		t.Fatalf("restored at event %d (hash %x, %v), saved at %d (hash %x, %v)",
			r.Events(), r.TraceHash(), r.Now(), l.Events(), l.TraceHash(), l.Now())
	}
	r.RunFor(10 * Millisecond)
	l.RunFor(10 * Millisecond)
	if r.TraceHash() != l.TraceHash() {
		t.Fatal("the restored Lab went on differently")
	}
}
