//go:build js && wasm

package view

import (
	"fmt"
	"strings"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
)

// MaxMessages bounds the messages drawn in one frame; the rest are counted.
const MaxMessages = 400

// Topology draws the region, its AZs, the instances and storage nodes in
// them, and the messages in flight, as SVG.
type Topology struct {
	b     *dom.Builder
	host  dom.Element
	svg   dom.Element
	scene dom.Element // region, AZs, boxes; rebuilt when the layout changes
	msgs  dom.Element // message shapes, drawn over the scene

	key    string
	layout Layout
	azs    map[string]*azView
	nodes  map[string]*nodeView
	insts  map[string]*instView

	pool    []*msgView
	tracker Tracker
	prog    []float64
	hidden  textSlot // "N more in flight" note under the drawing
}

type azView struct {
	label textSlot
	down  classSlot
}

type nodeView struct {
	down   classSlot
	state  textSlot
	data   attrSlot
	aria   attrSlot
	segs   []textSlot
	segCls []classSlot
}

type instView struct {
	down  classSlot
	line  textSlot
	data  attrSlot
	aria  attrSlot
	role  string
	roleC classSlot
}

type msgView struct {
	g     dom.Element
	shape dom.Element
	vis   attrSlot
	tr    attrSlot
	d     attrSlot
	cls   attrSlot
}

// NewTopology draws into host, an empty element.
func NewTopology(doc dom.Document, host dom.Element) (*Topology, error) {
	t := &Topology{b: dom.NewBuilder(doc), host: host}
	b := t.b
	t.svg = b.SVG("svg", "class", "topology", "role", "group", "aria-label", "Cluster topology")
	t.scene = b.SVG("g", "class", "scene")
	t.msgs = b.SVG("g", "class", "msgs", "aria-hidden", "true")
	note := b.El("p", "topology-note", "")
	t.hidden = textSlot{el: note}
	b.Add(t.svg, t.scene, t.msgs)
	b.Add(host, t.svg, note)
	return t, b.Err()
}

// Layout returns the current layout.
func (t *Topology) Layout() *Layout { return &t.layout }

// Render draws snapshot s in a drawing width pixels wide.
func (t *Topology) Render(s *engine.Snapshot, width float64) error {
	if k := Key(s, width); k != t.key {
		if err := t.build(s, width); err != nil {
			return err
		}
		t.key = k
	}
	for _, az := range s.AZs {
		v := t.azs[az.Name]
		if v == nil {
			continue
		}
		label := "AZ " + az.Name
		if !az.Up {
			down := 0
			for _, n := range s.Nodes {
				if n.AZ == az.Name && !n.Up {
					down++
				}
			}
			if down == len(az.Nodes) {
				label += " · ✕ all nodes down"
			} else {
				label += fmt.Sprintf(" · ⚠ %d of %d nodes down", down, len(az.Nodes))
			}
		}
		t.b.Keep(v.label.Set(label))
		t.b.Keep(v.down.Set(!az.Up))
	}
	for i := range s.Nodes {
		t.renderNode(&s.Nodes[i])
	}
	for i := range s.Instances {
		t.renderInst(&s.Instances[i])
	}
	t.renderMsgs(s)
	return t.b.Err()
}

func upText(up bool) (state, word string) {
	if up {
		return "✓ up", "up"
	}
	return "✕ down", "down"
}

func (t *Topology) renderNode(n *engine.NodeState) {
	v := t.nodes[n.Name]
	if v == nil {
		return
	}
	b := t.b
	state, word := upText(n.Up)
	b.Keep(v.down.Set(!n.Up))
	b.Keep(v.state.Set(state))
	b.Keep(v.data.Set(word))
	var aria strings.Builder
	fmt.Fprintf(&aria, "storage node %s, AZ %s, %s", n.Name, n.AZ, word)
	for i := range v.segs {
		text := ""
		full := false
		switch {
		case i < len(n.Segments) && (i < MaxSegLines || len(n.Segments) == MaxSegLines+1):
			sg := n.Segments[i]
			kind := "tail"
			if sg.Full {
				kind = "full"
			}
			text = fmt.Sprintf("pg%d  SCL %d  %s", sg.PG, sg.SCL, kind)
			full = sg.Full
		case i == MaxSegLines && len(n.Segments) > MaxSegLines+1:
			text = fmt.Sprintf("+%d more segments", len(n.Segments)-MaxSegLines)
		}
		b.Keep(v.segs[i].Set(text))
		b.Keep(v.segCls[i].Set(full))
	}
	for _, sg := range n.Segments {
		fmt.Fprintf(&aria, "; pg%d segment SCL %d", sg.PG, sg.SCL)
	}
	b.Keep(v.aria.Set(aria.String()))
}

