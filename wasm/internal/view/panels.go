//go:build js && wasm

package view

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
)

// MaxPGRows bounds the protection groups listed; the rest are counted.
const MaxPGRows = 64

// Volume shows the writer's view of the volume: its watermarks and, per
// protection group, what it can still do, its quorum counters and its LSN
// ribbon: where each segment's SCL, the PG's PGCL and the volume's VCL and
// VDL are on one LSN axis shared by every PG.
type Volume struct {
	b     *dom.Builder
	wm    map[string]*textSlot
	notes textSlot
	axis  *ribbonAxis
	list  dom.Element
	rows  []*pgRow
	more  textSlot
	empty textSlot
	width float64

	// OnSelect, when set, hears a click on a PG row: the page highlights
	// its segments in the topology.
	OnSelect func(pg uint32)
	// Selected is the highlighted PG (0 for none).
	Selected uint32
	// Highlight holds the names a guided scenario points at: watermarks
	// ("vdl", "vcl", "next", "lal", "epoch", "writer"), "scl" and "pgcl"
	// (every ribbon), and protection groups ("pg1").
	Highlight map[string]bool
	wmHL      map[string]*classSlot
}

// ribbonH is the height of one PG's ribbon.
const ribbonH = 34.0

type ribbonAxis struct {
	svg            dom.Element
	lo, hi         textSlot
	hiX            attrSlot
	vdl, vcl, next *mark
}

// mark is a vertical line with a label.
type mark struct {
	g     dom.Element
	vis   attrSlot
	x1    attrSlot
	x2    attrSlot
	tx    attrSlot
	label textSlot
}

type pgRow struct {
	row      dom.Element
	sel      classSlot
	pressed  attrSlot
	hl       classSlot
	id       textSlot
	state    textSlot
	stateC   attrSlot
	counters textSlot
	quorum   textSlot
	svg      dom.Element
	sizeW    attrSlot
	base     [2]attrSlot
	vdl      [2]attrSlot
	vcl      [2]attrSlot
	next     [2]attrSlot
	lal      [3]attrSlot // x, width, visibility
	pgcl     [3]attrSlot // x1, x2, visibility
	pgclT    textSlot
	pgclX    attrSlot
	mems     []*memberDot
	desc     textSlot
}

type memberDot struct {
	g     dom.Element
	vis   attrSlot
	tr    attrSlot
	cls   attrSlot
	label textSlot
	title textSlot
}

// watermarks lists the volume's figures in the order shown.
var watermarks = []struct{ key, label, title string }{
	{"vcl", "VCL", "volume complete LSN: every record up to it is durable at a write quorum"},
	{"vdl", "VDL", "volume durable LSN: the highest consistency point at or below VCL; commits up to it are acknowledged"},
	{"next", "next LSN", "the LSN the writer gives its next record"},
	{"lal", "VDL + LAL", "the LSN allocation limit: the writer allocates no LSN above VDL + LAL, and waits (back-pressure) when it gets there"},
	{"epoch", "volume epoch", "the volume epoch; recovery raises it and storage refuses older writers"},
	{"writer", "writer", "the instance that writes the volume"},
}

