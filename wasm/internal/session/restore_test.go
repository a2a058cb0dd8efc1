package session

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"aurora-lab/engine"
)

// pageRun drives lab the way the page's frames do: each frame steps the
// events due by its target, then moves the clock there; now and then an
// input is submitted between frames, on several consoles.
func pageRun(t *testing.T, lab *engine.Lab, rng *rand.Rand, frames int, inputs []string) {
	t.Helper()
	next := 0
	for f := range frames {
		if next < len(inputs) && rng.IntN(4) == 0 {
			con := []string{"w1", "r1", "page", "load"}[rng.IntN(4)]
			if err := lab.Submit(con, inputs[next]); err != nil {
				t.Fatalf("frame %d: %v", f, err)
			}
			next++
		}
		target := lab.Now() + engine.Time(rng.IntN(400))*engine.Microsecond
		for n := 0; lab.NextAt() <= target; n++ {
			lab.Step()
			if rng.IntN(50) == 0 { // a frame out of budget: time lags
				break
			}
		}
		if lab.NextAt() > target {
			lab.RunUntil(target)
		}
	}
}

// TestRestorerMatchesRestore: restoring a slice at a time, as the page does
// over its frames, gives the run Restore gives, event for event, and the
// run that was saved.
func TestRestorerMatchesRestore(t *testing.T) {
	inputs := []string{
		"CREATE TABLE t (id INT PRIMARY KEY, v TEXT);",
		"INSERT INTO t VALUES (1, 'a'), (2, 'b');",
		`\crash b1`, "INSERT INTO t VALUES (3, 'c');", `\run 3ms`, "SELECT v FROM t;",
		`\latency a c 5ms`, "BEGIN;", "UPDATE t SET v = 'z' WHERE id = 1;", "COMMIT;",
		`\restart b1`, `\crash w1`, `\run 2ms`, `\restart w1`, "SELECT id FROM t;", `\heal`,
	}
	scripts, _ := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "*.aurora"))
	seeds := uint64(4)
	if runtime.GOOS == "js" {
		seeds = 1 // the browser layer: one seed is enough, and slow already
	}
	for seed := range seeds {
		for _, script := range append([]string{""}, scripts...) {
			rng := rand.New(rand.NewPCG(seed, 1))
			cfg := engine.DefaultConfig()
			lab, err := engine.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			in := inputs
			if script != "" {
				src, err := os.ReadFile(script)
				if err != nil {
					t.Fatal(err)
				}
				in = []string{string(src)}
			}
			pageRun(t, lab, rng, 300, in)
			s := Capture(cfg, lab)
			want, err := engine.Restore(cfg, s.Log, s.Now, s.Events)
			if err != nil {
				t.Fatal(err)
			}
			end := engine.Mark{Entries: len(s.Log), At: s.Now, Events: s.Events}
			stops := []engine.Mark{}
			if len(s.Log) > 0 {
				stops = append(stops, engine.Mark{Entries: len(s.Log), At: s.Now, Events: s.Events})
			}
			r, err := engine.NewRestorer(cfg, s.Log, end, stops, nil)
			if err != nil {
				t.Fatal(err)
			}
			slices := 0
			for {
				n := 0
				done, err := r.Run(func() bool { n++; return n <= 1+rng.IntN(7) })
				if err != nil {
					t.Fatal(err)
				}
				slices++
				if done {
					break
				}
			}
			got := r.Lab()
			name := fmt.Sprintf("seed %d %s", seed, filepath.Base(script))
			if got.TraceHash() != want.TraceHash() || got.Events() != want.Events() || got.Now() != want.Now() {
				t.Errorf("%s: restorer at %v after %d events, Restore at %v after %d", name, got.Now(), got.Events(), want.Now(), want.Events())
			}
			if got.TraceHash() != lab.TraceHash() || got.Events() != lab.Events() {
				t.Errorf("%s: restored at %v after %d events, saved at %v after %d", name, got.Now(), got.Events(), lab.Now(), lab.Events())
			}
			if slices < 2 && lab.Events() > 10 {
				t.Errorf("%s: the restore ran in %d slice(s)", name, slices)
			}
		}
	}
}
