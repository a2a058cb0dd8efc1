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
// them with the segments of every protection group, the regional services,
// the faulty links and the messages in flight, as SVG.
//
// Nodes, instances and AZ labels carry data-node, data-inst and data-az
// and are focusable buttons: the page opens their fault menus on click.
type Topology struct {
	b     *dom.Builder
	host  dom.Element
	svg   dom.Element
	scene dom.Element // region, AZs, boxes; rebuilt when the layout changes
	links dom.Element // faulty links, drawn under the messages
	msgs  dom.Element // message shapes, drawn over the scene

	key    string
	layout Layout
	azs    map[string]*azView
	nodes  map[string]*nodeView
	insts  map[string]*instView

	pool     []*msgView
	linkPool []*linkView
	tracker  Tracker
	prog     []float64
	hidden   textSlot // "N more in flight" note under the drawing

	// Selected is the protection group whose segments are highlighted (0
	// for none).
	Selected uint32
	// Highlight holds the names a guided scenario points at: AZs, nodes,
	// instances, and protection groups ("pg1", whose segments light up).
	Highlight map[string]bool
	// ReducedMotion draws each message at the middle of its link instead
	// of moving it along (prefers-reduced-motion).
	ReducedMotion bool
}

type azView struct {
	label textSlot
	aria  attrSlot
	down  classSlot
	hl    classSlot
}

type nodeView struct {
	down  classSlot
	hl    classSlot
	state textSlot
	badge textSlot
	data  attrSlot
	name  textSlot // its <title>: the button's name, in words
	segs  []*segView
}

// segView is one segment slot of a node box.
type segView struct {
	g     dom.Element
	vis   attrSlot
	text  textSlot // lines and chips
	title textSlot
	cls   attrSlot
	pg    attrSlot
}

type instView struct {
	state textSlot
	line  textSlot
	line2 textSlot
	data  attrSlot
	name  textSlot // its <title>: the button's name, in words
	cls   attrSlot
}

type msgView struct {
	g     dom.Element
	shape dom.Element
	vis   attrSlot
	tr    attrSlot
	d     attrSlot
	cls   attrSlot
}

type linkView struct {
	g     dom.Element
	vis   attrSlot
	line  [4]attrSlot // x1 y1 x2 y2
	cls   attrSlot
	label textSlot
	lx    attrSlot
	ly    attrSlot
	title textSlot
}

// NewTopology draws into host, an empty element.
func NewTopology(doc dom.Document, host dom.Element) (*Topology, error) {
	t := &Topology{b: dom.NewBuilder(doc), host: host}
	b := t.b
	t.svg = b.SVG("svg", "class", "topology", "role", "group", "aria-label", "Cluster topology: select a node, an instance or an AZ for its faults")
	t.scene = b.SVG("g", "class", "scene")
	t.links = b.SVG("g", "class", "links")
	t.msgs = b.SVG("g", "class", "msgs", "aria-hidden", "true")
	note := b.El("p", "topology-note", "")
	t.hidden = textSlot{el: note}
	b.Add(t.svg, t.scene, t.links, t.msgs)
	b.Add(host, t.svg, note)
	return t, b.Err()
}

// Layout returns the current layout.
func (t *Topology) Layout() *Layout { return &t.layout }

// SVG returns the drawing, for the page's click and key handlers.
func (t *Topology) SVG() dom.Element { return t.svg }

// Render draws snapshot s in a drawing width pixels wide; links are the
// faulty links (Lab.Links).
func (t *Topology) Render(s *engine.Snapshot, links []engine.LinkState, width float64) error {
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
		t.b.Keep(v.aria.Set(label + ": faults of the whole AZ"))
		t.b.Keep(v.down.Set(!az.Up))
		t.b.Keep(v.hl.Set(t.Highlight[az.Name]))
	}
	pgcl := map[uint32]uint64{}
	for _, pg := range s.Volume.PGs {
		pgcl[pg.ID] = pg.PGCL
	}
	for i := range s.Nodes {
		t.renderNode(&s.Nodes[i], s, pgcl)
	}
	for i := range s.Instances {
		t.renderInst(&s.Instances[i], s)
	}
	t.renderLinks(links)
	t.renderMsgs(s)
	return t.b.Err()
}

