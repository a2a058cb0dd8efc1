// Package view draws engine snapshots into the page: the region with its
// AZs, the storage nodes and their segments, the database instances, the
// messages in flight, the volume's watermarks and protection groups, and the
// event log.
//
// Every number it shows comes from the snapshot. The only thing it computes
// is where to draw: the layout (this file, pure Go, tested natively) and
// how far along its link a message is, from its send and arrival times.
package view

import (
	"fmt"
	"math"
	"strings"

	"aurora-lab/engine"
)

// Rect is a box in SVG user units (CSS pixels: the SVG is drawn 1:1).
type Rect struct{ X, Y, W, H float64 }

// Center returns the middle of r.
func (r Rect) Center() (x, y float64) { return r.X + r.W/2, r.Y + r.H/2 }

// Contains reports whether q lies inside r.
func (r Rect) Contains(q Rect) bool {
	return q.X >= r.X && q.Y >= r.Y && q.X+q.W <= r.X+r.W && q.Y+q.H <= r.Y+r.H
}

// AZBox is one AZ's place in the layout.
type AZBox struct {
	Name string
	Rect Rect
}

// Layout is where everything of the topology goes.
type Layout struct {
	Width, Height float64
	Narrow        bool // AZs stacked instead of side by side
	Region        Rect
	AZs           []AZBox
	// Boxes holds the storage nodes and the instances, by name.
	Boxes map[string]Rect
	// SegLines is how many segment lines a node box has room for.
	SegLines int
}

// Geometry, in CSS pixels.
const (
	narrowBelow = 700.0 // narrower than this, the AZs stack
	margin      = 8.0
	regionPad   = 14.0
	regionLabel = 26.0
	azGap       = 12.0
	azLabel     = 28.0
	pad         = 10.0
	instW       = 132.0
	instH       = 46.0
	tierGap     = 14.0
	nodeHead    = 44.0
	segLineH    = 16.0
	// MaxSegLines bounds the segment lines of a node box; a node with
	// more segments shows "+N more".
	MaxSegLines = 4
)

// Key names what a layout depends on: the width class, the AZs and their
// nodes, the instances and where they are, and how many segment lines the
// nodes need. The page lays out again only when the key changes.
func Key(s *engine.Snapshot, width float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "w%d|l%d", int(math.Round(width)), segLines(s))
	for _, az := range s.AZs {
		b.WriteString("|" + az.Name + ":" + strings.Join(az.Nodes, ","))
	}
	b.WriteString("|i")
	for _, in := range s.Instances {
		b.WriteString("," + in.Name + "@" + in.AZ)
	}
	return b.String()
}

func segLines(s *engine.Snapshot) int {
	n := 0
	for _, nd := range s.Nodes {
		n = max(n, len(nd.Segments))
	}
	if n > MaxSegLines {
		return MaxSegLines + 1 // and a "+N more" line
	}
	return n
}

