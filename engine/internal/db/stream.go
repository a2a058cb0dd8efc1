package db

import (
	"slices"

	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// The log stream from a writer to its followers crosses the same lossy
// network as everything else. Aurora runs it over connections that
// retransmit; the model does so at its own level, because a follower that
// silently missed a batch would keep a cached page that never gets the
// missed change:
//
//   - every flush is numbered (B), and names the number before it (C);
//   - a follower takes a message only if it follows on from the last one
//     it took, and otherwise asks for everything after that one (the ack's
//     N = ackGap, B = the last number it has);
//   - the writer keeps what it sent until every live follower has
//     acknowledged it, and sends a missed stretch again in one message. A
//     follower that fell further behind than the writer kept (it was cut
//     off for longer than followerStale) is told to start over: it drops
//     its cache and takes the heads table afresh.
//
// A writer numbers its flushes from the simulated time its life began, in
// nanoseconds: a new life's numbers are above every number of an older
// one, so a follower sees a restarted writer as a gap, never as a repeat.

// The ack flags of LogStreamAck.N.
const (
	ackHeads = 1 // the follower lacks the heads table
	ackGap   = 2 // the follower missed flushes after B: send them again
)

// streamOut is a writer's side of its stream.
type streamOut struct {
	seq  uint64      // the last flush's number
	base uint64      // every flush up to base has been dropped from kept
	kept []sentBatch // flushes with records after base, oldest first
	// reset are the followers that fell behind what was kept.
	reset []sim.NodeID
	// above are the records streamed that are still above the VDL, in
	// the order streamed: a follower starting afresh gets the heads table
	// at the VDL and these. They are kept as the Records of the batches
	// sent, which no one changes, less the records at or below the VDL.
	above []aboveRecs
}

// A flush's batch may come from the writer's pool (Instance.streamPool):
// the writer holds it twice while it keeps its records, once for kept and
// once for above, and releases each hold when the records leave that
// list (trim, trimAbove, drop). since and aboveRecords copy what they
// return, so a resend never carries a pooled array.
type sentBatch struct {
	seq  uint64
	recs []redo.Record
	b    *redo.Batch // the batch recs are the records of
}

// aboveRecs are records of above: the records of b, or, once copied by
// trimAbove, of no batch (b nil).
type aboveRecs struct {
	recs []redo.Record
	b    *redo.Batch
}

// streamIn is a follower's side of one writer's stream.
type streamIn struct {
	seq uint64 // the last flush taken, in order
}

// next numbers a flush of b (nil for none) at VDL vdl and keeps its
// records for retransmission. The caller's hold on b passes to kept, and
// above takes one of its own.
func (o *streamOut) next(now sim.Time, b *redo.Batch, vdl redo.LSN) (prev, seq uint64) {
	if o.seq == 0 {
		o.seq = uint64(now)
		o.base = o.seq
	}
	prev = o.seq
	o.seq++
	var recs []redo.Record
	if b != nil {
		recs = b.Records
	}
	if len(recs) == 0 {
		if b != nil {
			b.Release()
		}
		o.trimAbove(vdl)
		return prev, o.seq
	}
	o.kept = append(o.kept, sentBatch{seq: o.seq, recs: recs, b: b})
	o.trimAbove(vdl)
	b.Hold()
	o.above = append(o.above, aboveRecs{recs: recs, b: b})
	return prev, o.seq
}

// trimAbove drops from above the records at or below vdl. A batch's
// records are in LSN order but for those several writers release late;
// a batch that keeps records on both sides of a dropped one is copied,
// never changed.
func (o *streamOut) trimAbove(vdl redo.LSN) {
	n := 0
	for _, a := range o.above {
		recs := a.recs
		k := 0 // the records at or below vdl that lead recs
		for k < len(recs) && recs[k].LSN <= vdl {
			k++
		}
		recs = recs[k:]
		if slices.ContainsFunc(recs, func(r redo.Record) bool { return r.LSN <= vdl }) {
			recs = slices.DeleteFunc(slices.Clone(recs), func(r redo.Record) bool { return r.LSN <= vdl })
			if a.b != nil {
				a.b.Release() // the copy is no batch's
				a.b = nil
			}
		}
		if len(recs) == 0 {
			if a.b != nil {
				a.b.Release()
			}
			continue
		}
		o.above[n] = aboveRecs{recs: recs, b: a.b}
		n++
	}
	clear(o.above[n:])
	o.above = o.above[:n]
}

// aboveRecords returns the records of above in one list of their own.
func (o *streamOut) aboveRecords() []redo.Record {
	n := 0
	for _, a := range o.above {
		n += len(a.recs)
	}
	out := make([]redo.Record, 0, n)
	for _, a := range o.above {
		out = append(out, a.recs...)
	}
	return out
}

// since returns the records of the flushes after seq, and whether the
// writer still holds all of them.
func (o *streamOut) since(seq uint64) ([]redo.Record, bool) {
	if seq < o.base || seq > o.seq {
		return nil, false
	}
	var out []redo.Record
	for _, b := range o.kept {
		if b.seq > seq {
			out = append(out, b.recs...)
		}
	}
	return out, true
}

// trim drops the flushes every live follower has acknowledged.
func (o *streamOut) trim(upto uint64) {
	if upto <= o.base || upto > o.seq {
		return
	}
	i := 0
	for i < len(o.kept) && o.kept[i].seq <= upto {
		if b := o.kept[i].b; b != nil {
			b.Release()
		}
		i++
	}
	n := copy(o.kept, o.kept[i:])
	clear(o.kept[n:])
	o.kept = o.kept[:n]
	o.base = upto
}

// drop empties the stream's lists, releasing their holds: for a writer
// whose stream ends (a crash) or starts over.
func (o *streamOut) drop() {
	for _, s := range o.kept {
		if s.b != nil {
			s.b.Release()
		}
	}
	for _, a := range o.above {
		if a.b != nil {
			a.b.Release()
		}
	}
	*o = streamOut{}
}

// take decides whether a follower applies a stream message: it does when
// the message carries on from the last flush taken — it may overlap it: a
// resent stretch can arrive after the flush it repeats, and a record taken
// twice is applied once — or carries the heads table (a fresh start). It
// reports gap when flushes went missing.
func (s *streamIn) take(m *wire.Msg, fresh bool) (ok, gap bool) {
	prev, seq := uint64(m.C), uint64(m.B)
	switch {
	case fresh || prev <= s.seq && seq > s.seq:
		s.seq = seq
		return true, false
	case prev > s.seq:
		return false, true
	default:
		return false, false // an old stretch: taken already
	}
}

// streamAck answers a stream message: the follower's read point, the last
// flush it has, and what it lacks.
func (in *Instance) streamAck(env wire.Env, m *wire.Msg, s *streamIn, headsKnown, gap bool) {
	ack := wire.Msg{Kind: wire.LogStreamAck, From: in.ID, To: m.From, A: in.MinReadPoint(), B: redo.LSN(s.seq)}
	switch {
	case !headsKnown:
		ack.N = ackHeads
	case gap:
		ack.N = ackGap
	}
	env.Send(ack)
}

// resend answers a follower's gap: the flushes after the last one it has,
// in one message; or, when they are no longer kept, a fresh start.
func (in *Instance) resend(env wire.Env, to sim.NodeID, after uint64) {
	recs, ok := in.out.since(after)
	if !ok {
		if !slices.Contains(in.out.reset, to) {
			in.out.reset = append(in.out.reset, to)
		}
		in.synced = slices.DeleteFunc(in.synced, func(n sim.NodeID) bool { return n == to })
		in.armStream(env)
		return
	}
	m := wire.Msg{Kind: wire.LogStream, From: in.ID, To: to, A: in.Vol.VDL(), N: int64(in.Vol.VDLTime()),
		C: redo.LSN(after), B: redo.LSN(in.out.seq), Stream: in.Stream}
	if len(recs) > 0 {
		m.Batch = &redo.Batch{Records: recs}
		in.stats.RecordsSent += int64(len(recs))
	}
	env.Send(m)
}

// trimStream drops the flushes every follower heard from lately has.
func (in *Instance) trimStream(now sim.Time) {
	low := in.out.seq
	for _, f := range in.followers {
		if now-f.at <= followerStale {
			low = min(low, f.seq)
		}
	}
	in.out.trim(low)
}

// startOver is a follower told it fell too far behind: it forgets every
// page another writer may have changed, and what it buffered.
func (in *Instance) startOver(dropPending func()) {
	dropPending()
	for _, id := range in.cache.ids() {
		if in.Vol != nil && id == TxnPage(in.Stream) {
			continue
		}
		delete(in.cache.pages, id)
	}
}