func upText(up bool) (state, word string) {
	if up {
		return "✓ up", "up"
	}
	return "✕ down", "down"
}

// segDescribe returns the words for a segment: its marks (short, for the
// drawing) and a sentence (for titles and screen readers).
func segDescribe(node string, sg *engine.SegmentState, pgcl uint64, volEpoch uint64) (marks, sentence, class string) {
	var m []string
	var words []string
	class = "seg"
	if sg.Full {
		class += " full"
		words = append(words, "full segment (log and pages)")
	} else {
		class += " tail"
		words = append(words, "tail segment (log only)")
	}
	if sg.Retired {
		class += " retired"
		m = append(m, "✕")
		words = append(words, "retired")
	}
	if !sg.Hydrated {
		class += " filling"
		m = append(m, "◔")
		words = append(words, "filling from a peer (hydration)")
	}
	if sg.Corrupt > 0 {
		class += " corrupt"
		m = append(m, "⚠")
		words = append(words, fmt.Sprintf("%d damaged item(s) found by scrub, awaiting repair", sg.Corrupt))
	}
	if sg.Gaps > 0 {
		class += " gaps"
		m = append(m, "◌")
		words = append(words, fmt.Sprintf("%d record(s) waiting above a gap (gossip fills it)", sg.Gaps))
	}
	if pgcl > 0 && sg.SCL < pgcl && !sg.Retired {
		class += " behind"
		words = append(words, fmt.Sprintf("SCL %d behind the PG's PGCL %d", sg.SCL, pgcl))
	}
	sentence = fmt.Sprintf("pg%d segment s%d on %s: SCL %d, %d records in the hot log, membership epoch %d; %s",
		sg.PG, sg.ID, node, sg.SCL, sg.Records, sg.MemEpoch, strings.Join(words, "; "))
	return strings.Join(m, ""), sentence, class
}

func (t *Topology) renderNode(n *engine.NodeState, s *engine.Snapshot, pgcl map[uint32]uint64) {
	v := t.nodes[n.Name]
	if v == nil {
		return
	}
	b := t.b
	state, word := upText(n.Up)
	b.Keep(v.down.Set(!n.Up))
	b.Keep(v.hl.Set(t.Highlight[n.Name]))
	b.Keep(v.state.Set(state))
	b.Keep(v.data.Set(word))
	var badges []string
	if n.Slow > 0 {
		badges = append(badges, "slow +"+n.Slow.String())
	}
	if n.Epoch != 0 && n.Epoch != s.Volume.Epoch {
		badges = append(badges, fmt.Sprintf("epoch %d", n.Epoch))
	}
	if n.Queue > 0 {
		badges = append(badges, fmt.Sprintf("disk queue %d", n.Queue))
	}
	b.Keep(v.badge.Set(strings.Join(badges, " · ")))
	var aria strings.Builder
	fmt.Fprintf(&aria, "storage node %s, AZ %s, %s", n.Name, n.AZ, word)
	if n.Slow > 0 {
		fmt.Fprintf(&aria, ", slow by %v", n.Slow)
	}
	fmt.Fprintf(&aria, ", volume epoch %d, %d segments", n.Epoch, len(n.Segments))
	st := n.Stats
	fmt.Fprintf(&aria, "; %d records persisted, %d acks sent, %d filled by gossip, %d corrupt found, %d repaired",
		st.Persisted, st.Acks, st.GossipFilled, st.CorruptFound, st.Repaired)
	b.Keep(v.name.Set(aria.String()))
	for i, sv := range v.segs {
		if i >= len(n.Segments) {
			b.Keep(sv.vis.Set("hidden"))
			continue
		}
		sg := &n.Segments[i]
		marks, sentence, class := segDescribe(n.Name, sg, pgcl[sg.PG], s.Volume.Epoch)
		if t.Selected != 0 && sg.PG == t.Selected {
			class += " sel"
		}
		if t.Highlight["pg"+fmt.Sprint(sg.PG)] {
			class += " hl"
		}
		b.Keep(sv.vis.Set("visible"))
		b.Keep(sv.cls.Set(class))
		b.Keep(sv.pg.Set(fmt.Sprint(sg.PG)))
		b.Keep(sv.title.Set(sentence))
		switch t.layout.Mode {
		case SegLines:
			kind := "tail"
			if sg.Full {
				kind = "full"
			}
			b.Keep(sv.text.Set(strings.TrimSpace(fmt.Sprintf("pg%d  SCL %d  %s %s", sg.PG, sg.SCL, kind, marks))))
		case SegChips:
			b.Keep(sv.text.Set(fmt.Sprintf("%d%s", sg.PG, marks)))
		}
	}
}

