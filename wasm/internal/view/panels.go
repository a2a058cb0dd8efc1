//go:build js && wasm

package view

import (
	"fmt"
	"strconv"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
)

// MaxPGRows bounds the protection groups listed; the rest are counted.
const MaxPGRows = 64

// Volume shows the writer's view of the volume: its watermarks and, per
// protection group, what it can still do.
type Volume struct {
	b     *dom.Builder
	wm    map[string]*textSlot
	tbody dom.Element
	rows  []*pgRow
	more  textSlot
	empty textSlot
}

type pgRow struct {
	tr      dom.Element
	id      textSlot
	state   textSlot
	stateC  attrSlot
	up      textSlot
	pgcl    textSlot
	members dom.Element
	mems    []memberCell
}

type memberCell struct {
	text textSlot
	down classSlot
}

// watermarks lists the volume's figures in the order shown.
var watermarks = []struct{ key, label, title string }{
	{"vcl", "VCL", "volume complete LSN: every record up to it is durable at a write quorum"},
	{"vdl", "VDL", "volume durable LSN: the highest consistency point at or below VCL"},
	{"next", "next LSN", "the LSN the writer gives its next record"},
	{"lal", "LAL", "LSN allocation limit: no LSN above VDL + LAL"},
	{"epoch", "epoch", "the volume epoch; recovery raises it"},
	{"writer", "writer", "the instance that writes the volume"},
}

// NewVolume draws into host, an empty element.
func NewVolume(doc dom.Document, host dom.Element) (*Volume, error) {
	v := &Volume{b: dom.NewBuilder(doc), wm: map[string]*textSlot{}}
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
	}
	table := b.El("table", "pgs", "")
	head := b.El("tr", "", "")
	for _, h := range []string{"PG", "State", "Up", "PGCL", "Segments: node SCL"} {
		th := b.El("th", "", h)
		b.Attr(th, "scope", "col")
		b.Add(head, th)
	}
	thead := b.El("thead", "", "")
	b.Add(thead, head)
	v.tbody = b.El("tbody", "", "")
	b.Add(table, b.El("caption", "", "Protection groups"), thead, v.tbody)
	more := b.El("p", "more", "")
	empty := b.El("p", "empty", "")
	v.more, v.empty = textSlot{el: more}, textSlot{el: empty}
	b.Add(host, dl, empty, table, more)
	return v, b.Err()
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

// Render shows the volume of s.
func (v *Volume) Render(s *engine.Snapshot) error {
	b := v.b
	vol := &s.Volume
	writer := vol.Writer
	if writer == "" {
		writer = "none"
	}
	for _, kv := range [...][2]string{
		{"vcl", u(vol.VCL)}, {"vdl", u(vol.VDL)}, {"next", u(vol.NextLSN)}, {"lal", u(vol.LAL)},
		{"epoch", u(vol.Epoch)}, {"writer", writer},
	} {
		b.Keep(v.wm[kv[0]].Set(kv[1]))
	}
	empty := ""
	if len(vol.PGs) == 0 {
		empty = "No writer holds the volume: no protection group to show."
	}
	b.Keep(v.empty.Set(empty))
	n := min(len(vol.PGs), MaxPGRows)
	for len(v.rows) < n {
		v.rows = append(v.rows, v.newRow())
	}
	for len(v.rows) > n {
		last := v.rows[len(v.rows)-1]
		b.Keep(last.tr.Remove())
		v.rows = v.rows[:len(v.rows)-1]
	}
	for i := range n {
		v.renderRow(v.rows[i], &vol.PGs[i])
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
	r := &pgRow{tr: b.El("tr", "", "")}
	th := b.El("th", "", "")
	b.Attr(th, "scope", "row")
	state := b.El("td", "state", "")
	up, pgcl := b.El("td", "num", ""), b.El("td", "num", "")
	r.members = b.El("td", "members", "")
	b.Add(r.tr, th, state, up, pgcl, r.members)
	b.Add(v.tbody, r.tr)
	r.id, r.state, r.up, r.pgcl = textSlot{el: th}, textSlot{el: state}, textSlot{el: up}, textSlot{el: pgcl}
	r.stateC = attrSlot{el: state, name: "class"}
	return r
}

func (v *Volume) renderRow(r *pgRow, pg *engine.PGState) {
	b := v.b
	text, class := pgState(pg.State)
	b.Keep(r.id.Set("pg" + strconv.FormatUint(uint64(pg.ID), 10)))
	b.Keep(r.state.Set(text))
	b.Keep(r.stateC.Set("state " + class))
	b.Keep(r.up.Set(fmt.Sprintf("%d/%d", pg.Up, len(pg.Members))))
	b.Keep(r.pgcl.Set(u(pg.PGCL)))
	if len(r.mems) != len(pg.Members) {
		var cells []dom.Element
		r.mems = r.mems[:0]
		for range pg.Members {
			c := b.El("span", "member", "")
			cells = append(cells, c)
			r.mems = append(r.mems, memberCell{text: textSlot{el: c}, down: classSlot{el: c, name: "down"}})
		}
		b.Keep(r.members.ReplaceChildren(cells...))
	}
	for i, m := range pg.Members {
		text := m.Node + " " + u(m.SCL)
		if !m.Up {
			text = "✕ " + text
		}
		b.Keep(r.mems[i].text.Set(text))
		b.Keep(r.mems[i].down.Set(!m.Up))
	}
}

// MaxNotes bounds the event log entries kept on the page.
const MaxNotes = 300

// EventLog lists the engine's notes, newest first.
type EventLog struct {
	b    *dom.Builder
	list dom.Element
	n    int
}

// NewEventLog draws into host, an empty element.
func NewEventLog(doc dom.Document, host dom.Element) (*EventLog, error) {
	l := &EventLog{b: dom.NewBuilder(doc)}
	l.list = l.b.El("ol", "events", "")
	l.b.Attr(l.list, "aria-label", "Events, newest first")
	l.b.Add(host, l.list)
	return l, l.b.Err()
}

// Add shows notes, which follow the ones already shown.
func (l *EventLog) Add(notes []engine.NoteState) error {
	if len(notes) == 0 {
		return nil
	}
	b := l.b
	if len(notes) > MaxNotes {
		notes = notes[len(notes)-MaxNotes:]
	}
	items := make([]dom.Element, 0, len(notes))
	for i := len(notes) - 1; i >= 0; i-- {
		n := &notes[i]
		li := b.El("li", "ev k-"+n.Kind, "")
		where := n.Node
		if n.PG != 0 {
			where += " pg" + strconv.FormatUint(uint64(n.PG), 10)
		}
		b.Add(li, b.El("time", "", n.At.String()), b.El("span", "kind", n.Kind), b.El("span", "where", where), b.El("span", "text", n.Text))
		items = append(items, li)
	}
	b.Keep(l.list.Prepend(items...))
	l.n += len(items)
	for ; l.n > MaxNotes; l.n-- {
		last, ok, err := l.list.LastChild()
		b.Keep(err)
		if !ok {
			break
		}
		b.Keep(last.Remove())
	}
	return b.Err()
}

// Separator marks where a new cluster's notes begin.
func (l *EventLog) Separator(text string) error {
	li := l.b.El("li", "ev sep", text)
	l.b.Keep(l.list.Prepend(li))
	l.n++
	return l.b.Err()
}

// Clear empties the log.
func (l *EventLog) Clear() error {
	l.n = 0
	return l.list.ReplaceChildren()
}
