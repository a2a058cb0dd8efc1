package db

import (
	"fmt"
	"slices"

	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// mtr builds a mini-transaction: page changes that become durable and
// visible together. Its last record is a consistency point.
type mtr struct {
	ops []redo.Record
	// formatted are the pages the MTR creates.
	formatted []redo.PageID
}

// shortMTR is the most records commitMTR finds page backlinks for by
// scanning the MTR rather than with a map.
const shortMTR = 16

// newMTR returns an empty MTR: the one the last commit gave back, if no
// one holds it, else a new one.
func (in *Instance) newMTR() *mtr {
	if m := in.spareMTR; m != nil {
		in.spareMTR = nil
		return m
	}
	return &mtr{ops: make([]redo.Record, 0, 4)}
}

// recycle keeps m, whose records nothing holds any more, for the next
// newMTR: a statement makes a few MTRs, and each would allocate its own.
func (in *Instance) recycle(m *mtr) {
	clear(m.ops)
	m.ops = m.ops[:0]
	m.formatted = m.formatted[:0]
	in.spareMTR = m
}

func (m *mtr) add(r redo.Record) { m.ops = append(m.ops, r) }

func (m *mtr) format(id redo.PageID, header []byte) {
	m.formatted = append(m.formatted, id)
	m.add(redo.Record{Page: id, Op: redo.OpFormat, Value: header})
}

func (m *mtr) put(id redo.PageID, key, value []byte) {
	m.add(redo.Record{Page: id, Op: redo.OpPut, Key: key, Value: value})
}

func (m *mtr) del(id redo.PageID, key []byte) {
	m.add(redo.Record{Page: id, Op: redo.OpDelete, Key: key})
}

func (m *mtr) header(id redo.PageID, h []byte) {
	m.add(redo.Record{Page: id, Op: redo.OpHeader, Value: h})
}

// commitMTR allocates LSNs for m, sets every record's page backlink from
// the cached page versions, applies the records to the cached pages and
// queues them for the log stream. It returns the MTR's last LSN (its CPL),
// or errLAL having changed nothing.
func (in *Instance) commitMTR(env wire.Env, m *mtr) (redo.LSN, error) {
	if len(m.ops) == 0 {
		return 0, nil
	}
	if !in.Vol.CanAllocate(len(m.ops)) {
		return 0, errLAL
	}
	for _, id := range m.formatted {
		in.cache.putNew(id, id < FirstDataPage)
	}
	// The records get consecutive LSNs from NextLSN, so each record's page
	// backlink — the version it changes — is known before allocation.
	next, step := in.Vol.NextLSN(), in.Vol.Step()
	// A record's page backlink is the MTR's previous record of the page,
	// if any, else the cached version. Most MTRs have a few records, where
	// a scan back is cheaper than a map; a long one gets the map.
	var last map[redo.PageID]redo.LSN
	if len(m.ops) > shortMTR {
		last = make(map[redo.PageID]redo.LSN)
	}
	pages := in.mtrPages[:0]
	defer func() {
		clear(pages)
		in.mtrPages = pages[:0]
	}()
	for i := range m.ops {
		r := &m.ops[i]
		if last == nil {
			// The scan back also gives the page and the PG of a record
			// whose page the MTR changed before (a split moves rows
			// between two leaves): no lookup in the cache for them.
			j := i - 1
			for j >= 0 && m.ops[j].Page != r.Page {
				j--
			}
			if j >= 0 {
				pages = append(pages, pages[j])
				r.PrevPage = next + redo.LSN(j)*step
				r.PG = m.ops[j].PG
				continue
			}
		}
		p, ok := in.cache.peek(r.Page)
		if !ok {
			panic(fmt.Sprintf("db: %s changes page %v, which is not cached", in.Name, r.Page))
		}
		pages = append(pages, p)
		prev := p.LSN
		if last != nil {
			if l, seen := last[r.Page]; seen {
				prev = l
			}
			last[r.Page] = next + redo.LSN(i)*step
		}
		r.PrevPage = prev
		r.PG = in.cfg.Geometry.PGOf(r.Page)
		if r.PG > in.grown {
			// The volume only grows: asked once, it holds the PG for good.
			in.topo.Grow(r.PG)
			in.grown = r.PG
		}
	}
	recs, err := in.Vol.Append(env, m.ops)
	if err != nil {
		return 0, errLAL
	}
	for i := range recs {
		r := &recs[i]
		if r.LSN != next+redo.LSN(i)*step {
			panic(fmt.Sprintf("db: LSN %d allocated where %d was predicted", r.LSN, next+redo.LSN(i)*step))
		}
		// Nothing since the lookup above changed the cache: the
		// volume's allocation only queues messages.
		if err := pages[i].Apply(r); err != nil {
			panic("db: the writer's own record does not follow its page: " + err.Error())
		}
	}
	if mt := in.Vol.LastMTR(); mt != nil {
		// Several writers: the change waits for storage's votes before the
		// other writers see it.
		in.hold(mt, recs)
		return recs[len(recs)-1].LSN, nil
	}
	if in.streamBuf == nil {
		in.streamOpen = min(len(recs), len(in.streamFit)-1)
		n := max(len(recs), min(in.streamFit[in.streamOpen], maxStreamFit))
		if in.cfg.Recycle {
			in.streamBatch = in.streamPool.Get(0, n)
		} else {
			in.streamBatch = redo.NewBatch(0, n)
		}
		in.streamBuf = in.streamBatch.Records
	}
	in.streamBuf = append(in.streamBuf, recs...)
	in.armStream(env)
	// The volume and the stream keep copies of the records; the MTR's
	// own array can serve the next one.
	lsn := recs[len(recs)-1].LSN
	in.recycle(m)
	return lsn, nil
}

// maxStreamFit bounds the room a flush is given from what an earlier one
// carried: a burst does not leave every later flush that much room.
const maxStreamFit = 64

// leafFor returns the leaf of the directory dir that holds key: the entry
// with the greatest low key at or below key. The directory's rows are
// sorted by low key, so a binary search over the page finds it.
func (in *Instance) leafFor(dir *page.Page, key []byte) (redo.PageID, bool) {
	r, ok := dir.Floor(key)
	if !ok {
		return 0, false
	}
	id, err := decodePageID(r.Value)
	if err != nil {
		return 0, false
	}
	return id, true
}

// --- the log stream ---------------------------------------------------------

func (in *Instance) armStream(env wire.Env) {
	if in.streamArm || in.Vol == nil || len(in.topo.Followers(in.ID)) == 0 {
		return
	}
	in.streamArm = true
	env.After(in.cfg.StreamInterval, wire.Msg{Kind: wire.Timer, From: in.ID, To: in.ID, N: alarmStream})
}

// flushStream ships the records generated since the last flush, and the
// VDL, to every follower (SIGMOD'17 §4.2.4: replicas get the same redo
// stream plus VDL updates). A follower that has not yet got the table of
// PG heads at the VDL gets it too: it needs it to read from storage.
func (in *Instance) flushStream(env wire.Env) {
	in.streamArm = false
	if in.Vol == nil {
		return
	}
	var b *redo.Batch
	if len(in.streamBuf) > 0 {
		// The buffer goes out with the batch it is the room of, or, when
		// it outgrew that room or had none, with a batch of its own.
		b = in.streamBatch
		if b == nil || &b.Records[:1][0] != &in.streamBuf[0] {
			if b != nil {
				b.Release() // the records left its room
			}
			b = &redo.Batch{}
		}
		b.Records = in.streamBuf
		in.streamFit[in.streamOpen] = len(in.streamBuf)
		in.streamBuf, in.streamBatch = nil, nil
	}
	// The writer's hold on b (Get's) passes to the stream's lists; each
	// message sent holds it as well while queued (wire.Env.Send).
	prev, seq := in.out.next(env.Now(), b, in.Vol.VDL())

	var heads *StreamHeads
	for _, f := range in.topo.Followers(in.ID) {
		m := wire.Msg{Kind: wire.LogStream, From: in.ID, To: f, A: in.Vol.VDL(), N: int64(in.Vol.VDLTime()),
			C: redo.LSN(prev), B: redo.LSN(seq), Batch: b, Stream: in.Stream}
		if !slices.Contains(in.synced, f) {
			// A fresh start: the heads at the VDL, and every record
			// streamed above it, which the follower may not have.
			if heads == nil {
				heads = &StreamHeads{Heads: in.Vol.Heads()}
			}
			m.Body = heads
			if slices.Contains(in.out.reset, f) {
				m.Body = &StreamHeads{Heads: heads.Heads, Reset: true}
			}
			m.Batch = nil
			if len(in.out.above) > 0 {
				m.Batch = &redo.Batch{Records: in.out.aboveRecords()}
			}
			in.synced = append(in.synced, f)
		}
		if m.Batch != nil {
			in.stats.RecordsSent += int64(len(m.Batch.Records))
		}
		env.Send(m)
	}
	in.out.reset = in.out.reset[:0]
	in.lastFlush = env.Now()
}

// StreamHeads carries the writer's table of PG heads at its VDL. Reset
// tells a follower that fell further behind than the writer kept to start
// over: drop every page it holds.
type StreamHeads struct {
	Heads []redo.LSN
	Reset bool
}

// Size reports the bytes the table takes on the wire.
func (h *StreamHeads) Size() int { return 8 * len(h.Heads) }

// keepaliveEvery is how often an idle writer tells its followers the VDL,
// so a follower that just joined learns where to read.
const keepaliveEvery = 20 * sim.Millisecond

// keepalive flushes the stream when nothing was sent for a while.
func (in *Instance) keepalive(env wire.Env) {
	in.keepArmed = false
	if in.Vol == nil {
		return
	}
	if env.Now()-in.lastFlush >= keepaliveEvery {
		in.flushStream(env)
	}
	// Every few rounds, tell the control plane the writer is alive: it
	// promotes a replica when the writer falls silent.
	if in.keepRounds++; in.keepRounds%5 == 0 {
		env.Send(wire.Msg{Kind: wire.Heartbeat, From: in.ID, To: in.topo.ControlPlane(), VolEpoch: in.Vol.Epoch(), N: int64(in.Stream)})
	}
	in.armKeepalive(env)
}

func (in *Instance) armKeepalive(env wire.Env) {
	if in.keepArmed || in.Vol == nil {
		return
	}
	in.keepArmed = true
	env.After(keepaliveEvery, wire.Msg{Kind: wire.Timer, From: in.ID, To: in.ID, N: alarmKeepalive})
}

// receiveStream is a replica taking a batch of the writer's log: records
// wait until the VDL passes them, then whole MTRs are applied, and only to
// pages the replica holds (SIGMOD'17 §4.2.4).
func (in *Instance) receiveStream(env wire.Env, m *wire.Msg) {
	if in.Vol != nil {
		return // a writer follows no one
	}
	h, resent := m.Body.(*StreamHeads)
	ok, gap := in.in.take(m, resent)
	if !ok {
		in.streamAck(env, m, &in.in, in.headsKnown, gap)
		return
	}
	switch {
	case resent && h.Reset:
		in.startOver(func() { in.pending = nil })
	case resent && in.headsKnown:
		// Before anything of the new life is applied.
		in.resync(h.Heads, in.heads, func() { in.pending = nil })
	}
	k := -1
	if m.A > in.vdl && len(in.pending) == 0 && m.Batch != nil {
		k = above(m.Batch.Records, in.vdl)
	}
	if k >= 0 {
		// Nothing waits, and the batch's records above the VDL the
		// replica has are its last ones, as a batch's records come in
		// LSN order: those the new VDL covers are applied from the batch
		// itself, which no one changes, and only the rest is copied to
		// wait. Queueing them all and applying the queue does the same.
		recs := m.Batch.Records[k:]
		n := in.applyStreamed(recs, m.A)
		in.pending = append(in.pending, recs[n:]...)
		in.appliedTo(env, m.A, m.N)
	} else {
		if m.Batch != nil {
			for i := range m.Batch.Records {
				if r := &m.Batch.Records[i]; r.LSN > in.vdl {
					in.pending = append(in.pending, *r)
				}
			}
		}
		if m.A > in.vdl {
			in.applyUpTo(env, m.A, m.N)
		}
	}
	if resent && m.A >= in.vdl {
		in.heads = slices.Clone(h.Heads)
		in.headsKnown = true
		in.sendWaitingReads(env)
	}
	in.streamAck(env, m, &in.in, in.headsKnown, false)
}

// sendWaitingReads sends the page reads that waited for the heads table.
func (in *Instance) sendWaitingReads(env wire.Env) {
	for _, f := range in.fetches {
		if len(f.tried) == 0 && in.setHead(f) {
			in.sendRead(env, f)
		}
	}
}

// above returns the index from which every record of recs is above vdl
// and every one before it at or below, or -1 when the records above vdl
// are not the last ones.
func above(recs []redo.Record, vdl redo.LSN) int {
	k := 0
	for k < len(recs) && recs[k].LSN <= vdl {
		k++
	}
	for i := k; i < len(recs); i++ {
		if recs[i].LSN <= vdl {
			return -1
		}
	}
	return k
}

// applyUpTo applies the records waiting from the first while the VDL
// covers them, and keeps the rest waiting.
func (in *Instance) applyUpTo(env wire.Env, vdl redo.LSN, vdlAt int64) {
	n := in.applyStreamed(in.pending, vdl)
	in.pending = append(in.pending[:0], in.pending[n:]...)
	in.appliedTo(env, vdl, vdlAt)
}

// applyStreamed applies the streamed records of recs from the first while
// they are at or below vdl, to the pages the instance holds, and returns
// how many it took. It only reads recs.
func (in *Instance) applyStreamed(recs []redo.Record, vdl redo.LSN) int {
	n := 0
	for n < len(recs) && recs[n].LSN <= vdl {
		r := &recs[n]
		n++
		if i := int(r.PG) - 1; in.headsKnown && i >= 0 {
			for len(in.heads) <= i {
				in.heads = append(in.heads, redo.NoLSN)
			}
			in.heads[i] = max(in.heads[i], r.LSN)
		}
		if p, ok := in.cache.peek(r.Page); ok {
			if r.LSN <= p.LSN {
				continue // the cached copy, read from storage, has it already
			}
			if err := p.Apply(r); err != nil {
				// The cached version is not the one the record follows:
				// drop the page; it will be read again at a later point.
				delete(in.cache.pages, r.Page)
				continue
			}
			in.stats.RecordsApply++
			continue
		}
		if f := in.findFetch(r.Page); f != nil {
			f.buffered = append(f.buffered, *r)
			continue
		}
		in.stats.RecordsSkip++
	}
	return n
}

// appliedTo records that the instance has applied the stream up to vdl,
// which the writer reached at vdlAt, and runs again the requests that
// waited for pages.
func (in *Instance) appliedTo(env wire.Env, vdl redo.LSN, vdlAt int64) {
	in.vdl = vdl
	in.sampleLag(env.Now() - vdlAtTime(vdlAt))
	in.retry(env, func(r *request) bool { return r.state == reqPages })
}

func vdlAtTime(n int64) sim.Time { return sim.Time(n) }

// sampleLag records how long after the writer reached a VDL this instance
// applied its stream to it: a replica's lag, or, with several writers, how
// far this writer's cache trails the others'.
func (in *Instance) sampleLag(lag sim.Time) {
	in.lag = append(in.lag, lag)
	if len(in.lag) > maxLagSamples {
		in.lag = append(in.lag[:0], in.lag[len(in.lag)-maxLagSamples/2:]...)
	}
}

// maxLagSamples bounds the lag samples a replica keeps: enough for the
// percentiles of a benchmark run, the newest half kept when it overflows.
const maxLagSamples = 1 << 15
