package engine

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"

	"aurora-lab/engine/internal/check"
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/script"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/storage"
)

// This file holds the small helpers the page (wasm/) needs from the facade.
// They add no model logic: they expose what the console language, the
// event loop, the network's fault state, the storage nodes' disks and the
// invariant checkers already know, as plain data.

// Never is a time later than any event: NextAt when nothing is pending.
const Never = sim.Never

// The quorum rule of a PG of six segments in three AZs (SIGMOD'17 §2.1):
// a write needs WriteQuorum of them, a read ReadQuorum. The page prints
// them beside each PG's count of members up.
const (
	WriteQuorum = quorum.WriteQuorum
	ReadQuorum  = quorum.ReadQuorum
)

// Complete reports whether src ends at an item boundary: no SQL statement
// is left open (unterminated), no quote or block comment unclosed. The
// page's console runs its input on Enter when it is complete and starts a
// new line otherwise.
func Complete(src string) bool { return script.Complete(src) }

// MetaHelp returns one line per meta-command, as \? prints them.
func MetaHelp() []string { return script.Help() }

// NextAt reports when the next Step would happen: the time of the next
// event, or of a console waking from \run, whichever is first; Never when
// nothing is pending. The page uses it to advance time without stepping
// past the moment it wants to show.
func (l *Lab) NextAt() Time { return min(l.c.NextEvent(), l.nextWake()) }

// Restore rebuilds a Lab that was at simulated time now after events
// events, from its starting configuration and command log: Replay of the
// log, then the events that followed the last input, one by one, so a Lab
// saved between two events of the same instant (after Step) comes back
// exactly there, then the clock moved on to now.
func Restore(cfg Config, log []Entry, now Time, events uint64) (*Lab, error) {
	l, err := Replay(cfg, log, 0)
	if err != nil {
		return nil, err
	}
	l.advanceTo(now, events)
	return l, nil
}

// Mark is a moment of a saved run: after the first Entries inputs of the
// command log were submitted, at simulated time At after Events events.
type Mark struct {
	Entries int    `json:"entries"`
	At      Time   `json:"at"`
	Events  uint64 `json:"events"`
}

// MarkOf returns the moment l is at now.
func MarkOf(l *Lab) Mark { return Mark{Entries: len(l.log), At: l.c.Now(), Events: l.c.Stats().Events} }

// RestoreVia is Restore that also stops at each of stops on the way (in
// order, none past the end) and calls visit there with the Lab as it was
// at that moment, so the page can compare what it saved at a checkpoint
// with what the replay gives at the same moment. visit must not change
// the Lab.
func RestoreVia(cfg Config, log []Entry, end Mark, stops []Mark, visit func(i int, l *Lab)) (*Lab, error) {
	r, err := NewRestorer(cfg, log, end, stops, visit)
	if err != nil {
		return nil, err
	}
	if _, err := r.Run(func() bool { return true }); err != nil {
		return nil, err
	}
	return r.Lab(), nil
}

// Restorer is RestoreVia a slice at a time, so that the page can replay a
// long session over many animation frames and show its progress instead of
// freezing. Its Lab is the replay in progress: the model as it was at that
// point of the original run.
type Restorer struct {
	l     *Lab
	log   []Entry
	end   Mark
	stops []Mark
	visit func(int, *Lab)
	i     int  // the next log entry
	stop  int  // the next stop
	moved bool // advanceTo's first pump done for the current target
	done  bool
}

// NewRestorer starts restoring.
func NewRestorer(cfg Config, log []Entry, end Mark, stops []Mark, visit func(i int, l *Lab)) (*Restorer, error) {
	l, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if visit == nil {
		visit = func(int, *Lab) {}
	}
	return &Restorer{l: l, log: log, end: end, stops: stops, visit: visit}, nil
}

// Lab returns the Lab being restored; once Run reports done, the restored
// one.
func (r *Restorer) Lab() *Lab { return r.l }

// Progress reports the inputs submitted so far and how many there are.
func (r *Restorer) Progress() (done, total int) { return r.i, len(r.log) }

// Run replays until the end, or until more reports false (it is asked
// between events), and reports whether the restore is complete.
func (r *Restorer) Run(more func() bool) (bool, error) {
	for !r.done {
		if !more() {
			return false, nil
		}
		if err := r.step(); err != nil {
			r.done = true
			return true, err
		}
	}
	return true, nil
}