// NewVolume draws into host, an empty element.
func NewVolume(doc dom.Document, host dom.Element) (*Volume, error) {
	v := &Volume{b: dom.NewBuilder(doc), wm: map[string]*textSlot{}, wmHL: map[string]*classSlot{}}
	b := v.b
	dl := b.El("dl", "watermarks", "")
	for _, w := range watermarks {
		item := b.El("div", "wm wm-"+w.key, "")
		dt := b.El("dt", "", w.label)
		b.Attr(dt, "title", w.title)
		dd := b.El("dd", "", "–")
		b.Attr(dd, "data-wm", w.key)
		b.Add(item, dt, dd)
		b.Add(dl, item)
		v.wm[w.key] = &textSlot{el: dd}
		v.wmHL[w.key] = &classSlot{el: item, name: "hl"}
	}
	notes := b.El("ul", "vol-notes", "")
	b.Attr(notes, "aria-live", "polite")
	v.notes = textSlot{el: notes}

	head := b.El("div", "pg-head", "")
	b.Add(head, b.El("h3", "", "Protection groups"), b.El("p", "pg-hint",
		"Each row is one PG's LSN ribbon: a dot per segment at its SCL (filled once the writer heard it; ✕ down), the PG's PGCL, and the volume's VCL (dashed) and VDL (solid). Select a row to light its six segments in the cluster."))
	v.axis = v.newAxis()
	// A group of toggle buttons, one per PG (a list's items could not be
	// buttons).
	v.list = b.El("div", "pg-list", "")
	b.Attr(v.list, "role", "group")
	b.Attr(v.list, "aria-label", "Protection groups")
	more := b.El("p", "more", "")
	empty := b.El("p", "empty", "")
	v.more, v.empty = textSlot{el: more}, textSlot{el: empty}
	b.Add(host, dl, notes, head, empty, v.axis.svg, v.list, more)
	return v, b.Err()
}

func (v *Volume) newMark(parent dom.Element, class string, labelY float64, anchor string) *mark {
	b := v.b
	g := b.SVG("g", "class", "mark "+class)
	line := b.SVG("line", "y1", "23", "y2", "32")
	tx := b.SVG("text", "y", num(labelY), "text-anchor", anchor)
	b.Add(g, line, tx)
	b.Add(parent, g)
	return &mark{g: g, vis: attrSlot{el: g, name: "visibility"}, x1: attrSlot{el: line, name: "x1"}, x2: attrSlot{el: line, name: "x2"},
		tx: attrSlot{el: tx, name: "x"}, label: textSlot{el: tx}}
}

func (v *Volume) newAxis() *ribbonAxis {
	b := v.b
	a := &ribbonAxis{svg: b.SVG("svg", "class", "ribbon-axis", "height", "32", "aria-hidden", "true")}
	lo := b.SVG("text", "class", "axis-end", "y", "30", "x", "2")
	hi := b.SVG("text", "class", "axis-end end", "y", "30")
	b.Add(a.svg, lo, hi)
	a.lo, a.hi = textSlot{el: lo}, textSlot{el: hi}
	a.hiX = attrSlot{el: hi, name: "x"}
	// VDL's label left of its line, VCL's under it, the next LSN's right
	// of its line: they do not cover each other when close.
	a.vcl = v.newMark(a.svg, "m-vcl", 20, "end")
	a.vdl = v.newMark(a.svg, "m-vdl", 10, "end")
	a.next = v.newMark(a.svg, "m-next", 10, "start")
	return a
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }

// pgState returns the words and icon for a PG state.
func pgState(state string) (text, class string) {
	switch state {
	case "read-write":
		return "✔ read-write", "st-rw"
	case "read-only":
		return "◐ read-only", "st-ro"
	case "unavailable":
		return "✖ unavailable", "st-down"
	}
	return state, "st-other"
}

// axisRange returns the LSN range the ribbons show: up to the next LSN,
// and back far enough to show VDL, VCL and the records in flight.
func axisRange(vol *engine.VolumeState) (lo, hi uint64) {
	hi = max(vol.NextLSN, vol.VCL+1, vol.VDL+1)
	for _, pg := range vol.PGs {
		for _, m := range pg.Members {
			hi = max(hi, m.SCL)
		}
	}
	base := min(vol.VDL, vol.VCL)
	span := max(hi-base, 1)
	back := max(span, 24)
	if base > back {
		lo = base - back
	}
	if hi-lo < 32 {
		hi = lo + 32
	}
	return lo, hi
}

// SetWidth sets the ribbons' drawing width in pixels.
func (v *Volume) SetWidth(w float64) { v.width = max(w, 120) }

