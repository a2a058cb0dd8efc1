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

// SegMode is how a storage node box shows its segments.
type SegMode int

// Segment modes, from roomiest to most compact: a line per segment with
// its PG and SCL (a few segments), a labelled chip per segment (several
// PGs), a small square per segment (a volume that grew large).
const (
	SegLines SegMode = iota
	SegChips
	SegDots
)

// Layout is where everything of the topology goes.
type Layout struct {
	Width, Height float64
	Narrow        bool // AZs stacked instead of side by side
	Region        Rect
	AZs           []AZBox
	// Boxes holds the storage nodes, the instances and the regional
	// services (the backup store "backup", the control plane "cp"), by
	// name.
	Boxes map[string]Rect
	// Segs is how many segments the fullest node holds, Mode how they are
	// shown, PerRow how many chips or dots fit in a row of a node box, and
	// Slots how many a node box has room for (whole rows: the drawing is
	// laid out again only when a node needs a new row).
	Segs   int
	Mode   SegMode
	PerRow int
	Slots  int
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
	instW       = 150.0
	instH       = 62.0
	tierGap     = 14.0
	nodeHead    = 30.0
	segLineH    = 16.0
	svcH        = 40.0
	svcW        = 150.0
	// MaxSegLines is the most segments a node shows a line each for.
	MaxSegLines = 4
	// Chips: a labelled box per segment.
	chipW, chipH, chipGap = 40.0, 18.0, 4.0
	// Dots: a small square per segment.
	dotW, dotGap = 10.0, 3.0
	// MaxChipRows is the most rows of chips a node box takes before it
	// switches to dots.
	MaxChipRows = 6
)

// Key names what a layout depends on: the width, the AZs and their nodes,
// the instances and where they are, and how the nodes show their
// segments. The page lays out again only when the key changes.
func Key(s *engine.Snapshot, width float64) string {
	var b strings.Builder
	_, _, nodeW := geometry(s, width)
	mode, per, _ := segArea(maxSegs(s), nodeW)
	fmt.Fprintf(&b, "w%d|m%d|s%d", int(math.Round(width)), mode, slots(maxSegs(s), mode, per))
	for _, az := range s.AZs {
		b.WriteString("|" + az.Name + ":" + strings.Join(az.Nodes, ","))
	}
	b.WriteString("|i")
	for _, in := range s.Instances {
		b.WriteString("," + in.Name + "@" + in.AZ)
	}
	return b.String()
}

func maxSegs(s *engine.Snapshot) int {
	n := 0
	for _, nd := range s.Nodes {
		n = max(n, len(nd.Segments))
	}
	return n
}

// slots returns how many segment places a node box gets: whole rows.
func slots(segs int, mode SegMode, per int) int {
	if mode == SegLines {
		return max(segs, 1)
	}
	return (segs + per - 1) / per * per
}

// geometry returns an AZ column's width, the storage nodes per row of an
// AZ and a node box's width.
func geometry(s *engine.Snapshot, width float64) (colW float64, nodesPerRow int, nodeW float64) {
	width = max(width, 280)
	narrow := width < narrowBelow
	nAZ := max(len(s.AZs), 1)
	innerW := width - 2*margin - 2*regionPad
	colW = innerW
	if !narrow {
		colW = (innerW - float64(nAZ-1)*azGap) / float64(nAZ)
	}
	nodesPerRow = 2
	switch {
	case colW < 250:
		nodesPerRow = 1
	case narrow && colW >= 560:
		nodesPerRow = 3
	}
	most := 1 // nodes in the fullest AZ: no empty columns when there are few
	for _, az := range s.AZs {
		most = max(most, len(az.Nodes))
	}
	nodesPerRow = min(nodesPerRow, most)
	nodeW = (colW - pad*float64(nodesPerRow+1)) / float64(nodesPerRow)
	return colW, nodesPerRow, nodeW
}

// segArea returns how a node box nodeW wide shows segs segments, how many
// fit a row, and the height they take.
func segArea(segs int, nodeW float64) (SegMode, int, float64) {
	inner := nodeW - 2*pad + chipGap
	if segs <= MaxSegLines {
		return SegLines, 1, float64(max(segs, 1)) * segLineH
	}
	per := max(int(inner/(chipW+chipGap)), 1)
	rows := (segs + per - 1) / per
	if rows <= MaxChipRows {
		return SegChips, per, float64(rows) * (chipH + chipGap)
	}
	per = max(int((nodeW-2*pad+dotGap)/(dotW+dotGap)), 1)
	rows = (segs + per - 1) / per
	return SegDots, per, float64(rows) * (dotW + dotGap)
}

// SegRect returns where segment i of a node box r goes in layout l.
func (l *Layout) SegRect(r Rect, i int) Rect {
	x0, y0 := r.X+pad, r.Y+nodeHead+2
	switch l.Mode {
	case SegLines:
		return Rect{X: x0, Y: y0 + float64(i)*segLineH, W: r.W - 2*pad, H: segLineH}
	case SegChips:
		row, col := i/l.PerRow, i%l.PerRow
		return Rect{X: x0 + float64(col)*(chipW+chipGap), Y: y0 + float64(row)*(chipH+chipGap), W: chipW, H: chipH}
	}
	row, col := i/l.PerRow, i%l.PerRow
	return Rect{X: x0 + float64(col)*(dotW+dotGap), Y: y0 + float64(row)*(dotW+dotGap), W: dotW, H: dotW}
}

// Compute lays out the topology of s in a drawing width pixels wide.
func Compute(s *engine.Snapshot, width float64) Layout {
	width = max(width, 280)
	l := Layout{Width: width, Narrow: width < narrowBelow, Boxes: map[string]Rect{}, Segs: maxSegs(s)}
	innerW := width - 2*margin - 2*regionPad
	colW, nodesPerRow, nodeW := geometry(s, width)

	instByAZ := map[string][]string{}
	for _, in := range s.Instances {
		instByAZ[in.AZ] = append(instByAZ[in.AZ], in.Name)
	}
	instPerRow := max(int((colW-pad)/(instW+pad)), 1)
	mode, per, segH := segArea(l.Segs, nodeW)
	l.Mode, l.PerRow, l.Slots = mode, per, slots(l.Segs, mode, per)
	nodeH := nodeHead + segH + 8
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
	// The regional services, outside the AZs: the backup store the nodes
	// stage their log to, and the control plane that changes membership.
	w := min(svcW, (innerW-pad)/2)
	cx := width / 2
	l.Boxes["backup"] = Rect{X: cx - pad/2 - w, Y: bottom, W: w, H: svcH}
	l.Boxes["cp"] = Rect{X: cx + pad/2, Y: bottom, W: w, H: svcH}
	bottom += svcH + azGap
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