// step does one event of the restore, or one input, or one stop.
func (r *Restorer) step() error {
	l := r.l
	switch {
	case r.stop < len(r.stops) && r.stops[r.stop].Entries <= r.i:
		m := r.stops[r.stop]
		if r.toward(m.At, m.Events) {
			r.visit(r.stop, l)
			r.stop++
		}
	case r.i < len(r.log):
		e := r.log[r.i]
		if !r.toward(e.At, e.Events) {
			return nil
		}
		l.log = append(l.log, e)
		l.replay = true
		err := l.Submit(e.Console, e.Text)
		l.replay = false
		if err != nil {
			return fmt.Errorf("replaying input %d at %v: %w", r.i+1, e.At, err)
		}
		r.i++
	default:
		if r.toward(r.end.At, r.end.Events) {
			r.done = true
		}
	}
	return nil
}

// toward does one step of advanceTo(at, events) and reports whether the
// moment is reached, with advanceTo's ending done.
func (r *Restorer) toward(at Time, events uint64) bool {
	l := r.l
	if !r.moved {
		l.pump()
		r.moved = true
	}
	if !l.stepToward(at, events) {
		return false
	}
	l.c.AdvanceClock(at)
	l.pump()
	r.moved = false
	return true
}

// NoteCount reports how many notes the running cluster has made: the
// cursor just past the newest note, which SnapshotSince may be given. A
// \cluster starts a new cluster whose notes count from zero again.
func (l *Lab) NoteCount() uint64 {
	_, n := l.c.Notes(0)
	return n
}

// Generation counts the clusters the Lab has run (see Snapshot.Generation).
func (l *Lab) Generation() int { return l.gen }

// LinkState is a link with a fault on it, between two named nodes (storage
// nodes, instances, the backup store "backup" or the control plane "cp"),
// in both directions unless OneWay.
type LinkState struct {
	A       string  `json:"a"`
	B       string  `json:"b"`
	Cut     bool    `json:"cut,omitempty"`     // \partition: nothing passes
	Latency Time    `json:"latency,omitempty"` // \latency: added one-way delay
	Loss    float64 `json:"loss,omitempty"`    // \loss: percent of messages lost
	// OneWay says the fault holds from A to B only.
	OneWay bool `json:"oneWay,omitempty"`
}

// Links returns the links that \partition, \latency and \loss changed, in
// a fixed order.
func (l *Lab) Links() []LinkState {
	nw := l.c.Network()
	n := nw.Size()
	var out []LinkState
	for a := range n {
		for b := a + 1; b < n; b++ {
			x, y := sim.NodeID(a), sim.NodeID(b)
			ab := LinkState{Cut: nw.Blocked(x, y), Latency: nw.LinkLatency(x, y), Loss: nw.LinkLoss(x, y)}
			ba := LinkState{Cut: nw.Blocked(y, x), Latency: nw.LinkLatency(y, x), Loss: nw.LinkLoss(y, x)}
			if ab == (LinkState{}) && ba == (LinkState{}) {
				continue
			}
			s := LinkState{A: l.c.Name(x), B: l.c.Name(y)}
			switch {
			case ab == ba:
				s.Cut, s.Latency, s.Loss = ab.Cut, ab.Latency, ab.Loss
			case ba == (LinkState{}):
				s.Cut, s.Latency, s.Loss, s.OneWay = ab.Cut, ab.Latency, ab.Loss, true
			case ab == (LinkState{}):
				s.A, s.B = s.B, s.A
				s.Cut, s.Latency, s.Loss, s.OneWay = ba.Cut, ba.Latency, ba.Loss, true
			default: // different faults each way: the worse of the two
				s.Cut, s.Latency, s.Loss = ab.Cut || ba.Cut, max(ab.Latency, ba.Latency), math.Max(ab.Loss, ba.Loss)
			}
			out = append(out, s)
		}
	}
	return out
}

// ---------------------------------------------------------------- disks

// DiskRecord is one piece of the storage nodes' durable state, the
// contents of their simulated disks: a node's metadata (Key "a1") or one
// segment with its log records and base pages (Key "a1/s12"), in a
// canonical binary encoding, so that equal states give equal bytes.
type DiskRecord struct {
	Key  string
	Data []byte
}

