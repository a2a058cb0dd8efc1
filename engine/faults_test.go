package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// storageFaults crashes and restarts storage nodes at random for the
// seeded workload tests, never more than max of them down at once.
type storageFaults struct {
	nodes []string
	down  map[string]bool
	max   int
}

func newStorageFaults(max int) *storageFaults {
	return &storageFaults{nodes: []string{"a1", "a2", "b1", "b2", "c1", "c2"}, down: map[string]bool{}, max: max}
}

// draw returns the storage fault for a draw x of the caller's dice: a
// crash for 0 to 2, the restart of a node that is down for 3 to 6, and
// nothing otherwise (or when the fault is not possible now).
func (f *storageFaults) draw(r *rand.Rand, x int) string {
	switch {
	case x < 3:
		n := f.nodes[r.IntN(len(f.nodes))]
		if !f.down[n] && len(f.down) < f.max {
			f.down[n] = true
			return `\crash ` + n
		}
	case x < 7:
		for _, n := range f.nodes {
			if f.down[n] {
				delete(f.down, n)
				return `\restart ` + n
			}
		}
	}
	return ""
}

// submitLogged submits src on console con and adds it to the run's log,
// which a failing test prints as a script.
func submitLogged(t *testing.T, l *Lab, log *strings.Builder, con, src string) {
	t.Helper()
	log.WriteString(src + "\n")
	if err := l.Submit(con, src); err != nil {
		t.Fatal(err)
	}
}

// healAll ends a fault schedule: every AZ's storage nodes restarted, no
// message loss, and the Lab run until every console is done.
func healAll(t *testing.T, l *Lab) {
	t.Helper()
	if err := l.Submit("faults", "\\restart a\n\\restart b\n\\restart c\n\\set loss=0"); err != nil {
		t.Fatal(err)
	}
	if err := l.RunUntilIdle(); err != nil {
		t.Fatal(err)
	}
}

// zeroedLab starts a Lab on config with the table def ("name (columns)")
// holding keys rows (0, 0) to (keys-1, 0), and runs it until that is done.
func zeroedLab(t *testing.T, config, def string, keys int) *Lab {
	t.Helper()
	cfg, err := ParseConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var setup strings.Builder
	setup.WriteString("CREATE TABLE " + def + ";\nINSERT INTO " + strings.Fields(def)[0] + " VALUES ")
	for k := range keys {
		if k > 0 {
			setup.WriteString(", ")
		}
		fmt.Fprintf(&setup, "(%d, 0)", k)
	}
	setup.WriteString(";\n")
	if err := l.Submit("setup", setup.String()); err != nil {
		t.Fatal(err)
	}
	if err := l.RunUntilIdle(); err != nil {
		t.Fatal(err)
	}
	return l
}
