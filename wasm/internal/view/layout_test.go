package view

import (
	"testing"

	"aurora-lab/engine"
)

func defaultSnapshot(t *testing.T, settings string) engine.Snapshot {
	t.Helper()
	cfg, err := engine.ParseConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	lab, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return lab.Snapshot()
}

func overlap(a, b Rect) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// TestLayout checks, at desktop and phone widths and for a larger cluster,
// that every node and instance has a box inside its AZ, the AZs are inside
// the region, and no two boxes overlap.
func TestLayout(t *testing.T) {
	for _, tc := range []struct {
		settings string
		width    float64
		narrow   bool
	}{
		{"", 1200, false},
		{"", 358, true},
		{"writers=3 replicas=0 nodes_per_az=5 pgs=12", 1200, false},
		{"writers=3 replicas=0 nodes_per_az=5 pgs=12", 358, true},
	} {
		s := defaultSnapshot(t, tc.settings)
		l := Compute(&s, tc.width)
		if l.Narrow != tc.narrow {
			t.Errorf("%q at %v: Narrow = %v", tc.settings, tc.width, l.Narrow)
		}
		if l.Width != tc.width || l.Height <= 0 {
			t.Errorf("%q at %v: size %vx%v", tc.settings, tc.width, l.Width, l.Height)
		}
		if len(l.AZs) != 3 {
			t.Fatalf("%d AZs laid out", len(l.AZs))
		}
		azOf := map[string]Rect{}
		for _, az := range l.AZs {
			if !l.Region.Contains(az.Rect) {
				t.Errorf("%q at %v: AZ %s %+v outside the region %+v", tc.settings, tc.width, az.Name, az.Rect, l.Region)
			}
			azOf[az.Name] = az.Rect
		}
		var names []string
		for _, n := range s.Nodes {
			names = append(names, n.Name)
			if b, ok := l.Boxes[n.Name]; !ok || !azOf[n.AZ].Contains(b) {
				t.Errorf("%q at %v: node %s box %+v not inside AZ %s %+v", tc.settings, tc.width, n.Name, b, n.AZ, azOf[n.AZ])
			}
		}
		for _, in := range s.Instances {
			names = append(names, in.Name)
			if b, ok := l.Boxes[in.Name]; !ok || !azOf[in.AZ].Contains(b) {
				t.Errorf("%q at %v: instance %s box %+v not inside AZ %s", tc.settings, tc.width, in.Name, b, in.AZ)
			}
		}
		for i, a := range names {
			for _, b := range names[i+1:] {
				if overlap(l.Boxes[a], l.Boxes[b]) {
					t.Errorf("%q at %v: boxes %s and %s overlap", tc.settings, tc.width, a, b)
				}
			}
		}
		if l.Region.Y+l.Region.H > l.Height {
			t.Errorf("region taller than the drawing")
		}
	}
}

func TestProgress(t *testing.T) {
	for _, tc := range []struct {
		sent, arrive, now engine.Time
		want              float64
	}{
		{100, 200, 100, 0}, {100, 200, 150, 0.5}, {100, 200, 250, 1}, {100, 200, 50, 0}, {100, 100, 100, 1},
	} {
		if got := Progress(tc.sent, tc.arrive, tc.now); got != tc.want {
			t.Errorf("Progress(%d, %d, %d) = %v, want %v", tc.sent, tc.arrive, tc.now, got, tc.want)
		}
	}
}

// TestTracker: without send times, a message moves from where it was
// first seen; with them, the snapshot's times decide.
func TestTracker(t *testing.T) {
	var tr Tracker
	m := []engine.MsgState{{Kind: "write", From: "w1", To: "a1", Arrive: 300}}
	if p := tr.Progress(m, 100, nil); p[0] != 0 {
		t.Fatalf("first seen: %v", p)
	}
	if p := tr.Progress(m, 200, nil); p[0] != 0.5 {
		t.Fatalf("halfway: %v", p)
	}
	tr.Progress(nil, 250, nil)
	if len(tr.seen) != 0 {
		t.Fatal("a message no longer in flight is remembered")
	}
	m[0].Sent = 100
	if p := tr.Progress(m, 250, nil); p[0] != 0.75 {
		t.Fatalf("with Sent: %v", p)
	}
}

func TestAlong(t *testing.T) {
	s := defaultSnapshot(t, "")
	l := Compute(&s, 1000)
	a, _ := l.Along("w1", "a1", 0, 0)
	b, _ := l.Along("w1", "a1", 1, 0)
	wx, wy := l.Boxes["w1"].Center()
	ax, ay := l.Boxes["a1"].Center()
	if a != (Point{wx, wy}) || b != (Point{ax, ay}) {
		t.Fatalf("Along ends: %v %v", a, b)
	}
	if _, ok := l.Along("w1", "nowhere", 0.5, 0); ok {
		t.Fatal("Along to an unknown box succeeded")
	}
}

// TestSegmentModes: a few segments get a line each, several PGs a chip
// each, a large volume a dot each; every segment place lies inside its
// node's box, and places come in whole rows.
func TestSegmentModes(t *testing.T) {
	for _, tc := range []struct {
		settings string
		mode     SegMode
	}{
		{"", SegLines},
		{"pgs=12", SegChips},
		{"pgs=80", SegDots},
	} {
		for _, width := range []float64{1200, 358} {
			s := defaultSnapshot(t, tc.settings)
			l := Compute(&s, width)
			if l.Mode != tc.mode {
				t.Errorf("%q at %v: mode %v, want %v", tc.settings, width, l.Mode, tc.mode)
			}
			if l.Slots < l.Segs || (l.Mode != SegLines && l.Slots%l.PerRow != 0) {
				t.Errorf("%q at %v: %d slots for %d segments, %d a row", tc.settings, width, l.Slots, l.Segs, l.PerRow)
			}
			for _, n := range s.Nodes {
				box := l.Boxes[n.Name]
				for i := range l.Slots {
					if r := l.SegRect(box, i); !box.Contains(r) {
						t.Fatalf("%q at %v: %s's segment place %d %+v outside its box %+v", tc.settings, width, n.Name, i, r, box)
					}
				}
			}
			for _, svc := range []string{"backup", "cp"} {
				if b, ok := l.Boxes[svc]; !ok || !l.Region.Contains(b) {
					t.Errorf("%q at %v: %s box %+v not in the region", tc.settings, width, svc, b)
				}
			}
		}
	}
}