// DiskStats counts what the disks hold.
type DiskStats struct {
	Nodes    int `json:"nodes"`
	Segments int `json:"segments"`
	Records  int `json:"records"` // log records
	Pages    int `json:"pages"`   // base pages
	Bytes    int `json:"bytes"`   // of the encoding
}

// DiskSnapshot is the storage nodes' durable state at one moment, as their
// disks hold it (not what the nodes hold in memory), taken cheaply and
// encoded piece by piece afterwards: the records and pages on a disk are
// never changed in place, so the snapshot stays exact while the Lab runs
// on. The page encodes a few pieces per animation frame.
type DiskSnapshot struct {
	Mark  Mark
	names []string
	imgs  []storage.Image
	node  int // next node
	seg   int // next segment of imgs[node]; -1 for the node's metadata
	stats DiskStats
}

// DiskSnapshot takes the storage nodes' durable state now.
func (l *Lab) DiskSnapshot() *DiskSnapshot {
	d := &DiskSnapshot{Mark: MarkOf(l), seg: -1}
	for _, n := range l.c.Storage {
		d.names = append(d.names, n.Name)
		d.imgs = append(d.imgs, n.Store().Load())
	}
	d.stats.Nodes = len(d.imgs)
	return d
}

// Next returns the next piece, in a fixed order, and false after the last.
func (d *DiskSnapshot) Next() (DiskRecord, bool) {
	for d.node < len(d.imgs) {
		img := &d.imgs[d.node]
		if d.seg < 0 {
			d.seg = 0
			var e enc
			e.u64(img.Node.VolEpoch)
			e.u64(img.Node.CleanEpoch)
			e.u64(uint64(img.Node.KnownVDL))
			e.u64(uint64(len(img.Node.Truncations)))
			for _, t := range img.Node.Truncations {
				e.u64(t.Epoch)
				e.u64(uint64(t.From))
				e.u64(uint64(t.To))
			}
			d.stats.Bytes += len(e.b)
			return DiskRecord{Key: d.names[d.node], Data: e.b}, true
		}
		if d.seg < len(img.Segments) {
			s := &img.Segments[d.seg]
			d.seg++
			data := encodeSegment(s)
			d.stats.Segments++
			d.stats.Records += len(s.Records)
			d.stats.Pages += len(s.Pages)
			d.stats.Bytes += len(data)
			return DiskRecord{Key: d.names[d.node] + "/s" + strconv.FormatUint(uint64(s.Meta.ID), 10), Data: data}, true
		}
		d.imgs[d.node] = storage.Image{} // done with it
		d.node++
		d.seg = -1
	}
	return DiskRecord{}, false
}

// Stats counts what the pieces returned so far hold.
func (d *DiskSnapshot) Stats() DiskStats { return d.stats }

// Disks returns every piece of the durable state now, at once.
func (l *Lab) Disks() ([]DiskRecord, DiskStats) {
	d := l.DiskSnapshot()
	var out []DiskRecord
	for {
		r, ok := d.Next()
		if !ok {
			return out, d.Stats()
		}
		out = append(out, r)
	}
}

// DiskSum is the checksum the page keeps of a DiskRecord's data (64-bit
// FNV-1a).
func DiskSum(data []byte) uint64 {
	h := fnv.New64a()
	_, _ = h.Write(data)
	return h.Sum64()
}

func encodeSegment(s *storage.SegmentImage) []byte {
	var e enc
	m := &s.Meta
	e.u64(uint64(m.ID))
	e.u64(uint64(m.PG))
	e.flag(m.Full)
	e.str(m.Quorum.String())
	e.u64(uint64(len(m.Peers)))
	for _, p := range m.Peers {
		e.u64(uint64(p.Seg))
		e.u64(uint64(p.Node))
		e.flag(p.Full)
	}
	e.flag(m.Hydrated)
	e.flag(m.Retired)
	e.u64(uint64(len(m.Floor)))
	for _, f := range m.Floor {
		e.u64(uint64(f))
	}
	e.u64(uint64(m.Coalesced))
	e.u64(uint64(m.Collected))
	e.u64(uint64(m.Staged))
	e.u64(uint64(m.PGMRPL))
	e.u64(uint64(len(s.Records)))
	for i := range s.Records {
		r := &s.Records[i].Rec
		e.u64(uint64(r.LSN))
		e.u64(uint64(r.Stream))
		e.u64(uint64(r.PG))
		e.u64(uint64(r.Page))
		e.u64(uint64(r.PrevVolume))
		e.u64(uint64(r.PrevPG))
		e.u64(uint64(r.PrevPage))
		e.flag(r.CPL)
		e.flag(r.Commit)
		e.u64(r.Txn)
		e.u64(uint64(r.Op))
		e.bytes(r.Key)
		e.bytes(r.Value)
		e.u64(uint64(s.Records[i].Sum))
	}
	e.u64(uint64(len(s.Pages)))
	for _, p := range s.Pages {
		e.u64(uint64(p.Page.ID))
		e.u64(uint64(p.Page.LSN))
		e.bytes(p.Page.Header)
		e.u64(uint64(len(p.Page.Rows)))
		for _, r := range p.Page.Rows {
			e.bytes(r.Key)
			e.bytes(r.Value)
		}
		e.u64(uint64(p.Sum))
	}
	return e.b
}

