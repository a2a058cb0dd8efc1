package check

import (
	"fmt"
	"slices"
	"sort"

	"aurora-lab/engine/internal/sim"
)

// Outcome is how a transaction ended, as its client saw it.
type Outcome uint8

// Transaction outcomes.
const (
	// Committed: the commit was acknowledged, so it is durable (M10).
	Committed Outcome = iota + 1
	// Aborted: rolled back, or failed before it wrote its commit record.
	Aborted
	// Unknown: the client never learned whether the commit became
	// durable (a timeout, a crash, a fenced writer). It may be there or
	// not, but entirely or not at all.
	Unknown
)

func (o Outcome) String() string {
	switch o {
	case Committed:
		return "committed"
	case Aborted:
		return "rolled back"
	case Unknown:
		return "outcome unknown"
	}
	return "outcome?"
}

// Write is one row change of a transaction: the row Key of Table gets
// Value, or is deleted. Values must be unique across the history (every
// write writes a value never written before), which is what lets the
// checker tell which transaction a value came from.
type Write struct {
	Table, Key string
	Value      string
	Delete     bool
	// Maybe marks a statement whose own effect is unknown (it failed in a
	// way that may or may not have applied it), in a transaction that
	// otherwise went on.
	Maybe bool
}

// Txn is one transaction of the history.
type Txn struct {
	// Label says where it came from, for messages: "line 12".
	Label   string
	Writes  []Write
	Outcome Outcome
}

// History checks the data clients see against the transactions they ran:
// feed it every transaction in the order the client submitted them (a
// single client's order, which row locks make the commit order of
// conflicting transactions), every read, and the final state.
//
// For each row it keeps the sequence of writes. A read may show the value
// of the last certain write (an acknowledged commit, or the row's absence
// before any), or of any uncertain write after it. Reading a value of a
// transaction whose outcome was unknown proves it committed: from then on
// all its writes are certain, which is how a commit seen in part is caught.
type History struct {
	r      Report
	txns   []txnRec
	rows   map[rowKey]*rowLog
	values map[string]int // value → index of the transaction that wrote it
	tables map[string]tableRec
}

type rowKey struct{ table, key string }

type txnRec struct {
	Txn
	promoted bool // an Unknown outcome proved committed by a read
}

type rowLog struct {
	entries []rowEntry
}

type rowEntry struct {
	txn   int
	value string
	del   bool
	maybe bool
}

type tableRec struct {
	outcome Outcome
	label   string
}

// NewHistory returns an empty history.
func NewHistory() *History {
	return &History{
		r:      Report{Name: NameCommits, OK: true},
		rows:   map[rowKey]*rowLog{},
		values: map[string]int{},
		tables: map[string]tableRec{},
	}
}

// Report returns the verdict so far.
func (h *History) Report() Report { return h.r }

// CreateTable records the creation of a table and how it ended.
func (h *History) CreateTable(label, table string, out Outcome) {
	if t, ok := h.tables[table]; ok && (t.outcome == Committed || out != Committed) {
		return
	}
	h.tables[table] = tableRec{outcome: out, label: label}
}

// Add appends a transaction. Aborted transactions are remembered only so
// that a value of theirs, if it ever shows, can be named.
func (h *History) Add(t Txn) {
	i := len(h.txns)
	h.txns = append(h.txns, txnRec{Txn: t})
	for _, w := range t.Writes {
		if !w.Delete {
			h.values[w.Value] = i
		}
		if t.Outcome == Aborted {
			continue
		}
		k := rowKey{w.Table, w.Key}
		l := h.rows[k]
		if l == nil {
			l = &rowLog{}
			h.rows[k] = l
		}
		l.entries = append(l.entries, rowEntry{txn: i, value: w.Value, del: w.Delete, maybe: w.Maybe})
	}
}

func (h *History) certain(e rowEntry) bool {
	t := &h.txns[e.txn]
	return !e.maybe && (t.Outcome == Committed || t.promoted)
}

// lastCertain returns the index of the last certain write of a row, or -1
// when none (the row was absent before any write).
func (h *History) lastCertain(l *rowLog) int {
	for i := len(l.entries) - 1; i >= 0; i-- {
		if h.certain(l.entries[i]) {
			return i
		}
	}
	return -1
}

// Read checks a read of a whole table taken now, at simulated time at:
// rows maps each key present to its value; exists is false when the table
// was not there. own are the writes of the reader's open transaction so
// far, which it sees whatever their fate.
func (h *History) Read(at sim.Time, label, table string, rows map[string]string, exists bool, own []Write) {
	h.check(at, label, table, rows, exists, own, "read")
}

// ReadStale checks a read that may lag (a replica's): it may show any
// version a row ever had, but never a value of a transaction that rolled
// back, nor one no transaction wrote. own are the writes of the reader's
// open transaction, which it sees.
func (h *History) ReadStale(at sim.Time, label, table string, rows map[string]string, own []Write) {
	h.r.Checks++
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		v := rows[key]
		if slices.ContainsFunc(own, func(w Write) bool { return w.Table == table && w.Key == key && !w.Delete && w.Value == v }) {
			continue
		}
		i, ok := h.values[v]
		switch {
		case !ok:
			h.r.Fail(at, "read at %s: %s/%s holds %q, a value no transaction wrote", label, table, key, v)
		case h.txns[i].Outcome == Aborted:
			h.r.Fail(at, "read at %s: %s/%s holds %q, %s", label, table, key, v, h.origin(v))
		case !h.wrote(i, table, key, v):
			h.r.Fail(at, "read at %s: %s/%s holds %q, which the transaction at %s wrote to another row", label, table, key, v, h.txns[i].Label)
		}
	}
}