func (t *Topology) renderInst(in *engine.InstState, s *engine.Snapshot) {
	v := t.insts[in.Name]
	if v == nil {
		return
	}
	b := t.b
	state, word := upText(in.Up)
	b.Keep(v.state.Set(state))
	b.Keep(v.data.Set(word))
	role := in.Role
	if in.Fenced {
		role += " · ⛔ fenced"
	}
	b.Keep(v.line.Set(role))
	line2 := fmt.Sprintf("VDL %d", in.VDL)
	switch {
	case in.Name == s.Volume.Writer && s.Volume.Recovering != "":
		line2 = "⟳ recovering: " + s.Volume.Recovering
	case in.Role == "replica" && in.LagMax > 0:
		line2 += " · lag " + in.Lag.String()
	}
	if !in.Up {
		line2 = "—"
	}
	b.Keep(v.line2.Set(line2))
	class := "inst role-" + in.Role
	if !in.Up {
		class += " down"
	}
	if in.Name == s.Volume.Writer && s.Volume.Recovering != "" {
		class += " recovering"
	}
	if t.Highlight[in.Name] {
		class += " hl"
	}
	b.Keep(v.cls.Set(class))
	aria := fmt.Sprintf("instance %s, %s, AZ %s, %s, reads at VDL %d", in.Name, in.Role, in.AZ, word, in.VDL)
	if in.Role == "replica" && in.LagMax > 0 {
		aria += fmt.Sprintf(", lag %v (median %v, max %v)", in.Lag, in.LagP50, in.LagMax)
	}
	if in.Fenced {
		aria += ", fenced: another instance recovered the volume"
	}
	b.Keep(v.name.Set(aria))
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
		labelG := b.SVG("g", "class", "az-head", "data-az", az.Name, "role", "button", "tabindex", "0",
			"aria-label", "AZ "+az.Name+": faults of the whole AZ")
		label := t.text("az-label", ar.X+pad, ar.Y+19, "AZ "+az.Name)
		// The button's name (aria-label, kept up to date) begins with
		// the label's visible text (WCAG 2.5.3), so the text itself is
		// not read twice.
		b.Attr(label, "aria-hidden", "true")
		b.Add(labelG, b.SVG("rect", "class", "hit", "x", num(ar.X), "y", num(ar.Y), "width", num(ar.W), "height", num(azLabel)), label)
		b.Add(g, b.SVG("rect", "class", "az-box", "x", num(ar.X), "y", num(ar.Y), "width", num(ar.W), "height", num(ar.H), "rx", "8"), labelG)
		t.azs[az.Name] = &azView{label: textSlot{el: label}, aria: attrSlot{el: labelG, name: "aria-label"},
			down: classSlot{el: g, name: "down"}, hl: classSlot{el: g, name: "hl"}}
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
				b.Add(g, t.buildNode(name, l.Slots))
			}
		}
		b.Add(region, g)
	}
	for _, svc := range []struct{ name, label, sub string }{
		{"backup", "backup store", "the model's S3: staged log"},
		{"cp", "control plane", "membership, failover"},
	} {
		r := l.Boxes[svc.name]
		g := b.SVG("g", "class", "svc", "data-svc", svc.name, "role", "img", "aria-label", svc.label+": "+svc.sub)
		b.Add(g,
			b.SVG("rect", "class", "box", "x", num(r.X), "y", num(r.Y), "width", num(r.W), "height", num(r.H), "rx", "6"),
			t.text("name", r.X+10, r.Y+17, svc.label), t.text("sub", r.X+10, r.Y+32, svc.sub))
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

func (t *Topology) buildNode(name string, segs int) dom.Element {
	b := t.b
	r := t.layout.Boxes[name]
	g := b.SVG("g", "class", "node", "data-node", name, "role", "button", "tabindex", "0")
	name0 := t.text("name", r.X+10, r.Y+20, name)
	state := t.text("state", r.X+r.W-10, r.Y+20, "")
	badge := t.text("badge", r.X+10+float64(len(name))*9+8, r.Y+20, "")
	// The button's name is a <title>, the first child: a sentence with
	// everything the box shows and more (an aria-label would have to
	// repeat the visible text word for word, WCAG 2.5.3).
	title := b.SVG("title")
	b.Add(g, title)
	b.Add(g, b.SVG("rect", "class", "box", "x", num(r.X), "y", num(r.Y), "width", num(r.W), "height", num(r.H), "rx", "6"), name0, badge, state)
	v := &nodeView{
		down:  classSlot{el: g, name: "down"},
		hl:    classSlot{el: g, name: "hl"},
		state: textSlot{el: state},
		badge: textSlot{el: badge},
		data:  attrSlot{el: g, name: "data-state"},
		name:  textSlot{el: title},
	}
	for i := range segs {
		sr := t.layout.SegRect(r, i)
		sg := b.SVG("g", "class", "seg", "aria-hidden", "true")
		title := b.SVG("title")
		b.Add(sg, title)
		sv := &segView{g: sg, vis: attrSlot{el: sg, name: "visibility"}, cls: attrSlot{el: sg, name: "class"},
			pg: attrSlot{el: sg, name: "data-pg"}, title: textSlot{el: title}}
		switch t.layout.Mode {
		case SegLines:
			tx := t.text("seg-line", sr.X, sr.Y+12, "")
			b.Add(sg, tx)
			sv.text = textSlot{el: tx}
		case SegChips:
			tx := t.text("chip-text", sr.X+sr.W/2, sr.Y+13, "")
			b.Add(sg, b.SVG("rect", "class", "chip", "x", num(sr.X), "y", num(sr.Y), "width", num(sr.W), "height", num(sr.H), "rx", "3"), tx)
			sv.text = textSlot{el: tx}
		default:
			b.Add(sg, b.SVG("rect", "class", "chip", "x", num(sr.X), "y", num(sr.Y), "width", num(sr.W), "height", num(sr.H), "rx", "2"))
		}
		b.Add(g, sg)
		v.segs = append(v.segs, sv)
	}
	t.nodes[name] = v
	return g
}

func (t *Topology) buildInst(name string) dom.Element {
	b := t.b
	r := t.layout.Boxes[name]
	g := b.SVG("g", "class", "inst", "data-inst", name, "role", "button", "tabindex", "0")
	state := t.text("state", r.X+r.W-10, r.Y+19, "")
	line := t.text("role", r.X+10, r.Y+36, "")
	line2 := t.text("line2", r.X+10, r.Y+53, "")
	name0 := t.text("name", r.X+10, r.Y+19, name)
	title := b.SVG("title") // the button's name, as for a node
	b.Add(g, title,
		b.SVG("rect", "class", "box", "x", num(r.X), "y", num(r.Y), "width", num(r.W), "height", num(r.H), "rx", "6"),
		name0, state, line, line2)
	t.insts[name] = &instView{
		state: textSlot{el: state},
		line:  textSlot{el: line},
		line2: textSlot{el: line2},
		data:  attrSlot{el: g, name: "data-state"},
		name:  textSlot{el: title},
		cls:   attrSlot{el: g, name: "class"},
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
	shapeCross    = "M-5,-2h3v-3h4v3h3v4h-3v3h-4v-3h-3Z"
	shapeHeart    = "M-4,-4h8v3h-8Z"
	shapeStar     = "M0,-6L1.8,-1.8L6,0L1.8,1.8L0,6L-1.8,1.8L-6,0L-1.8,-1.8Z"
)

// MessageShape returns the CSS class and the SVG path of a message kind:
// the kind is told by shape as well as by colour.
func MessageShape(kind string) (class, shape string) {
	switch kind {
	case "write":
		return "m-write", shapeCircle
	case "write-ack":
		return "m-ack", shapeDiamond
	case "write-reject", "read-reject":
		return "m-reject", shapeCross
	case "gossip", "gossip-reply":
		return "m-gossip", shapeTriangle
	case "read", "read-reply":
		return "m-read", shapeSquare
	case "log-stream", "log-stream-ack":
		return "m-stream", shapeBar
	case "heartbeat":
		return "m-heartbeat", shapeHeart
	case "stage", "stage-ack":
		return "m-stage", shapeBar
	case "control", "control-reply":
		return "m-control", shapeStar
	default:
		return "m-other", shapeSquare
	}
}

func (t *Topology) renderMsgs(s *engine.Snapshot) {
	b := t.b
	t.prog = t.tracker.Progress(s.InFlight, s.Now, t.prog)
	if t.ReducedMotion {
		for i := range t.prog {
			t.prog[i] = 0.5
		}
	}
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
		if strings.HasSuffix(m.Kind, "-reply") || (strings.HasSuffix(m.Kind, "-ack") && m.Kind != "write-ack") {
			class += " reply"
		}
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

// renderLinks draws the faulty links: cut (✂), slower (+latency) or lossy.
func (t *Topology) renderLinks(links []engine.LinkState) {
	b := t.b
	drawn := 0
	for _, ln := range links {
		a, ok1 := t.layout.Boxes[ln.A]
		c, ok2 := t.layout.Boxes[ln.B]
		if !ok1 || !ok2 {
			continue
		}
		if drawn == len(t.linkPool) {
			g := b.SVG("g", "class", "link")
			title := b.SVG("title")
			line := b.SVG("line")
			label := b.SVG("text", "class", "link-label")
			b.Add(g, title, line, label)
			b.Add(t.links, g)
			t.linkPool = append(t.linkPool, &linkView{g: g, vis: attrSlot{el: g, name: "visibility"},
				line: [4]attrSlot{{el: line, name: "x1"}, {el: line, name: "y1"}, {el: line, name: "x2"}, {el: line, name: "y2"}},
				cls:  attrSlot{el: g, name: "class"}, label: textSlot{el: label},
				lx: attrSlot{el: label, name: "x"}, ly: attrSlot{el: label, name: "y"}, title: textSlot{el: title}})
		}
		v := t.linkPool[drawn]
		ax, ay := a.Center()
		cx, cy := c.Center()
		for i, f := range []float64{ax, ay, cx, cy} {
			b.Keep(v.line[i].Set(num(f)))
		}
		var parts, words []string
		class := "link"
		arrow := " ↔ "
		if ln.OneWay {
			arrow = " → "
		}
		if ln.Cut {
			class += " cut"
			parts = append(parts, "✂")
			words = append(words, "cut (partition)")
		}
		if ln.Latency > 0 {
			class += " slow"
			parts = append(parts, "+"+ln.Latency.String())
			words = append(words, ln.Latency.String()+" more delay")
		}
		if ln.Loss > 0 {
			class += " lossy"
			parts = append(parts, fmt.Sprintf("−%g%%", ln.Loss))
			words = append(words, fmt.Sprintf("%g%% of messages lost", ln.Loss))
		}
		b.Keep(v.cls.Set(class))
		b.Keep(v.label.Set(strings.Join(parts, " ")))
		b.Keep(v.lx.Set(num((ax + cx) / 2)))
		b.Keep(v.ly.Set(num((ay+cy)/2 - 4)))
		b.Keep(v.title.Set("link " + ln.A + arrow + ln.B + ": " + strings.Join(words, ", ")))
		b.Keep(v.vis.Set("visible"))
		drawn++
	}
	for _, v := range t.linkPool[drawn:] {
		b.Keep(v.vis.Set("hidden"))
	}
}