func (t *Topology) renderInst(in *engine.InstState) {
	v := t.insts[in.Name]
	if v == nil {
		return
	}
	b := t.b
	state, word := upText(in.Up)
	b.Keep(v.down.Set(!in.Up))
	b.Keep(v.line.Set(in.Role + " · " + state))
	b.Keep(v.data.Set(word))
	b.Keep(v.aria.Set(fmt.Sprintf("instance %s, %s, AZ %s, %s", in.Name, in.Role, in.AZ, word)))
	if in.Role != v.role {
		b.Keep(v.roleC.el.SetClass("role-"+v.role, false))
		v.role = in.Role
		v.roleC = classSlot{el: v.roleC.el, name: "role-" + in.Role}
		b.Keep(v.roleC.Set(true))
	}
}

// build lays out and creates the scene for s.
func (t *Topology) build(s *engine.Snapshot, width float64) error {
	b := t.b
	l := Compute(s, width)
	t.layout = l
	t.azs, t.nodes, t.insts = map[string]*azView{}, map[string]*nodeView{}, map[string]*instView{}
	b.Attr(t.svg, "viewBox", fmt.Sprintf("0 0 %s %s", num(l.Width), num(l.Height)))
	b.Attr(t.svg, "width", num(l.Width))
	b.Attr(t.svg, "height", num(l.Height))

	region := b.SVG("g", "class", "region")
	r := l.Region
	b.Add(region,
		b.SVG("rect", "class", "region-box", "x", num(r.X), "y", num(r.Y), "width", num(r.W), "height", num(r.H), "rx", "10"),
		t.text("region-label", r.X+regionPad, r.Y+18, fmt.Sprintf("Region · %d AZs", len(l.AZs))),
	)
	for _, az := range l.AZs {
		g := b.SVG("g", "class", "az", "data-az", az.Name, "role", "group", "aria-label", "AZ "+az.Name)
		ar := az.Rect
		label := t.text("az-label", ar.X+pad, ar.Y+19, "AZ "+az.Name)
		b.Add(g, b.SVG("rect", "class", "az-box", "x", num(ar.X), "y", num(ar.Y), "width", num(ar.W), "height", num(ar.H), "rx", "8"), label)
		t.azs[az.Name] = &azView{label: textSlot{el: label}, down: classSlot{el: g, name: "down"}}
		for _, in := range s.Instances {
			if in.AZ == az.Name {
				b.Add(g, t.buildInst(in.Name))
			}
		}
		for _, n := range s.AZs {
			if n.Name != az.Name {
				continue
			}
			for _, name := range n.Nodes {
				b.Add(g, t.buildNode(name, l.SegLines))
			}
		}
		b.Add(region, g)
	}
	b.Keep(t.scene.ReplaceChildren(region))
	return b.Err()
}

func (t *Topology) text(class string, x, y float64, s string) dom.Element {
	e := t.b.SVG("text", "class", class, "x", num(x), "y", num(y))
	if s != "" {
		t.b.Keep(e.SetText(s))
	}
	return e
}

