package storage

import (
	"strconv"

	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// receiveWrite is pipeline step 1 (SIGMOD'17 §3.3): check the write, learn
// the writer's VDL and PGMRPL, and put the batch in the in-memory queue for
// the disk. Nothing else happens before the ack.
func (n *Node) receiveWrite(env wire.Env, m *wire.Msg) {
	s := n.lookup(m.PG, m.Seg)
	switch {
	case s == nil || s.retired:
		n.rejectWrite(env, m.From, m.PG, m.Seg, wire.RejectNotMember, 0)
		return
	case m.VolEpoch < n.volEpoch:
		n.refusedStale(env, s, "write", m.VolEpoch, n.volEpoch)
		n.rejectWrite(env, m.From, m.PG, s.ID, wire.RejectStaleVolumeEpoch, n.volEpoch)
		return
	case m.MemEpoch < s.quorum.Epoch():
		n.refusedStale(env, s, "write", m.MemEpoch, s.quorum.Epoch())
		n.rejectWrite(env, m.From, m.PG, s.ID, wire.RejectStaleMemberEpoch, s.quorum.Epoch())
		return
	}
	b := m.Batch
	if b != nil && len(b.Records) > 0 && len(n.truncs) > 0 && n.anyTruncated(b.Records) {
		n.rejectWrite(env, m.From, m.PG, s.ID, wire.RejectTruncated, n.volEpoch)
		return
	}
	n.learn(env, s, m)
	if b == nil || len(b.Records) == 0 {
		return
	}
	b, held := n.fresh(s, b, m.VolEpoch, m.MemEpoch)
	if b == nil {
		if held {
			// A retry of records already durable here: their ack was
			// lost, or is on its way. Acknowledge again at once.
			n.stats.AcksSent++
			st := m.Batch.Records[0].Stream
			ack := wire.Msg{
				Kind: wire.WriteAck, From: n.ID, To: m.From, PG: s.PG, Seg: s.ID, Stream: st,
				VolEpoch: n.volEpoch, MemEpoch: s.quorum.Epoch(), A: s.StreamSCL(st), B: m.Batch.Last(),
			}
			if v := n.votes(s, m.Batch.Records); v != nil {
				ack.Body = v
			}
			env.Send(ack)
		}
		return
	}
	if n.cfg.Conflicts {
		n.claim(s, b)
	}
	n.enqueue(env, pending{kind: pendWrite, from: m.From, seg: s, batch: b, epoch: m.VolEpoch, memEpoch: m.MemEpoch}, b.Size())
}

// fresh returns the part of b that s neither holds nor has waiting in the
// disk queue (b itself when that is all of it, nil when none of it), and
// reports whether every record of b is already durable on s.
//
// A writer resends the records a segment has not acknowledged, and gossip
// asks again for what is still missing; while the disk is slow both come
// faster than the disk drains them. Writing each record once keeps the
// queue bounded, so a node that was slow catches up once it is not. A
// queued copy counts only if it is of the same or a newer epoch, so it
// cannot be refused at the disk after its retry was dropped.
func (n *Node) fresh(s *Segment, b *redo.Batch, epoch, memEpoch uint64) (*redo.Batch, bool) {
	if n.allFresh(s, b.Records) {
		return b, false
	}
	isNew := func(r *redo.Record) (bool, bool) {
		if r.LSN <= s.floor(r.Stream) || s.Has(r.LSN) {
			return false, true
		}
		for i := n.qhead; i < len(n.queue); i++ {
			p := &n.queue[i]
			if p.seg != s || p.batch == nil || p.epoch < epoch || p.memEpoch < memEpoch {
				continue
			}
			if _, ok := findRecord(p.batch.Records, r.LSN); ok {
				return false, false
			}
		}
		return true, false
	}
	// The common case, a first send: every record is new, and nothing is
	// allocated.
	k := 0
	held := true
	for i := range b.Records {
		nw, h := isNew(&b.Records[i])
		if !nw {
			break
		}
		held = held && h
		k++
	}
	if k == len(b.Records) {
		return b, false
	}
	var out *redo.Batch
	held = true
	for i := range b.Records {
		r := &b.Records[i]
		nw, h := isNew(r)
		held = held && h
		if nw {
			if out == nil {
				out = &redo.Batch{PG: b.PG}
			}
			out.AddRef(r)
		}
	}
	return out, held && out == nil
}

// allFresh reports, for the common case of a first send, that every
// record of recs is new to s without looking each up: recs are of one
// stream and in LSN order, and lie above the stream's floor, above the
// log, and above every batch of s waiting for the disk. It reports false
// when it cannot tell, and fresh then looks the records up one by one.
func (n *Node) allFresh(s *Segment, recs []redo.Record) bool {
	if len(recs) == 0 {
		return false
	}
	st, lo := recs[0].Stream, recs[0].LSN
	if k := len(s.log); k > 0 && s.log[k-1].Rec.LSN >= lo || lo <= s.floor(st) {
		return false
	}
	last := redo.NoLSN
	for i := range recs {
		if recs[i].Stream != st || recs[i].LSN <= last {
			return false
		}
		last = recs[i].LSN
	}
	// findRecord finds nothing at or above lo in a batch that ends below
	// it, and no batch of s waiting for the disk ends above queuedTop.
	return lo > s.queuedTop
}

// heartbeat learns the writer's VDL and PGMRPL when no write carried them.
func (n *Node) heartbeat(env wire.Env, m *wire.Msg) {
	s := n.lookup(m.PG, m.Seg)
	if s == nil || m.VolEpoch < n.volEpoch {
		return
	}
	n.learn(env, s, m)
}

// learn takes what a writer's message tells: its volume epoch, and — only
// from a writer of the node's own, clean epoch — its VDL (A) and the PG's
// minimum read point (B). A VDL heard from a newer epoch is not taken until
// the node knows that epoch's truncations: a record a recovery annulled
// must never sit below the known VDL, or coalescing would bake it into a
// page.
func (n *Node) learn(env wire.Env, s *Segment, m *wire.Msg) {
	if m.VolEpoch > n.volEpoch {
		n.raiseLock(env, m.VolEpoch, s, -1)
	}
	if m.VolEpoch != n.volEpoch || n.cleanEpoch != n.volEpoch {
		return
	}
	if m.Stream == 0 && m.A > n.knownVDL {
		n.knownVDL = m.A
		n.vdlDirty = true
	}
	if int(m.Stream) < len(n.streamVDL) && m.A > n.streamVDL[m.Stream] {
		n.streamVDL[m.Stream] = m.A
	}
	if m.B > s.pgmrpl {
		s.pgmrpl = m.B
		s.metaDirty = true
	}
}

// raiseLock accepts volume epoch e, which a writer or a peer showed: from
// now on writes of older epochs are refused. Epoch 1, the volume's first,
// has no truncation, so a node that knew none is clean at it; for a later
// epoch the node must learn the truncation ranges, and asks a peer of s
// (peer is its index in s.peers, or -1 for any).
func (n *Node) raiseLock(env wire.Env, e uint64, s *Segment, peer int) {
	if e <= n.volEpoch {
		return
	}
	n.volEpoch = e
	if n.cleanEpoch == 0 && e >= 1 {
		n.cleanEpoch = 1
	}
	n.saveNode()
	if n.cleanEpoch < n.volEpoch {
		n.note(env, "epoch", s.PG, "volume epoch %d seen, truncations known to epoch %d: asking peers", e, n.cleanEpoch)
		n.pull(env, s, peer)
	}
}

// pull asks a peer for the truncation ranges the node lacks: a Gossip
// with the node's clean epoch, which a newer peer answers with its
// truncation history. Pulls are spaced by half a gossip interval.
func (n *Node) pull(env wire.Env, s *Segment, peer int) {
	now := env.Now()
	if now < n.pullAt {
		return
	}
	if len(s.peers) == 0 {
		s = nil
		for _, o := range n.segs {
			if len(o.peers) > 0 && !o.retired {
				s = o
				break
			}
		}
		if s == nil {
			return
		}
		peer = -1
	}
	n.pullAt = now + max(sim.Millisecond, n.cfg.GossipInterval/2)
	if peer < 0 {
		peer = env.Rand().IntN(len(s.peers))
	}
	n.sendGossip(env, s, peer, 0)
}

// behind reports whether the node knows of a recovery whose truncation
// ranges it has not learned.
func (n *Node) behind() bool { return n.cleanEpoch < n.volEpoch }

// installHistory takes truncation ranges that are complete up to epoch
// clean (from a Truncate, a peer or a hydration), drops the records they
// annul, and adopts the epoch. vdl is a VDL valid at that epoch.
func (n *Node) installHistory(env wire.Env, pg redo.PGID, truncs []wire.Truncation, clean uint64, vdl redo.LSN, from string) {
	dropped := 0
	for _, t := range truncs {
		dropped += n.addTruncation(t)
	}
	if clean < n.cleanEpoch {
		n.saveNode()
		return
	}
	was := n.cleanEpoch
	n.cleanEpoch = clean
	n.volEpoch = max(n.volEpoch, clean)
	if n.cleanEpoch == n.volEpoch && vdl > n.knownVDL {
		n.knownVDL = vdl
	}
	n.saveNode()
	if clean > was && from != "recovery" {
		n.note(env, "epoch", pg, "learned the truncations to volume epoch %d from %s (%d records dropped)", clean, from, dropped)
	}
}

// addTruncation records a truncation range, durable at once, and drops the
// records in it from every segment. It returns how many it dropped.
func (n *Node) addTruncation(t wire.Truncation) int {
	covered := false
	for _, h := range n.truncs {
		if h == t {
			return 0
		}
		covered = covered || h.Stream == t.Stream && h.From <= t.From && t.To <= h.To
	}
	if t.Epoch < n.cleanEpoch && t.Stream == 0 {
		// The node knows every range up to its clean epoch, so a range of
		// an older epoch it does not know is a recovery's that a newer one
		// overtook before it truncated: applying it would annul records
		// the newer epoch wrote above its own range (found by the swarm
		// test: two recoveries raced, the stale one's wider range reached
		// a node through a later recovery's history).
		return 0
	}
	n.truncs = append(n.truncs, t)
	if covered {
		// A range inside one the node already applied (an older
		// recovery's, learned late, that a newer recovery repeated): it
		// annuls nothing more, and what was coalesced since lies outside.
		return 0
	}
	dropped := 0
	for _, s := range n.segs {
		// The range annuls what lies above the recovered VDL. Everything
		// coalesced lies at or below a VDL this node was told, so a range
		// reaching down to it breaks the recovery's promise. (Staged is
		// not this segment's own: it is the backup store's high-water
		// mark, which other segments may have raised with the new epoch's
		// records, above the range.)
		if t.From <= s.coalesced {
			panic("storage: " + n.Name + " s" + strconv.FormatUint(uint64(s.ID), 10) + ": truncation [" +
				t.From.String() + ", " + t.To.String() + "] of epoch " + strconv.FormatUint(t.Epoch, 10) +
				" reaches below coalesced " + s.coalesced.String())
		}
		k := s.dropRange(t.From, t.To, t.Stream)
		if k == 0 {
			continue
		}
		dropped += k
		s.rebuildChains()
		n.chg = Change{Kind: ChangeDrop, Seg: s.ID, From: t.From, To: t.To, OnlyStream: true, Stream: t.Stream}
		n.store.Write(&n.chg)
		n.chg = Change{}
	}
	n.stats.Truncated += int64(dropped)
	return dropped
}

// truncated reports whether record l of stream st lies in a truncation
// range of its stream.
func (n *Node) truncated(l redo.LSN, st uint8) bool {
	for i := range n.truncs {
		if t := &n.truncs[i]; l >= t.From && l <= t.To && t.Stream == st {
			return true
		}
	}
	return false
}

// anyTruncated reports whether any of recs (in LSN order) lies in a
// truncation range.
func (n *Node) anyTruncated(recs []redo.Record) bool {
	lo, hi := recs[0].LSN, recs[len(recs)-1].LSN
	for i := range n.truncs {
		t := &n.truncs[i]
		if hi < t.From || lo > t.To {
			continue
		}
		for j := range recs {
			if recs[j].LSN >= t.From && recs[j].LSN <= t.To && recs[j].Stream == t.Stream {
				return true
			}
		}
	}
	return false
}

func (n *Node) rejectWrite(env wire.Env, to sim.NodeID, pg redo.PGID, seg uint32, why int64, epoch uint64) {
	n.stats.WritesRejected++
	env.Send(wire.Msg{
		Kind: wire.WriteReject, From: n.ID, To: to, PG: pg, Seg: seg,
		VolEpoch: n.volEpoch, N: why, A: redo.LSN(epoch),
	})
}

// refusedStale counts a request refused for a stale epoch, and notes the
// first refusal of each stale epoch per segment.
func (n *Node) refusedStale(env wire.Env, s *Segment, what string, theirs, ours uint64) {
	n.stats.StaleRefused++
	if s.noted == theirs+1 {
		return
	}
	s.noted = theirs + 1
	n.note(env, "epoch", s.PG, "s%d refused a %s of stale epoch %d (holds %d)", s.ID, what, theirs, ours)
}

// enqueue puts a batch in the in-memory queue for the disk. The disk is an
// SSD: several writes are in flight at once, each taking PersistLatency
// (plus the node's slowness); only moving the bytes, size over
// DiskBytesPerSec, is one at a time. Batches complete in the order they
// came, so a batch never overtakes one before it. The queue holds the
// batch (see redo.Pool) until persistDue is done with it or a crash
// drops it.
func (n *Node) enqueue(env wire.Env, p pending, size int) {
	now := env.Now()
	start := now
	if bw := n.cfg.DiskBytesPerSec; bw > 0 {
		start = max(now, n.diskFree) + sim.Time(int64(size)*int64(sim.Second)/bw)
		n.diskFree = start
	}
	p.due = max(start+n.cfg.PersistLatency+n.slow, n.lastDue)
	n.lastDue = p.due
	if p.batch != nil {
		p.batch.Hold()
		if p.seg != nil && len(p.batch.Records) > 0 {
			p.seg.queuedTop = max(p.seg.queuedTop, p.batch.Last())
		}
	}
	n.queue = append(n.queue, p)
	n.alarm(env, p.due-now, alarmPersist, nil)
}

// persistDue takes from the queue every batch the disk has finished.
func (n *Node) persistDue(env wire.Env) {
	now := env.Now()
	for n.qhead < len(n.queue) && n.queue[n.qhead].due <= now {
		// The batch is handled where it lies in the queue, and cleared
		// by index after: handling it may append to the queue, moving it
		// to a new array, and p then still reads the old one.
		i := n.qhead
		p := &n.queue[i]
		n.qhead++
		switch p.kind {
		case pendWrite:
			n.persistWrite(env, p)
		case pendGossip:
			n.persistGossip(env, p)
		case pendHydrate:
			n.installHydrate(env, p)
		}
		if b := n.queue[i].batch; b != nil {
			b.Release() // its records are copied to the segment, or refused
		}
		n.queue[i] = pending{}
	}
	if n.qhead == len(n.queue) {
		n.queue = n.queue[:0]
		n.qhead = 0
	} else if n.qhead >= 64 && 2*n.qhead >= len(n.queue) {
		k := copy(n.queue, n.queue[n.qhead:])
		clear(n.queue[k:])
		n.queue = n.queue[:k]
		n.qhead = 0
	}
}

// persistWrite is pipeline step 2: the batch is on disk; add it to the hot
// log and acknowledge with the segment's SCL. A recovery or membership
// change that happened while the batch waited for the disk refuses it now.
func (n *Node) persistWrite(env wire.Env, p *pending) {
	s := p.seg
	switch {
	case s.retired:
		n.rejectWrite(env, p.from, s.PG, s.ID, wire.RejectNotMember, 0)
		return
	case p.epoch < n.volEpoch:
		n.rejectWrite(env, p.from, s.PG, s.ID, wire.RejectStaleVolumeEpoch, n.volEpoch)
		return
	case p.memEpoch < s.quorum.Epoch():
		n.rejectWrite(env, p.from, s.PG, s.ID, wire.RejectStaleMemberEpoch, s.quorum.Epoch())
		return
	}
	n.stats.RecordsPersisted += int64(n.addRecords(env, s, p.batch.Records))
	n.stats.AcksSent++
	st := p.batch.Records[0].Stream
	ack := wire.Msg{
		Kind: wire.WriteAck, From: n.ID, To: p.from, PG: s.PG, Seg: s.ID, Stream: st,
		VolEpoch: n.volEpoch, MemEpoch: s.quorum.Epoch(), A: s.StreamSCL(st), B: p.batch.Last(),
	}
	if n.cfg.Conflicts {
		if v := n.votes(s, p.batch.Records); v != nil {
			ack.Body = v
		}
	}
	env.Send(ack)
}

// addRecords makes recs durable on s — the hot log and the store — and
// returns how many were new. Records in a truncation range are dropped. A
// good copy of a record whose stored copy is damaged replaces it.
func (n *Node) addRecords(env wire.Env, s *Segment, recs []redo.Record) int {
	if len(s.log)+len(recs) > cap(s.log) {
		s.log = n.logs.room(s.log, len(recs))
	}
	if k := n.appendRecords(s, recs); k >= 0 {
		return k
	}
	// The records written to the store, in the order they were added.
	// Usually each lands at the end of the log, so they are the log's
	// tail from n0 and the store is handed that; sc lists them only once
	// one does not.
	n0 := len(s.log)
	tail := true
	sc := n.scratch[:0]
	for i := range recs {
		r := &recs[i]
		if len(n.truncs) > 0 && n.truncated(r.LSN, r.Stream) {
			continue
		}
		if k := len(s.log); tail && k > 0 && s.log[k-1].Rec.LSN >= r.LSN {
			sc = append(sc, s.log[n0:]...)
			tail = false
		}
		sr := StoredRecord{Rec: *r, Claimed: n.votedFor(s, r), lazy: true}
		if s.add(sr) {
			if !tail {
				sc = append(sc, sr)
			}
			continue
		}
		// Already held: if the stored copy is damaged, this one repairs it.
		// Only a damaged copy has its checksum taken already.
		if j, ok := s.find(r.LSN); ok && !s.log[j].intact() && s.log[j].Sum == recordSum(r) {
			if tail {
				sc = append(sc, s.log[n0:]...)
				tail = false
			}
			s.log[j] = sr
			sc = append(sc, sr)
			s.clearBad(badItem{lsn: r.LSN})
			n.stats.Repaired++
			n.note(env, "repair", s.PG, "s%d record %d repaired by a fresh copy", s.ID, r.LSN)
		}
	}
	written := sc
	if tail {
		written = s.log[n0:]
	}
	added := len(written)
	if added > 0 {
		n.chg.Kind, n.chg.Seg, n.chg.Records = ChangeRecords, s.ID, written
		n.store.Write(&n.chg)
		n.chg.Records = nil
	}
	clear(sc)
	n.scratch = sc[:0]
	return added
}

// appendRecords is addRecords for the common case of one writer, where a
// batch of one stream, in LSN order, lands above everything the log holds
// and above the stream's floor, with no truncation range near it and no
// vote to cast. Then every record is new and goes on top of the log, so
// the checks the general path makes for each record are made once for
// the batch: the records are appended (the log has room for them), the
// stream's SCL follows them as far as they link to it, and the store is
// handed them. It returns how many it added, all of them, or -1, having
// changed nothing, when the batch is not such a case.
func (n *Node) appendRecords(s *Segment, recs []redo.Record) int {
	if len(recs) == 0 || n.cfg.Conflicts || s.claims != nil {
		return -1
	}
	st, lo := recs[0].Stream, recs[0].LSN
	if k := len(s.log); k > 0 && s.log[k-1].Rec.LSN >= lo || lo <= s.floor(st) {
		return -1
	}
	last := redo.NoLSN
	for i := range recs {
		r := &recs[i]
		if r.Stream != st || r.LSN <= last || r.Op == redo.OpVoid {
			return -1
		}
		last = r.LSN
	}
	for i := range n.truncs {
		if t := &n.truncs[i]; t.Stream == st && t.From <= last && t.To >= lo {
			return -1
		}
	}
	for int(st) >= len(s.chains) {
		s.chains = append(s.chains, chain{})
	}
	n0 := len(s.log)
	s.log = s.log[:n0+len(recs)]
	added := s.log[n0:]
	c := &s.chains[st]
	scl := c.scl
	for i := range recs {
		r := &recs[i]
		// The array past the log's end holds what garbage collection
		// left there: every field is set.
		d := &added[i]
		d.Rec.Copy(r)
		d.Sum, d.Claimed, d.lazy = 0, false, true
		if r.LSN > scl && r.PrevPG == scl {
			scl = r.LSN
		}
	}
	c.scl = scl
	n.chg.Kind, n.chg.Seg, n.chg.Records = ChangeRecords, s.ID, added
	n.store.Write(&n.chg)
	n.chg.Records = nil
	return len(added)
}

// read serves a page at a read point from this one segment (SIGMOD'17
// §4.2.3: reads go to one segment whose SCL covers the read point, not to
// a quorum): Read B = page, A = read point, N = request id.
func (n *Node) read(env wire.Env, m *wire.Msg) {
	s := n.lookup(m.PG, m.Seg)
	reply := wire.Msg{From: n.ID, To: m.From, PG: m.PG, Seg: m.Seg, N: m.N, B: m.B, VolEpoch: n.volEpoch}
	var why int64
	switch {
	case s == nil || s.retired:
		why = wire.RejectNotMember
	case !s.Full:
		why = wire.RejectNotFull
	case !s.hydrated:
		why = wire.RejectNotHydrated
	case m.VolEpoch > n.volEpoch || n.behind():
		// A recovery whose truncation ranges the node has not learned may
		// annul records here that the read point covers (a recovered
		// writer's VDL jumps past its range). Refuse until they are
		// learned: the reader asks another segment, or again later.
		if m.VolEpoch > n.volEpoch {
			n.raiseLock(env, m.VolEpoch, s, -1)
		} else {
			n.pull(env, s, -1)
		}
		why = wire.RejectAboveSCL
	}
	if why == 0 {
		reply.MemEpoch = s.quorum.Epoch()
		var p *page.Page
		var bad badItem
		var err error
		if vec, ok := m.Body.(*wire.ReadVector); ok {
			p, bad, err = s.materializeVector(redo.PageID(m.B), vec, n.streamVDL[:])
		} else {
			p, bad, err = s.materialize(redo.PageID(m.B), m.A, m.C)
		}
		if err == nil {
			n.stats.ReadsServed++
			reply.Kind, reply.A, reply.Body = wire.ReadReply, s.SCL(), p
			env.Send(reply)
			return
		}
		why = rejectCode(err)
		if why == wire.RejectCorrupt {
			n.foundBad(env, s, bad, "a read")
		}
	}
	n.stats.ReadsRejected++
	reply.Kind, reply.A = wire.ReadReject, redo.LSN(why)
	env.Send(reply)
}