// Render shows the volume of s.
func (v *Volume) Render(s *engine.Snapshot) error {
	b := v.b
	vol := &s.Volume
	writer := vol.Writer
	if writer == "" {
		writer = "none"
	}
	lal := vol.VDL + vol.LAL
	for _, kv := range [...][2]string{
		{"vcl", u(vol.VCL)}, {"vdl", u(vol.VDL)}, {"next", u(vol.NextLSN)},
		{"lal", u(lal)},
		{"epoch", u(vol.Epoch)}, {"writer", writer},
	} {
		b.Keep(v.wm[kv[0]].Set(kv[1]))
		b.Keep(v.wmHL[kv[0]].Set(v.Highlight[kv[0]]))
	}
	var notes []string
	if vol.Recovering != "" {
		notes = append(notes, "⟳ recovering: "+vol.Recovering)
	} else if vol.Recovery != "" {
		notes = append(notes, "last recovery: "+vol.Recovery)
	}
	for _, c := range vol.Changes {
		notes = append(notes, "⇄ membership change: "+c)
	}
	for _, c := range vol.Changed {
		notes = append(notes, "✓ membership changed: "+c)
	}
	b.Keep(v.notes.Set(strings.Join(notes, "\n")))

	empty := ""
	if len(vol.PGs) == 0 {
		empty = "No writer holds the volume: no protection group to show."
	}
	b.Keep(v.empty.Set(empty))
	if v.width == 0 {
		v.width = 420
	}
	lo, hi := axisRange(vol)
	w := v.width
	x := func(l uint64) float64 {
		if l <= lo {
			return 2
		}
		return 2 + (w-8)*float64(l-lo)/float64(hi-lo)
	}
	in := func(l uint64) bool { return l >= lo && l <= hi }
	// The axis over the ribbons.
	a := v.axis
	b.Keep(a.svg.SetAttr("width", num(w)))
	b.Keep(a.lo.Set(u(lo)))
	b.Keep(a.hi.Set(u(hi)))
	b.Keep(a.hiX.Set(num(w - 2)))
	setMark := func(m *mark, l uint64, label string, dx float64) {
		b.Keep(m.vis.Set(map[bool]string{true: "visible", false: "hidden"}[in(l)]))
		b.Keep(m.x1.Set(num(x(l))))
		b.Keep(m.x2.Set(num(x(l))))
		b.Keep(m.tx.Set(num(x(l) + dx)))
		b.Keep(m.label.Set(label))
	}
	vclLabel, vdlLabel := "VCL", "VDL"
	if vol.VCL == vol.VDL {
		vclLabel, vdlLabel = "", "VDL = VCL"
	}
	setMark(a.vcl, vol.VCL, vclLabel, -3)
	setMark(a.vdl, vol.VDL, vdlLabel, -3)
	setMark(a.next, vol.NextLSN, "next", 3)

	n := min(len(vol.PGs), MaxPGRows)
	for len(v.rows) < n {
		v.rows = append(v.rows, v.newRow())
	}
	for len(v.rows) > n {
		last := v.rows[len(v.rows)-1]
		b.Keep(last.row.Remove())
		v.rows = v.rows[:len(v.rows)-1]
	}
	for i := range n {
		v.renderRow(v.rows[i], &vol.PGs[i], vol, x, in, lal)
	}
	more := ""
	if len(vol.PGs) > n {
		more = fmt.Sprintf("and %d more protection groups.", len(vol.PGs)-n)
	}
	b.Keep(v.more.Set(more))
	return b.Err()
}