func (t *Topology) buildNode(name string, lines int) dom.Element {
	b := t.b
	r := t.layout.Boxes[name]
	g := b.SVG("g", "class", "node", "data-node", name, "role", "img")
	name0 := t.text("name", r.X+10, r.Y+20, name)
	state := t.text("state", r.X+r.W-10, r.Y+20, "")
	b.Add(g, b.SVG("rect", "class", "box", "x", num(r.X), "y", num(r.Y), "width", num(r.W), "height", num(r.H), "rx", "6"), name0, state)
	v := &nodeView{
		down:  classSlot{el: g, name: "down"},
		state: textSlot{el: state},
		data:  attrSlot{el: g, name: "data-state"},
		aria:  attrSlot{el: g, name: "aria-label"},
	}
	for i := range lines {
		seg := t.text("seg", r.X+10, r.Y+nodeHead+3+float64(i)*segLineH, "")
		b.Add(g, seg)
		v.segs = append(v.segs, textSlot{el: seg})
		v.segCls = append(v.segCls, classSlot{el: seg, name: "full"})
	}
	t.nodes[name] = v
	return g
}

func (t *Topology) buildInst(name string) dom.Element {
	b := t.b
	r := t.layout.Boxes[name]
	g := b.SVG("g", "class", "inst", "data-inst", name, "role", "img")
	line := t.text("role", r.X+10, r.Y+37, "")
	b.Add(g,
		b.SVG("rect", "class", "box", "x", num(r.X), "y", num(r.Y), "width", num(r.W), "height", num(r.H), "rx", "6"),
		t.text("name", r.X+10, r.Y+19, name), line)
	t.insts[name] = &instView{
		down:  classSlot{el: g, name: "down"},
		line:  textSlot{el: line},
		data:  attrSlot{el: g, name: "data-state"},
		aria:  attrSlot{el: g, name: "aria-label"},
		roleC: classSlot{el: g},
	}
	return g
}

// Message shapes, centred on the origin: the kind is told by shape as well
// as by colour.
const (
	shapeCircle   = "M-5,0a5,5 0 1,0 10,0a5,5 0 1,0 -10,0Z"
	shapeDiamond  = "M0,-6L6,0L0,6L-6,0Z"
	shapeTriangle = "M0,-6L6,5L-6,5Z"
	shapeSquare   = "M-4,-4h8v8h-8Z"
	shapeBar      = "M-7,-2.5h14v5h-14Z"
)

// MessageShape returns the CSS class and the SVG path of a message kind:
// the kind is told by shape as well as by colour.
func MessageShape(kind string) (class, shape string) {
	switch kind {
	case "write":
		return "m-write", shapeCircle
	case "write-ack":
		return "m-ack", shapeDiamond
	case "write-reject":
		return "m-reject", shapeDiamond
	case "gossip", "gossip-reply":
		return "m-gossip", shapeTriangle
	case "read", "read-reply":
		return "m-read", shapeSquare
	case "log-stream":
		return "m-stream", shapeBar
	default:
		return "m-other", shapeSquare
	}
}

func (t *Topology) renderMsgs(s *engine.Snapshot) {
	b := t.b
	t.prog = t.tracker.Progress(s.InFlight, s.Now, t.prog)
	drawn := 0
	for i, m := range s.InFlight {
		if drawn == MaxMessages {
			break
		}
		off := 4.0
		if m.From > m.To {
			off = -4
		}
		pt, ok := t.layout.Along(m.From, m.To, t.prog[i], off)
		if !ok {
			continue
		}
		if drawn == len(t.pool) {
			g := b.SVG("g", "class", "msg")
			shape := b.SVG("path")
			b.Add(g, shape)
			b.Add(t.msgs, g)
			t.pool = append(t.pool, &msgView{
				g: g, shape: shape,
				vis: attrSlot{el: g, name: "visibility"},
				tr:  attrSlot{el: g, name: "transform"},
				d:   attrSlot{el: shape, name: "d"},
				cls: attrSlot{el: g, name: "class"},
			})
		}
		v := t.pool[drawn]
		class, shape := MessageShape(m.Kind)
		b.Keep(v.cls.Set("msg " + class))
		b.Keep(v.d.Set(shape))
		b.Keep(v.tr.Set("translate(" + num(pt.X) + "," + num(pt.Y) + ")"))
		b.Keep(v.vis.Set("visible"))
		drawn++
	}
	for _, v := range t.pool[drawn:] {
		b.Keep(v.vis.Set("hidden"))
	}
	note := ""
	if n := len(s.InFlight); n > drawn {
		note = fmt.Sprintf("%d more messages in flight are not drawn.", n-drawn)
	}
	b.Keep(t.hidden.Set(note))
}