func (h *History) wrote(i int, table, key, v string) bool {
	for _, w := range h.txns[i].Writes {
		if w.Table == table && w.Key == key && !w.Delete && w.Value == v {
			return true
		}
	}
	return false
}

// Final checks the final state of a table, read once faults healed.
func (h *History) Final(at sim.Time, label, table string, rows map[string]string, exists bool) {
	h.check(at, label, table, rows, exists, nil, "final state")
}

func (h *History) check(at sim.Time, label, table string, rows map[string]string, exists bool, own []Write, what string) {
	h.r.Checks++
	if !exists {
		if t := h.tables[table]; t.outcome == Committed {
			h.r.Fail(at, "%s at %s: table %s is missing, but its CREATE TABLE at %s was acknowledged", what, label, table, t.label)
			return
		}
		for _, t := range h.txns {
			if t.Outcome == Committed && len(t.Writes) > 0 && t.Writes[0].Table == table {
				h.r.Fail(at, "%s at %s: table %s is missing, but the commit at %s wrote %s/%s", what, label, table, t.Label, table, t.Writes[0].Key)
				return
			}
		}
		return
	}
	ownVal := map[string]Write{}
	for _, w := range own {
		if w.Table == table {
			ownVal[w.Key] = w
		}
	}
	// First, values of transactions of unknown outcome that show prove
	// those transactions committed.
	for key, v := range rows {
		if _, mine := ownVal[key]; mine {
			continue
		}
		if i, ok := h.values[v]; ok && h.txns[i].Outcome == Unknown && !h.txns[i].promoted {
			if l := h.rows[rowKey{table, key}]; l != nil {
				if j := h.entryOf(l, i, v); j >= 0 && j >= h.lastCertain(l) {
					h.txns[i].promoted = true
				}
			}
		}
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	for k := range h.rows {
		if k.table == table {
			if _, ok := rows[k.key]; !ok {
				keys = append(keys, k.key)
			}
		}
	}
	sort.Strings(keys)
	for _, key := range keys {
		v, present := rows[key]
		if w, mine := ownVal[key]; mine {
			if w.Delete == present || (!w.Delete && w.Value != v) {
				h.r.Fail(at, "%s at %s: %s/%s shows %s, but the reader's own transaction wrote %s", what, label, table, key, show(v, present), show(w.Value, !w.Delete))
			}
			continue
		}
		l := h.rows[rowKey{table, key}]
		if l == nil {
			if present {
				h.r.Fail(at, "%s at %s: %s/%s holds %s, %s", what, label, table, key, show(v, true), h.origin(v))
			}
			continue
		}
		last := h.lastCertain(l)
		if h.allowed(l, last, v, present) {
			continue
		}
		if last < 0 {
			h.r.Fail(at, "%s at %s: %s/%s holds %s, %s", what, label, table, key, show(v, present), h.origin(v))
			continue
		}
		e := l.entries[last]
		t := &h.txns[e.txn]
		if t.promoted {
			h.r.Fail(at, "%s at %s: the transaction at %s (outcome unknown) shows in part: a read shows it committed, but %s/%s holds %s instead of its %s",
				what, label, t.Label, table, key, show(v, present), show(e.value, !e.del))
			continue
		}
		h.r.Fail(at, "%s at %s: acknowledged commit lost: %s/%s holds %s, but the commit at %s (acknowledged) wrote %s; %s",
			what, label, table, key, show(v, present), t.Label, show(e.value, !e.del), h.origin(v))
	}
}

// entryOf returns the index of transaction i's write of v in l, or -1.
func (h *History) entryOf(l *rowLog, i int, v string) int {
	for j, e := range l.entries {
		if e.txn == i && !e.del && e.value == v {
			return j
		}
	}
	return -1
}

// allowed reports whether a row may show v (present) or be absent: the
// last certain write, or any write after it.
func (h *History) allowed(l *rowLog, last int, v string, present bool) bool {
	if last < 0 && !present {
		return true
	}
	from := max(last, 0)
	for _, e := range l.entries[from:] {
		if e.del == !present && (e.del || e.value == v) {
			return true
		}
	}
	return false
}

// origin says where a value came from, for messages.
func (h *History) origin(v string) string {
	i, ok := h.values[v]
	if !ok {
		return "a value no transaction wrote"
	}
	t := &h.txns[i]
	return fmt.Sprintf("the value the transaction at %s (%s) wrote", t.Label, t.Outcome)
}

func show(v string, present bool) string {
	if !present {
		return "no row"
	}
	return fmt.Sprintf("%q", v)
}

// Pending reports how many transactions still have an unknown outcome,
// not proved committed by a read.
func (h *History) Pending() int {
	n := 0
	for _, t := range h.txns {
		if t.Outcome == Unknown && !t.promoted {
			n++
		}
	}
	return n
}