func (v *Volume) newRow() *pgRow {
	b := v.b
	r := &pgRow{row: b.El("div", "pg", "")}
	b.Attr(r.row, "tabindex", "0")
	b.Attr(r.row, "role", "button")
	r.sel = classSlot{el: r.row, name: "sel"}
	r.pressed = attrSlot{el: r.row, name: "aria-pressed"}
	r.hl = classSlot{el: r.row, name: "hl"}
	id := b.El("span", "pg-id", "")
	state := b.El("span", "state", "")
	counters := b.El("span", "counters", "")
	quorum := b.El("span", "quorum", "")
	desc := b.El("span", "visually-hidden", "")
	info := b.El("div", "pg-info", "")
	b.Add(info, id, state, counters, quorum, desc)
	r.svg = b.SVG("svg", "class", "ribbon", "height", num(ribbonH), "aria-hidden", "true")
	base := b.SVG("line", "class", "base", "y1", "17", "y2", "17")
	lal := b.SVG("rect", "class", "lal", "y", "2", "height", num(ribbonH-4))
	vcl := b.SVG("line", "class", "vl m-vcl", "y1", "0", "y2", num(ribbonH))
	vdl := b.SVG("line", "class", "vl m-vdl", "y1", "0", "y2", num(ribbonH))
	next := b.SVG("line", "class", "vl m-next", "y1", "0", "y2", num(ribbonH))
	pgcl := b.SVG("line", "class", "pgcl", "y1", "3", "y2", num(ribbonH-3))
	pgclT := b.SVG("text", "class", "pgcl-label", "y", num(ribbonH-1))
	b.Add(r.svg, lal, base, vcl, vdl, next, pgcl, pgclT)
	b.Add(r.row, info, r.svg)
	b.Add(v.list, r.row)
	r.id, r.state, r.counters, r.quorum, r.desc = textSlot{el: id}, textSlot{el: state}, textSlot{el: counters}, textSlot{el: quorum}, textSlot{el: desc}
	r.stateC = attrSlot{el: state, name: "class"}
	r.sizeW = attrSlot{el: r.svg, name: "width"}
	r.base = [2]attrSlot{{el: base, name: "x1"}, {el: base, name: "x2"}}
	r.vcl = [2]attrSlot{{el: vcl, name: "x1"}, {el: vcl, name: "x2"}}
	r.vdl = [2]attrSlot{{el: vdl, name: "x1"}, {el: vdl, name: "x2"}}
	r.next = [2]attrSlot{{el: next, name: "x1"}, {el: next, name: "x2"}}
	r.lal = [3]attrSlot{{el: lal, name: "x"}, {el: lal, name: "width"}, {el: lal, name: "visibility"}}
	r.pgcl = [3]attrSlot{{el: pgcl, name: "x1"}, {el: pgcl, name: "x2"}, {el: pgcl, name: "visibility"}}
	r.pgclT, r.pgclX = textSlot{el: pgclT}, attrSlot{el: pgclT, name: "x"}
	if b.Err() == nil {
		_, err := r.row.On("click", func(dom.Event) { v.selectRow(r) })
		b.Keep(err)
		_, err = r.row.On("keydown", func(ev dom.Event) {
			if k := ev.Key(); k == "Enter" || k == " " {
				ev.PreventDefault()
				v.selectRow(r)
			}
		})
		b.Keep(err)
	}
	return r
}

func (v *Volume) selectRow(r *pgRow) {
	id, err := strconv.ParseUint(strings.TrimPrefix(r.id.cur, "pg"), 10, 32)
	if err != nil {
		return
	}
	pg := uint32(id)
	if v.Selected == pg {
		pg = 0
	}
	v.Selected = pg
	if v.OnSelect != nil {
		v.OnSelect(pg)
	}
}

