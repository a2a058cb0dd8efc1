package engine

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/golden (read the diff before committing it)")

// storyFiles returns the scenario files of the repository's testdata.
func storyFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*.aurora"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no story files found: %v", err)
	}
	return files
}

// TestStories runs every story file; each must parse and every \expect in
// it must hold.
func TestStories(t *testing.T) {
	for _, f := range storyFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".aurora"), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			lab, err := RunScript(string(src))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if n := lab.Failures(); n > 0 {
				var b bytes.Buffer
				outs, _ := lab.Outputs(0)
				WriteTranscript(&b, outs)
				t.Fatalf("%s: %d expectation(s) failed:\n%s", f, n, b.String())
			}
		})
	}
}

// transcript runs a story file and returns its transcript and trace hash.
func transcript(t *testing.T, file string) (string, uint64) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lab, err := RunScript(string(src))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	outs, _ := lab.Outputs(0)
	WriteTranscript(&b, outs)
	fmt.Fprintf(&b, "trace %016x after %d events at %v\n", lab.TraceHash(), lab.Events(), lab.Now())
	return b.String(), lab.TraceHash()
}

// TestGoldenTranscripts checks that each story gives exactly the transcript
// recorded in testdata/golden. The same test runs natively and under
// GOOS=js GOARCH=wasm (node), so both give the same run byte for byte: the
// determinism the model promises. Regenerate with -update after a change
// that is meant to alter runs, and read the diff.
func TestGoldenTranscripts(t *testing.T) {
	for _, f := range storyFiles(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".aurora")
		t.Run(name, func(t *testing.T) {
			got, _ := transcript(t, f)
			golden := filepath.Join("..", "testdata", "golden", name+".txt")
			if *update {
				if runtime.GOOS == "js" {
					t.Skip("rewrite goldens natively")
				}
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./engine -run TestGoldenTranscripts -update)", err)
			}
			if got != string(want) {
				t.Fatalf("%s on %s/%s differs from %s:\n%s", name, runtime.GOOS, runtime.GOARCH, golden, diff(string(want), got))
			}
		})
	}
}

// TestSameSeedSameRun runs one story twice in one process and compares the
// trace hashes, then changes the seed and checks that the run changes.
func TestSameSeedSameRun(t *testing.T) {
	f := filepath.Join("..", "testdata", "quorum-write.aurora")
	a, ha := transcript(t, f)
	b, hb := transcript(t, f)
	if a != b || ha != hb {
		t.Fatal("the same script gave two different runs")
	}
	src, _ := os.ReadFile(f)
	lab1, _ := RunScript("\\cluster seed=1\n" + string(src))
	lab2, _ := RunScript("\\cluster seed=2\n" + string(src))
	if lab1.TraceHash() == lab2.TraceHash() {
		t.Fatal("two seeds gave the same run: the seed does not reach the random choices")
	}
}

func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("first difference at line %d:\n  want: %s\n  got:  %s", i+1, wl, gl)
		}
	}
	return "(no line differs)"
}

// TestGuidedScenarios runs the guided scenarios the page ships
// (web/scenarios): each must pass headlessly, as a docs CI would run it,
// start with a \title, end with a \try, and be listed in the index.
func TestGuidedScenarios(t *testing.T) {
	dir := filepath.Join("..", "web", "scenarios")
	files, _ := filepath.Glob(filepath.Join(dir, "*.aurora"))
	if len(files) == 0 {
		t.Fatal("no guided scenarios")
	}
	index, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []struct{ Name, Title string }
	if err := json.Unmarshal(index, &listed); err != nil {
		t.Fatalf("index.json: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".aurora")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			lab, err := RunScript(string(src))
			if err != nil {
				t.Fatal(err)
			}
			outs, _ := lab.Outputs(0)
			if lab.Failures() > 0 {
				var b bytes.Buffer
				WriteTranscript(&b, outs)
				t.Fatalf("%d expectation(s) failed:\n%s", lab.Failures(), b.String())
			}
			var title string
			var guides []string
			for _, o := range outs {
				if o.Kind == OutGuide {
					guides = append(guides, o.Guide)
					if o.Guide == "title" {
						title = o.Text
					}
				}
			}
			if len(guides) < 3 || guides[0] != "title" || guides[len(guides)-1] != "try" {
				t.Fatalf("a guided scenario starts with \\title and ends with \\try; got %v", guides)
			}
			found := false
			for _, e := range listed {
				if e.Name == name {
					found = true
					if e.Title != title {
						t.Errorf("index.json titles %q as %q, the file says %q", name, e.Title, title)
					}
				}
			}
			if !found {
				t.Errorf("%s is not listed in index.json", name)
			}
		})
	}
	if len(listed) != len(files) {
		t.Errorf("index.json lists %d scenarios, there are %d files", len(listed), len(files))
	}
}
