package share

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"aurora-lab/engine"
)

// scenario reads a shipped scenario.
func scenario(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "..", "web", "scenarios", name+".aurora"))
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// play runs a scenario input, then a typed input, and stops at a moment
// between events: the kind of run a person shares.
func play(t *testing.T, cfg engine.Config, src string) (*engine.Lab, *Run) {
	t.Helper()
	lab, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.Submit(ScenarioConsole, ScenarioInput("quorum-write", src)); err != nil {
		t.Fatal(err)
	}
	lab.RunFor(3 * engine.Millisecond)
	if err := lab.Submit("w1", `\crash c1`); err != nil {
		t.Fatal(err)
	}
	for range 57 {
		lab.Step()
	}
	return lab, &Run{Config: cfg, Log: lab.Log(), At: lab.Now(), Events: lab.Events()}
}

// TestLinkReproducesRun: a run through a link's fragment replays to the
// same trace; the scenario's text is not in the link.
func TestLinkReproducesRun(t *testing.T) {
	src := scenario(t, "quorum-write")
	cfg, err := engine.ParseConfig("seed=42 jitter=30")
	if err != nil {
		t.Fatal(err)
	}
	lab, run := play(t, cfg, src)
	frag := Fragment(run)
	if !strings.HasPrefix(frag, "scenario=quorum-write&seed=42&run=") {
		t.Fatalf("fragment %q", frag)
	}
	if _, payload, _ := strings.Cut(frag, "&run="); strings.ContainsAny(payload, "+/=# %&") || strings.Contains(frag, "accounts") {
		t.Fatalf("fragment is not URL-safe or carries the scenario's text: %q", frag)
	}
	t.Logf("link fragment: %d bytes", len(frag))

	l, err := Parse("", frag)
	if err != nil {
		t.Fatal(err)
	}
	if l.Scenario != "quorum-write" || !l.NeedsScenario() {
		t.Fatalf("link %+v", l)
	}
	if err := l.Resolve(src); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Run.Log, run.Log) || l.Run.Config != cfg || l.Run.At != run.At || l.Run.Events != run.Events {
		t.Fatalf("decoded run differs:\n%+v\nwant\n%+v", l.Run, run)
	}
	got, err := engine.Restore(l.Run.Config, l.Run.Log, l.Run.At, l.Run.Events)
	if err != nil {
		t.Fatal(err)
	}
	if got.TraceHash() != lab.TraceHash() || got.Events() != lab.Events() {
		t.Fatalf("replayed trace %x after %d events, want %x after %d", got.TraceHash(), got.Events(), lab.TraceHash(), lab.Events())
	}

	// Another version of the scenario is noticed, and still replayed.
	l2, _ := Parse("", frag)
	if err := l2.Resolve(src + "\\run 1ms\n"); !errors.Is(err, ErrScenarioChanged) {
		t.Fatalf("changed scenario: %v", err)
	}
}

// TestExportImport: an exported run imports to the same run; a plain
// script imports as a scenario input.
func TestExportImport(t *testing.T) {
	src := scenario(t, "quorum-write")
	cfg, _ := engine.ParseConfig("seed=7 writers=2")
	_, run := play(t, cfg, src)
	text := Export(run)
	if _, err := engine.RunScript(text); engine.IsParseError(err) {
		t.Fatalf("the export is not console language: %v", err)
	}
	back, scripted, err := Import(text)
	if err != nil || scripted {
		t.Fatalf("import: %v (scripted %v)\n%s", err, scripted, text)
	}
	if !reflect.DeepEqual(back, run) {
		t.Fatalf("imported\n%+v\nwant\n%+v", back, run)
	}

	plain, scripted, err := Import(src)
	if err != nil || !scripted || len(plain.Log) != 1 || plain.Log[0].Text != src || plain.Log[0].Console != ScenarioConsole {
		t.Fatalf("plain script: %+v %v %v", plain, scripted, err)
	}
}

func TestImportErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"", "line 1: the file is empty"},
		{"-- @ t=0 e=0 console=w1 lines=1\n\\status\n", "the end line"},
		{"-- @ t=0 e=0 lines=1\n\\status\n-- end t=0 e=0\n", "line 1: console= is missing"},
		{"-- @ t=0 e=0 console=w1 lines=5\n\\status\n-- end t=0 e=0\n", "line 1: the input is said to have 5 lines"},
		{"-- @ t=x e=0 console=w1 lines=1\n\\status\n-- end t=0 e=0\n", `line 1: t="x" is not a whole number`},
		{"-- @ t=5 e=3 console=w1 lines=1\n\\status\n-- @ t=1 e=3 console=w1 lines=1\n\\status\n-- end t=9 e=9\n", "line 3: this input comes before"},
		{"\\cluster writers=99\n-- @ t=0 e=0 console=w1 lines=1\n\\status\n-- end t=0 e=0\n", "line 1: the starting cluster"},
		{"-- @ t=0 e=0 console=w1 lines=1\n\\status\nstray\n-- end t=0 e=0\n", `line 3: expected an input header`},
	} {
		_, _, err := Import(c.text)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Import(%q): %v, want %q", c.text, err, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ query, frag, want string }{
		{"scenario=../etc", "", "scenario=\"../etc\""},
		{"", "seed=1&run=!!!", "run=: not base64url"},
		{"", "seed=1&run=" + Compress([]byte(`{"v":9}`)), "link format 9"},
		{"", "seed=x&run=" + Compress([]byte(`{"v":1,"log":[],"end":[0,0]}`)), `seed="x"`},
		{"", "run=" + Compress([]byte(`{"v":1,"sum":"00000000","log":[[0,0,"scenario",""]],"end":[0,0]}`)), "names none"},
		{"", "run=" + Compress([]byte(`{"v":1,"log":[[0,0,"",""]],"end":[0,0]}`)), "input 1 names no console"},
		{"", "zscript=%%%", "malformed"},
	} {
		_, err := Parse(c.query, c.frag)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q, %q): %v, want %q", c.query, c.frag, err, c.want)
		}
	}
	l, err := Parse("scenario=one-az-down", "")
	if err != nil || l.Scenario != "one-az-down" || l.Run != nil {
		t.Errorf("scenario link: %+v %v", l, err)
	}
	l, err = Parse("script="+strings.ReplaceAll(`\crash b1`, `\`, "%5C"), "")
	if err != nil || l.Script != `\crash b1` {
		t.Errorf("script link: %+v %v", l, err)
	}
	l, err = Parse("zscript="+Compress([]byte("SELECT 1;")), "")
	if err != nil || l.Script != "SELECT 1;" {
		t.Errorf("zscript link: %+v %v", l, err)
	}
}