func (v *Volume) renderRow(r *pgRow, pg *engine.PGState, vol *engine.VolumeState, x func(uint64) float64, in func(uint64) bool, lal uint64) {
	b := v.b
	w := v.width
	text, class := pgState(pg.State)
	b.Keep(r.sel.Set(v.Selected == pg.ID))
	b.Keep(r.pressed.Set(strconv.FormatBool(v.Selected == pg.ID)))
	b.Keep(r.hl.Set(v.Highlight["pg"+strconv.FormatUint(uint64(pg.ID), 10)] || v.Highlight["scl"] || v.Highlight["pgcl"]))
	b.Keep(r.id.Set("pg" + strconv.FormatUint(uint64(pg.ID), 10)))
	b.Keep(r.state.Set(text))
	b.Keep(r.stateC.Set("state " + class))
	total := len(pg.Members)
	wOK, rOK := "✕", "✕"
	switch pg.State {
	case "read-write":
		wOK, rOK = "✓", "✓"
	case "read-only":
		rOK = "✓"
	}
	simple := total == 6 && !strings.Contains(pg.Quorum, " AND ") && !strings.Contains(pg.Quorum, " OR ")
	counters := fmt.Sprintf("%d/%d up · write %s · read %s", pg.Up, total, wOK, rOK)
	if simple {
		counters = fmt.Sprintf("%d/%d up · write needs %d/6 %s · read needs %d/6 %s", pg.Up, total, engine.WriteQuorum, wOK, engine.ReadQuorum, rOK)
	}
	b.Keep(r.counters.Set(counters))
	q := fmt.Sprintf("membership epoch %d · PGCL %d", pg.Epoch, pg.PGCL)
	if !simple {
		q += " · quorum " + pg.Quorum
	}
	b.Keep(r.quorum.Set(q))

	b.Keep(r.sizeW.Set(num(w)))
	b.Keep(r.base[0].Set(num(x(0))))
	b.Keep(r.base[1].Set(num(w - 2)))
	for _, p := range []struct {
		s [2]attrSlot
		l uint64
	}{{r.vcl, vol.VCL}, {r.vdl, vol.VDL}, {r.next, vol.NextLSN}} {
		b.Keep(p.s[0].Set(num(x(p.l))))
		b.Keep(p.s[1].Set(num(x(p.l))))
	}
	if in(lal) {
		b.Keep(r.lal[0].Set(num(x(lal))))
		b.Keep(r.lal[1].Set(num(max(w-x(lal)-2, 0))))
		b.Keep(r.lal[2].Set("visible"))
	} else {
		b.Keep(r.lal[2].Set("hidden"))
	}
	px := x(pg.PGCL)
	b.Keep(r.pgcl[0].Set(num(px)))
	b.Keep(r.pgcl[1].Set(num(px)))
	b.Keep(r.pgcl[2].Set("visible"))
	pgclLabel := "PGCL"
	if !in(pg.PGCL) {
		pgclLabel = "◂ PGCL " + u(pg.PGCL)
	}
	b.Keep(r.pgclT.Set(pgclLabel))
	b.Keep(r.pgclX.Set(num(px + 3)))

	for len(r.mems) < len(pg.Members) {
		g := b.SVG("g", "class", "mem")
		title := b.SVG("title")
		shape := b.SVG("circle", "r", "3.2")
		cross := b.SVG("path", "class", "x", "d", "M-3,-3L3,3M3,-3L-3,3")
		label := b.SVG("text", "class", "mem-label", "x", "-5", "y", "3")
		b.Add(g, title, shape, cross, label)
		b.Add(r.svg, g)
		r.mems = append(r.mems, &memberDot{g: g, vis: attrSlot{el: g, name: "visibility"}, tr: attrSlot{el: g, name: "transform"},
			cls: attrSlot{el: g, name: "class"}, label: textSlot{el: label}, title: textSlot{el: title}})
	}
	var desc strings.Builder
	fmt.Fprintf(&desc, "; %s", counters)
	for i, d := range r.mems {
		if i >= len(pg.Members) {
			b.Keep(d.vis.Set("hidden"))
			continue
		}
		m := &pg.Members[i]
		mx := x(m.SCL)
		my := 4.0 + float64(i%8)*3.6
		cls := "mem"
		if m.AckedSCL >= m.SCL {
			cls += " heard"
		}
		if !m.Up {
			cls += " down"
		}
		if !m.Hydrated {
			cls += " filling"
		}
		label := ""
		if m.SCL < pg.PGCL || !m.Up || !in(m.SCL) {
			label = m.Node
			if !in(m.SCL) {
				label = "◂ " + m.Node + " " + u(m.SCL)
			}
			cls += " lagging"
		}
		b.Keep(d.vis.Set("visible"))
		b.Keep(d.cls.Set(cls))
		b.Keep(d.tr.Set("translate(" + num(mx) + "," + num(my) + ")"))
		b.Keep(d.label.Set(label))
		state := "up"
		if !m.Up {
			state = "down"
		}
		t := fmt.Sprintf("%s (s%d, %s): SCL %d; the writer last heard %d", m.Node, m.Seg, state, m.SCL, m.AckedSCL)
		if !m.Hydrated {
			t += "; filling from a peer"
		}
		b.Keep(d.title.Set(t))
		fmt.Fprintf(&desc, "; %s", t)
	}
	b.Keep(r.desc.Set(desc.String()))
}

