package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGuideOutline: the outline of every shipped scenario names as many
// steps as the run narrates, in order, and its \try; a script that does
// not parse has no outline.
func TestGuideOutline(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "web", "scenarios", "*.aurora"))
	if len(files) == 0 {
		t.Fatal("no scenarios")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		g, err := GuideOutline(string(src))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		l, err := RunScript(string(src))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		outs, _ := l.Outputs(0)
		var steps []string
		try := ""
		for _, o := range outs {
			switch {
			case o.Kind == OutGuide && o.Guide == "step":
				steps = append(steps, o.Text)
			case o.Kind == OutGuide && o.Guide == "try":
				try = o.Text
			}
		}
		if g.Title == "" || strings.Join(g.Steps, "|") != strings.Join(steps, "|") || g.Try != try || try == "" {
			t.Errorf("%s: outline %+v; the run narrated steps %q and try %q", f, g, steps, try)
		}
	}
	g, _ := GuideOutline("-- An intro\n-- on two lines.\n\\title T\n\\step one\n-- not intro\n\\step two\n")
	if g.Intro != "An intro on two lines." || len(g.Steps) != 2 {
		t.Errorf("outline %+v", g)
	}
	if _, err := GuideOutline("\\crash\n"); !IsParseError(err) {
		t.Errorf("a script that does not parse: %v", err)
	}
}

// TestDurability: with AZ c down, pg1 is held by four segments and AZ c
// lags; the Lab's scenario console is pending until its \run is over.
func TestDurability(t *testing.T) {
	l, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Submit("s", "CREATE TABLE t (id INT PRIMARY KEY);\n\\crash c\nINSERT INTO t VALUES (1);\n\\run 5ms\n"); err != nil {
		t.Fatal(err)
	}
	if !l.Pending("s") || l.Pending("nobody") {
		t.Fatal("Pending: the console has work, and a console that does not exist has none")
	}
	for l.Pending("s") {
		if !l.Step() {
			t.Fatal("stuck")
		}
	}
	s := l.Snapshot()
	d := s.Durability()
	if len(d) != 1 || d[0].PG != 1 || d[0].Holding != 4 || d[0].Members != 6 || strings.Join(d[0].Lagging, ",") != "c" || d[0].PGCL == 0 {
		t.Fatalf("durability %+v", d)
	}
}
