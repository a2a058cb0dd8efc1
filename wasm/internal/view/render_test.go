//go:build js && wasm

package view

import (
	"fmt"
	"strings"
	"testing"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
)

func host(t *testing.T) (dom.Document, dom.Element) {
	t.Helper()
	doc, err := dom.Doc()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := doc.Body()
	h, _ := doc.Create("div")
	if err := body.Append(h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Remove() })
	return doc, h
}

func newLab(t *testing.T) *engine.Lab {
	t.Helper()
	lab, err := engine.New(engine.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return lab
}

func text(t *testing.T, e dom.Element) string {
	t.Helper()
	s, err := e.Text()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func must(t *testing.T, h dom.Element, sel string) dom.Element {
	t.Helper()
	e, ok, err := h.Query(sel)
	if err != nil || !ok {
		t.Fatalf("no element %s (%v)", sel, err)
	}
	return e
}

// TestTopologyFromSnapshot draws a real engine snapshot: six storage nodes
// named a1..c2 inside the AZs a, b and c, the instances, then b1 down after
// \crash b1.
func TestTopologyFromSnapshot(t *testing.T) {
	doc, h := host(t)
	lab := newLab(t)
	topo, err := NewTopology(doc, h)
	if err != nil {
		t.Fatal(err)
	}
	s := lab.Snapshot()
	if err := topo.Render(&s, nil, 1000); err != nil {
		t.Fatal(err)
	}
	azs, _ := h.QueryAll("svg g.az")
	if len(azs) != 3 {
		t.Fatalf("%d AZs drawn", len(azs))
	}
	nodes, _ := h.QueryAll("svg g.node")
	if len(nodes) != 6 {
		t.Fatalf("%d storage nodes drawn, want 6", len(nodes))
	}
	for _, az := range []string{"a", "b", "c"} {
		if !strings.HasPrefix(text(t, must(t, h, fmt.Sprintf(`g.az[data-az=%q] .az-label`, az))), "AZ "+az) {
			t.Errorf("AZ %s unlabelled", az)
		}
		for _, i := range []string{"1", "2"} {
			name := az + i
			n := must(t, h, fmt.Sprintf(`g.az[data-az=%q] > g.node[data-node=%q]`, az, name))
			if got := text(t, must(t, n, ".name")); got != name {
				t.Errorf("node %s shows name %q", name, got)
			}
			if st, _, _ := n.Attr("data-state"); st != "up" || !strings.Contains(text(t, n), "up") {
				t.Errorf("node %s: state %q, text %q", name, st, text(t, n))
			}
			if !strings.Contains(text(t, n), "pg1") || !strings.Contains(text(t, n), "SCL") {
				t.Errorf("node %s shows no segment SCL: %q", name, text(t, n))
			}
		}
	}
	w1 := must(t, h, `g.az[data-az="a"] > g.inst[data-inst="w1"]`)
	if !strings.Contains(text(t, w1), "writer") {
		t.Errorf("w1 text %q", text(t, w1))
	}
	must(t, h, `g.inst[data-inst="r1"]`)

	if err := lab.Submit("w1", `\crash b1`); err != nil {
		t.Fatal(err)
	}
	lab.RunFor(engine.Millisecond)
	s = lab.Snapshot()
	if err := topo.Render(&s, nil, 1000); err != nil {
		t.Fatal(err)
	}
	b1 := must(t, h, `g.az[data-az="b"] > g.node[data-node="b1"]`)
	if st, _, _ := b1.Attr("data-state"); st != "down" {
		t.Errorf("b1 data-state %q after \\crash b1", st)
	}
	if down, _ := b1.HasClass("down"); !down {
		t.Error("b1 lacks class down")
	}
	if got := text(t, must(t, b1, ".state")); got != "✕ down" {
		t.Errorf("b1 state text %q: the state must be told in words, not colour alone", got)
	}
	if name := text(t, must(t, b1, ":scope > title")); !strings.Contains(name, "b1") || !strings.Contains(name, "down") {
		t.Errorf("b1's name (its title) %q", name)
	}
	if st, _, _ := must(t, h, `g.node[data-node="b2"]`).Attr("data-state"); st != "up" {
		t.Errorf("b2 is %s", st)
	}
	if got := text(t, must(t, h, `g.az[data-az="b"] .az-label`)); !strings.Contains(got, "1 of 2 nodes down") {
		t.Errorf("AZ b label %q", got)
	}

	// A narrow drawing stacks the AZs and keeps every node.
	if err := topo.Render(&s, nil, 360); err != nil {
		t.Fatal(err)
	}
	if !topo.Layout().Narrow {
		t.Error("360 px is not laid out narrow")
	}
	nodes, _ = h.QueryAll("svg g.node")
	if len(nodes) != 6 {
		t.Fatalf("narrow: %d nodes", len(nodes))
	}
	if st, _, _ := must(t, h, `g.node[data-node="b1"]`).Attr("data-state"); st != "down" {
		t.Error("b1 not down after relayout")
	}
}

// TestMessagesDrawn: a message in flight is drawn between its ends, at the
// fraction of its journey given by its send and arrival times.
func TestMessagesDrawn(t *testing.T) {
	doc, h := host(t)
	lab := newLab(t)
	topo, err := NewTopology(doc, h)
	if err != nil {
		t.Fatal(err)
	}
	s := lab.Snapshot()
	s.Now = 150
	s.InFlight = []engine.MsgState{
		{Kind: "write", From: "w1", To: "b1", Sent: 100, Arrive: 200},
		{Kind: "write-ack", From: "b1", To: "w1", Sent: 100, Arrive: 200},
		{Kind: "write", From: "w1", To: "elsewhere", Sent: 100, Arrive: 200},
	}
	if err := topo.Render(&s, nil, 1000); err != nil {
		t.Fatal(err)
	}
	msgs, _ := h.QueryAll(`g.msg[visibility="visible"]`)
	if len(msgs) != 2 {
		t.Fatalf("%d messages drawn, want 2 (one has no known end)", len(msgs))
	}
	l := topo.Layout()
	mid, _ := l.Along("w1", "b1", 0.5, -4) // "w1" > "b1": drawn on the left of its path
	if tr, _, _ := msgs[0].Attr("transform"); tr != "translate("+num(mid.X)+","+num(mid.Y)+")" {
		t.Errorf("write drawn at %s, want halfway %v", tr, mid)
	}
	if cls, _, _ := msgs[1].Attr("class"); cls != "msg m-ack" {
		t.Errorf("ack class %q", cls)
	}
	s.InFlight = nil
	if err := topo.Render(&s, nil, 1000); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := h.QueryAll(`g.msg[visibility="visible"]`); len(msgs) != 0 {
		t.Fatalf("%d messages still drawn after they arrived", len(msgs))
	}
}

func TestVolumeAndLog(t *testing.T) {
	doc, h := host(t)
	lab := newLab(t)
	vol, err := NewVolume(doc, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.Submit("w1", `\crash b`); err != nil {
		t.Fatal(err)
	}
	lab.RunFor(engine.Millisecond)
	s := lab.Snapshot()
	if err := vol.Render(&s); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"vcl", "vdl", "next", "lal", "epoch", "writer"} {
		if got := text(t, must(t, h, fmt.Sprintf(`dd[data-wm=%q]`, key))); got == "" || got == "–" {
			t.Errorf("watermark %s shows %q", key, got)
		}
	}
	if got, want := text(t, must(t, h, `dd[data-wm="vdl"]`)), fmt.Sprint(s.Volume.VDL); got != want {
		t.Errorf("VDL shows %s, snapshot says %s", got, want)
	}
	rows, _ := h.QueryAll(".pg-list .pg")
	if len(rows) != len(s.Volume.PGs) || len(rows) == 0 {
		t.Fatalf("%d PG rows for %d PGs", len(rows), len(s.Volume.PGs))
	}
	pg := s.Volume.PGs[0]
	state := text(t, must(t, rows[0], ".state"))
	if !strings.Contains(state, pg.State) {
		t.Errorf("PG state %q, snapshot %q", state, pg.State)
	}
	if got := text(t, must(t, rows[0], ".counters")); !strings.HasPrefix(got, fmt.Sprintf("%d/6 up · write needs 4/6 ✓ · read needs 3/6 ✓", pg.Up)) {
		t.Errorf("quorum counters %q", got)
	}
	down, _ := rows[0].QueryAll("g.mem.down")
	if len(down) != 2 {
		t.Errorf("%d members marked down after \\crash b, want 2", len(down))
	}
	// The ribbon: one dot per member, the PGCL, and the volume's VDL at
	// the same place in every row as on the axis.
	if dots, _ := rows[0].QueryAll("g.mem"); len(dots) != 6 {
		t.Errorf("%d member dots", len(dots))
	}
	axisX, _, _ := must(t, h, ".ribbon-axis .m-vdl line").Attr("x1")
	rowX, _, _ := must(t, rows[0], "line.vl.m-vdl").Attr("x1")
	if axisX == "" || axisX != rowX {
		t.Errorf("VDL at x=%q on the axis, %q in the row", axisX, rowX)
	}

	log, err := NewEventLog(doc, h)
	if err != nil {
		t.Fatal(err)
	}
	notes := []engine.NoteState{{At: 10, Kind: "crash", Node: "b1", Text: "b1 crashed"}, {At: 20, Kind: "restart", Node: "b1", PG: 1, Text: "b1 back"}}
	if err := log.Add(notes); err != nil {
		t.Fatal(err)
	}
	items, _ := h.QueryAll("ol.events li")
	if len(items) != 2 || !strings.Contains(text(t, items[0]), "b1 back") {
		t.Fatalf("event log: %d items, first %q (want newest first)", len(items), text(t, items[0]))
	}
	many := make([]engine.NoteState, MaxNotes+50)
	for i := range many {
		many[i] = engine.NoteState{At: engine.Time(100 + i), Kind: "x", Text: fmt.Sprint(i)}
	}
	if err := log.Add(many); err != nil {
		t.Fatal(err)
	}
	if items, _ := h.QueryAll("ol.events li"); len(items) != MaxNotes {
		t.Fatalf("event log keeps %d items, want at most %d", len(items), MaxNotes)
	}
}