// ---------------------------------------------------------------- events

// MaxNotes bounds the event log entries shown on the page; MaxKept those
// kept for filtering.
const (
	MaxNotes = 300
	MaxKept  = 3000
)

// EventLog lists the engine's notes, newest first, filtered by node, PG
// and kind.
type EventLog struct {
	b      *dom.Builder
	list   dom.Element
	count  textSlot
	sel    [3]dom.Element // node, pg, kind
	known  [3]map[string]bool
	notes  []note
	n      int
	filter [3]string
}

type note struct {
	engine.NoteState
	sep string // a separator line instead of a note
}

// NewEventLog draws into host, an empty element.
func NewEventLog(doc dom.Document, host dom.Element) (*EventLog, error) {
	l := &EventLog{b: dom.NewBuilder(doc)}
	b := l.b
	bar := b.El("div", "filters", "")
	b.Attr(bar, "role", "group")
	b.Attr(bar, "aria-label", "Filter the events")
	for i, f := range []struct{ key, label string }{{"node", "Node"}, {"pg", "PG"}, {"kind", "Kind"}} {
		lab := b.El("label", "", f.label+" ")
		sel := b.El("select", "", "")
		b.Attr(sel, "data-filter", f.key)
		opt := b.El("option", "", "all")
		b.Attr(opt, "value", "")
		b.Add(sel, opt)
		b.Add(lab, sel)
		b.Add(bar, lab)
		l.sel[i] = sel
		l.known[i] = map[string]bool{}
	}
	count := b.El("span", "ev-count", "")
	l.count = textSlot{el: count}
	b.Add(bar, count)
	l.list = b.El("ol", "events", "")
	b.Attr(l.list, "aria-label", "Events, newest first")
	b.Add(host, bar, l.list)
	if b.Err() != nil {
		return l, b.Err()
	}
	for i := range l.sel {
		i := i
		if _, err := l.sel[i].On("change", func(dom.Event) {
			v, _ := l.sel[i].PropString("value")
			l.SetFilter(i, v)
		}); err != nil {
			return l, err
		}
	}
	return l, nil
}

func pgKey(pg uint32) string {
	if pg == 0 {
		return ""
	}
	return "pg" + strconv.FormatUint(uint64(pg), 10)
}

func (l *EventLog) keys(n *note) [3]string {
	return [3]string{n.Node, pgKey(n.PG), n.Kind}
}

func (l *EventLog) matches(n *note) bool {
	if n.sep != "" {
		return true
	}
	k := l.keys(n)
	for i := range k {
		if l.filter[i] != "" && l.filter[i] != k[i] {
			return false
		}
	}
	return true
}

// SetFilter filters by node (0), PG (1) or kind (2); "" shows all.
func (l *EventLog) SetFilter(i int, v string) {
	l.filter[i] = v
	_ = l.sel[i].SetProp("value", v)
	l.rebuild()
}

func (l *EventLog) item(h *strings.Builder, n *note) {
	e := dom.Escape
	if n.sep != "" {
		fmt.Fprintf(h, `<li class="ev sep">%s</li>`, e(n.sep))
		return
	}
	where := n.Node
	if n.PG != 0 {
		where += " pg" + strconv.FormatUint(uint64(n.PG), 10)
	}
	fmt.Fprintf(h, `<li class="ev k-%s"><time>%s</time><span class="kind">%s</span><span class="where">%s</span><span class="text">%s</span></li>`,
		e(n.Kind), e(n.At.String()), e(n.Kind), e(where), e(n.Text))
}

func (l *EventLog) rebuild() {
	var h strings.Builder
	n := 0
	for i := len(l.notes) - 1; i >= 0 && n < MaxNotes; i-- {
		if l.matches(&l.notes[i]) {
			l.item(&h, &l.notes[i])
			n++
		}
	}
	l.n = n
	l.b.Keep(l.list.ReplaceChildren())
	l.b.Keep(l.list.InsertHTML("beforeend", h.String()))
	l.counts()
}