// enc appends unsigned varints and length-prefixed bytes.
type enc struct{ b []byte }

func (e *enc) u64(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) flag(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *enc) bytes(p []byte) { e.u64(uint64(len(p))); e.b = append(e.b, p...) }
func (e *enc) str(s string)   { e.u64(uint64(len(s))); e.b = append(e.b, s...) }

// ---------------------------------------------------------------- checks

// CheckReport is one invariant checker's verdict, plain data: its name,
// whether it holds, how often it was checked, and the first violation.
type CheckReport = check.Report

// NameAckedCommits names the page's check of acknowledged commits.
const NameAckedCommits = "acknowledged commits lost"

// Watcher runs the invariant checkers of package check against a Lab as
// it runs, for the page's invariant panel: call Observe after every event,
// or every few; Reports returns the verdicts. It follows the Lab's cluster
// and starts over when a \cluster replaces it.
//
// Beside the storage and volume invariants of check.Watch it keeps the
// commits the consoles acknowledged (every SQL output that reports a
// commit LSN) and checks that none is lost: from the moment a commit is
// acknowledged, the writer that holds the volume, through any crash,
// recovery or failover, has a VDL at or above its LSN (SIGMOD'17 §4.2.2,
// §4.3: recovery never truncates below an acknowledged commit).
type Watcher struct {
	w       check.Watch
	gen     int
	outNext uint64
	acked   int64
	maxLSN  uint64
	maxAt   Time
	r       check.Report
}

// NewWatcher returns a Watcher.
func NewWatcher() *Watcher { return &Watcher{} }

// Observe checks the Lab as it is now.
func (w *Watcher) Observe(l *Lab) {
	if l.gen != w.gen || w.r.Name == "" {
		w.gen = l.gen
		w.acked, w.maxLSN, w.maxAt = 0, 0, 0
		w.r = check.Report{Name: NameAckedCommits, OK: true}
	}
	w.w.Observe(l.c)
	outs, next := l.Outputs(w.outNext)
	w.outNext = next
	for i := range outs {
		if lsn, ok := commitLSN(&outs[i]); ok {
			w.acked++
			if lsn > w.maxLSN {
				w.maxLSN, w.maxAt = lsn, outs[i].At
			}
		}
	}
	wr := l.c.Writer()
	if w.maxLSN == 0 || wr == nil || wr.Vol == nil || wr.Recovering() || !l.c.Up(wr.ID) {
		return
	}
	w.r.Checks++
	if vdl := uint64(wr.Vol.VDL()); vdl < w.maxLSN {
		w.r.Fail(l.c.Now(), "the commit at LSN %d, acknowledged at %v, is above %s's VDL %d at volume epoch %d",
			w.maxLSN, w.maxAt, wr.Name, vdl, wr.Vol.Epoch())
	}
}

// Acked reports how many commits the consoles acknowledged since the
// Watcher started following this cluster.
func (w *Watcher) Acked() int64 { return w.acked }

// Reports returns the verdicts so far: acknowledged commits first, then
// check.Watch's in its order.
func (w *Watcher) Reports() []CheckReport {
	r := w.r
	if r.Name == "" {
		r = check.Report{Name: NameAckedCommits, OK: true}
	}
	return append([]CheckReport{r}, w.w.Reports()...)
}

// commitLSN reports the commit a SQL output made durable.
func commitLSN(o *Output) (uint64, bool) {
	if o.Kind != OutSQL || !o.OK || o.CommitLSN == 0 {
		return 0, false
	}
	return o.CommitLSN, true
}