// Compute lays out the topology of s in a drawing width pixels wide.
func Compute(s *engine.Snapshot, width float64) Layout {
	width = max(width, 280)
	l := Layout{Width: width, Narrow: width < narrowBelow, Boxes: map[string]Rect{}, SegLines: segLines(s)}
	nAZ := max(len(s.AZs), 1)
	innerW := width - 2*margin - 2*regionPad
	colW := innerW
	if !l.Narrow {
		colW = (innerW - float64(nAZ-1)*azGap) / float64(nAZ)
	}

	instByAZ := map[string][]string{}
	for _, in := range s.Instances {
		instByAZ[in.AZ] = append(instByAZ[in.AZ], in.Name)
	}
	instPerRow := max(int((colW-pad)/(instW+pad)), 1)
	nodesPerRow := 2
	switch {
	case colW < 250:
		nodesPerRow = 1
	case l.Narrow && colW >= 560:
		nodesPerRow = 3
	}
	most := 1 // nodes in the fullest AZ: no empty columns when there are few
	for _, az := range s.AZs {
		most = max(most, len(az.Nodes))
	}
	nodesPerRow = min(nodesPerRow, most)
	nodeH := nodeHead + segLineH*float64(l.SegLines)
	rows := func(n, per int) int { return (n + per - 1) / per }

	// Side by side, every AZ gets the tallest AZ's tiers so the rows line
	// up; stacked, each AZ is as tall as it needs.
	maxInstRows, maxNodeRows := 0, 1
	for _, az := range s.AZs {
		maxInstRows = max(maxInstRows, rows(len(instByAZ[az.Name]), instPerRow))
		maxNodeRows = max(maxNodeRows, rows(len(az.Nodes), nodesPerRow))
	}
	azHeight := func(instRows, nodeRows int) float64 {
		return azLabel + float64(instRows)*(instH+pad) + tierGap + float64(nodeRows)*(nodeH+pad) + pad
	}

	x0, y := margin+regionPad, margin+regionLabel
	for i, az := range s.AZs {
		instRows, nodeRows := maxInstRows, maxNodeRows
		if l.Narrow {
			instRows = rows(len(instByAZ[az.Name]), instPerRow)
			nodeRows = max(rows(len(az.Nodes), nodesPerRow), 1)
		}
		r := Rect{X: x0, Y: y, W: colW, H: azHeight(instRows, nodeRows)}
		if !l.Narrow {
			r.X = x0 + float64(i)*(colW+azGap)
		}
		l.AZs = append(l.AZs, AZBox{Name: az.Name, Rect: r})

		// Instances: centred rows under the AZ's label.
		insts := instByAZ[az.Name]
		for j, name := range insts {
			row, col := j/instPerRow, j%instPerRow
			inRow := min(instPerRow, len(insts)-row*instPerRow)
			w := min(instW, (colW-pad*float64(inRow+1))/float64(inRow))
			rowW := float64(inRow)*w + float64(inRow-1)*pad
			l.Boxes[name] = Rect{
				X: r.X + (colW-rowW)/2 + float64(col)*(w+pad),
				Y: r.Y + azLabel + float64(row)*(instH+pad),
				W: w, H: instH,
			}
		}
		// Storage nodes: a grid filling the AZ's width.
		nodeW := (colW - pad*float64(nodesPerRow+1)) / float64(nodesPerRow)
		ny := r.Y + azLabel + float64(instRows)*(instH+pad) + tierGap
		for j, name := range az.Nodes {
			row, col := j/nodesPerRow, j%nodesPerRow
			l.Boxes[name] = Rect{
				X: r.X + pad + float64(col)*(nodeW+pad),
				Y: ny + float64(row)*(nodeH+pad),
				W: nodeW, H: nodeH,
			}
		}
		if l.Narrow {
			y += r.H + azGap
		}
	}
	bottom := y
	if !l.Narrow && len(l.AZs) > 0 {
		bottom = l.AZs[0].Rect.Y + l.AZs[0].Rect.H + azGap
	}
	l.Region = Rect{X: margin, Y: margin, W: width - 2*margin, H: bottom - margin - azGap + regionPad}
	l.Height = l.Region.Y + l.Region.H + margin
	return l
}

// Point is a position in the drawing.
type Point struct{ X, Y float64 }

// Along returns the point a fraction p of the way from box from to box
// to, moved sideways by offset so that the two directions of a link do not
// overlap. It returns false when either box is unknown.
func (l *Layout) Along(from, to string, p, offset float64) (Point, bool) {
	a, ok1 := l.Boxes[from]
	b, ok2 := l.Boxes[to]
	if !ok1 || !ok2 {
		return Point{}, false
	}
	ax, ay := a.Center()
	bx, by := b.Center()
	dx, dy := bx-ax, by-ay
	x, y := ax+dx*p, ay+dy*p
	if d := math.Hypot(dx, dy); d > 0 {
		x += -dy / d * offset
		y += dx / d * offset
	}
	return Point{X: x, Y: y}, true
}

// Progress is how far a message is along its link at time now, between 0
// (sent) and 1 (arriving).
func Progress(sent, arrive, now engine.Time) float64 {
	if arrive <= sent {
		return 1
	}
	p := float64(now-sent) / float64(arrive-sent)
	return min(max(p, 0), 1)
}

// msgKey identifies a message across snapshots well enough to remember
// when the page first saw it.
type msgKey struct {
	kind, from, to, label string
	pg                    uint32
	arrive                engine.Time
}

// Tracker remembers when each message in flight was first seen, for
// snapshots that do not carry the send time: the page then draws the
// message from the moment it appeared.
type Tracker struct {
	seen map[msgKey]engine.Time
	live map[msgKey]bool
}

// Progress returns, for each message of msgs, its progress at time now. It
// forgets messages no longer in flight.
func (t *Tracker) Progress(msgs []engine.MsgState, now engine.Time, out []float64) []float64 {
	if t.seen == nil {
		t.seen, t.live = map[msgKey]engine.Time{}, map[msgKey]bool{}
	}
	clear(t.live)
	out = out[:0]
	for _, m := range msgs {
		sent := m.Sent
		if sent == 0 {
			k := msgKey{kind: m.Kind, from: m.From, to: m.To, label: m.Label, pg: m.PG, arrive: m.Arrive}
			first, ok := t.seen[k]
			if !ok {
				first = now
				t.seen[k] = now
			}
			t.live[k] = true
			sent = first
		}
		out = append(out, Progress(sent, m.Arrive, now))
	}
	for k := range t.seen {
		if !t.live[k] {
			delete(t.seen, k)
		}
	}
	return out
}