func (l *EventLog) counts() {
	shown := "showing the newest"
	if l.filter != [3]string{} {
		shown = "matching the filter: the newest"
	}
	l.b.Keep(l.count.Set(fmt.Sprintf("%d events, %s %d", len(l.notes), shown, l.n)))
}

// learn adds the option for a value not seen before.
func (l *EventLog) learn(i int, v string) {
	if v == "" || l.known[i][v] {
		return
	}
	l.known[i][v] = true
	opt := l.b.El("option", "", v)
	l.b.Attr(opt, "value", v)
	l.b.Add(l.sel[i], opt)
}

func (l *EventLog) keep(n note) {
	if len(l.notes) == MaxKept {
		copy(l.notes, l.notes[MaxKept/10:])
		l.notes = l.notes[:MaxKept-MaxKept/10]
	}
	l.notes = append(l.notes, n)
}

// Add shows notes, which follow the ones already shown.
func (l *EventLog) Add(notes []engine.NoteState) error {
	if len(notes) == 0 {
		return nil
	}
	b := l.b
	for i := range notes {
		n := note{NoteState: notes[i]}
		for j, k := range l.keys(&n) {
			l.learn(j, k)
		}
		l.keep(n)
	}
	var h strings.Builder
	added := 0
	first := max(len(notes)-MaxNotes, 0)
	for i := len(notes) - 1; i >= first; i-- {
		n := note{NoteState: notes[i]}
		if l.matches(&n) {
			l.item(&h, &n)
			added++
		}
	}
	if added > 0 {
		b.Keep(l.list.InsertHTML("afterbegin", h.String()))
	}
	l.n += added
	if l.n > MaxNotes {
		b.Keep(l.list.RemoveChildren(l.n-MaxNotes, false))
		l.n = MaxNotes
	}
	l.counts()
	return b.Err()
}

// Separator marks where a new cluster's notes begin.
func (l *EventLog) Separator(text string) error {
	n := note{sep: text}
	l.keep(n)
	var h strings.Builder
	l.item(&h, &n)
	l.b.Keep(l.list.InsertHTML("afterbegin", h.String()))
	l.n++
	return l.b.Err()
}

// Clear empties the log.
func (l *EventLog) Clear() error {
	l.n = 0
	l.notes = nil
	l.counts()
	return l.list.ReplaceChildren()
}

// ---------------------------------------------------------------- checks

// Invariants shows the checkers' verdicts, live.
type Invariants struct {
	b     *dom.Builder
	list  dom.Element
	items []*checkItem
	head  textSlot
}

type checkItem struct {
	li   dom.Element
	cls  attrSlot
	text textSlot
	det  textSlot
}

// NewInvariants draws into host, an empty element.
func NewInvariants(doc dom.Document, host dom.Element) (*Invariants, error) {
	v := &Invariants{b: dom.NewBuilder(doc)}
	b := v.b
	head := b.El("p", "checks-head", "")
	v.head = textSlot{el: head}
	v.list = b.El("ul", "checks", "")
	b.Attr(v.list, "aria-label", "Invariants")
	b.Add(host, head, v.list)
	return v, b.Err()
}

// Render shows reports; acked is how many commits were acknowledged.
func (v *Invariants) Render(reports []engine.CheckReport, acked int64) error {
	b := v.b
	for len(v.items) < len(reports) {
		li := b.El("li", "check", "")
		t := b.El("span", "check-text", "")
		d := b.El("span", "check-detail", "")
		b.Add(li, t, d)
		b.Add(v.list, li)
		v.items = append(v.items, &checkItem{li: li, cls: attrSlot{el: li, name: "class"}, text: textSlot{el: t}, det: textSlot{el: d}})
	}
	bad := 0
	for i, r := range reports {
		it := v.items[i]
		text, det := "", ""
		if r.Name == engine.NameAckedCommits {
			text = fmt.Sprintf("acknowledged commits lost: %d", r.Violations)
			if r.Violations > 0 {
				text = fmt.Sprintf("acknowledged commits lost: at least %d", r.Violations)
			}
			det = fmt.Sprintf("%d commits acknowledged, %d checks", acked, r.Checks)
		} else {
			text = r.Name
			det = fmt.Sprintf("%d checks", r.Checks)
			if r.Skipped > 0 {
				det += fmt.Sprintf(", %d skipped", r.Skipped)
			}
		}
		cls := "check ok"
		icon := "✓ "
		if !r.OK {
			bad++
			cls, icon = "check fail", "✕ "
			det = fmt.Sprintf("%d violations; first at %v: %s", r.Violations, r.At, r.First)
		} else if r.Checks == 0 {
			cls, icon = "check idle", "○ "
			det = "not checked yet: nothing to check so far"
		}
		b.Keep(it.cls.Set(cls))
		b.Keep(it.text.Set(icon + text))
		b.Keep(it.det.Set(det))
	}
	head := fmt.Sprintf("✓ every invariant holds (%d checkers, checked after every event since this page loaded)", len(reports))
	if bad > 0 {
		head = fmt.Sprintf("✕ %d of %d invariants violated", bad, len(reports))
	}
	b.Keep(v.head.Set(head))
	return b.Err()
}

// ---------------------------------------------------------------- commands

// MaxCommands bounds the command log entries shown.
const MaxCommands = 300

// CommandLog lists every input of the command log, in order: what was
// typed in a console and what the page's controls submitted, in the
// console language, with the outputs of the controls' console.
type CommandLog struct {
	b       *dom.Builder
	list    dom.Element
	n       int // entries shown
	next    int // the index the next Add gets
	pending strings.Builder
	pendN   int
}

// NewCommandLog draws into host, an empty element.
func NewCommandLog(doc dom.Document, host dom.Element) (*CommandLog, error) {
	c := &CommandLog{b: dom.NewBuilder(doc)}
	scroller := c.b.El("div", "commands-scroll", "")
	c.b.Attr(scroller, "tabindex", "0")
	c.b.Attr(scroller, "aria-label", "Command log, oldest first")
	c.list = c.b.El("ol", "commands", "")
	c.b.Add(scroller, c.list)
	c.b.Add(host, scroller)
	return c, c.b.Err()
}

// Add queues one input; Flush shows the queued ones.
func (c *CommandLog) Add(e engine.Entry) error {
	fmt.Fprintf(&c.pending, `<li class="cmd" data-console="%s" data-i="%d"><time>%s</time><span class="con">%s</span><code>%s</code></li>`,
		dom.Escape(e.Console), c.next, dom.Escape(e.At.String()), dom.Escape(e.Console), dom.Escape(strings.TrimRight(e.Text, "\n")))
	c.next++
	c.pendN++
	return nil
}

// Flush shows the queued inputs and drops the oldest beyond MaxCommands.
func (c *CommandLog) Flush() error {
	if c.pendN == 0 {
		return nil
	}
	err := c.list.InsertHTML("beforeend", c.pending.String())
	c.n += c.pendN
	c.pending.Reset()
	c.pendN = 0
	if c.n > MaxCommands {
		err = errors.Join(err, c.list.RemoveChildren(c.n-MaxCommands, true))
		c.n = MaxCommands
	}
	return err
}

// Skip says n inputs of the command log are not shown (the page shows only
// the newest after a restore).
func (c *CommandLog) Skip(n int) { c.next += n }

// Result shows the outcome of input i of the command log under it.
func (c *CommandLog) Result(i int, text string, failed bool) error {
	if text == "" {
		return nil
	}
	if err := c.Flush(); err != nil {
		return err
	}
	li, ok, err := c.list.Query(fmt.Sprintf(`li[data-i="%d"]`, i))
	if err != nil || !ok {
		return err
	}
	class := "cmd-out"
	if failed {
		class += " failed"
	}
	return li.InsertHTML("beforeend", fmt.Sprintf(`<pre class="%s">%s</pre>`, class, dom.Escape(text)))
}

// Clear empties the log.
func (c *CommandLog) Clear() error {
	c.n, c.next, c.pendN = 0, 0, 0
	c.pending.Reset()
	return c.list.ReplaceChildren()
}
