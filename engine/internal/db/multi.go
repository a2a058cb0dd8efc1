package db

import (
	"fmt"
	"slices"

	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/sql"
	"aurora-lab/engine/internal/volume"
	"aurora-lab/engine/internal/wire"
)

// Multi-master (Aurora MySQL's multi-master, SIGMOD'18-era): every writer
// allocates LSNs on its own stream and sends its redo to storage, which
// detects write conflicts per page, optimistically. A writer's change
// stands when a write quorum of segments accepted it; the loser's
// transaction rolls back and its client gets a deadlock error at the
// statement that conflicted. Writers keep their caches coherent by
// following each other's streams: the physical page changes of every
// decided mini-transaction.

// errVotes stops an attempt whose changes are made and wait for storage's
// votes; r.resume finishes the statement once they are in.
var errVotes = fmt.Errorf("db: waiting for votes")

// errConflict stops an attempt that met another writer's unfinished change:
// the statement fails with a deadlock error once its transaction is rolled
// back.
var errConflict = fmt.Errorf("db: write conflict")

// mmState is a writer's multi-master state.
type mmState struct {
	held  map[uint64][]redo.Record // won-to-be MTRs kept from the stream until decided
	won   []redo.Record            // own records that won, while still above the VDL
	owner map[uint64]*request      // the request each pending MTR belongs to
	peers []peer                   // per writer stream: what this writer knows of it
	stats MultiStats
}

// peer is another writer's stream as this writer follows it.
type peer struct {
	vdl        redo.LSN
	vdlAt      sim.Time
	heads      []redo.LSN
	headsKnown bool
	pending    []redo.Record
	in         streamIn
}

// MultiStats counts a writer's multi-master outcomes.
type MultiStats struct {
	Commits   int64
	Conflicts int64 // statements that lost a page conflict
	SplitVote int64
	Applied   int64 // other writers' records applied to this cache
}

func (in *Instance) multi() bool { return in.Vol != nil && in.Vol.Multi() }

func (in *Instance) mmInit() {
	if in.mm == nil {
		in.mm = &mmState{held: map[uint64][]redo.Record{}, owner: map[uint64]*request{}, peers: make([]peer, redo.MaxStreams)}
	}
}

// MultiStats reports the writer's multi-master counters.
func (in *Instance) MultiStats() MultiStats {
	if in.mm == nil {
		return MultiStats{}
	}
	s := in.mm.stats
	if in.Vol != nil {
		s.SplitVote = in.Vol.MultiStats().SplitVote
	}
	return s
}

// hold keeps a pending MTR's records out of the stream until storage has
// decided it, and remembers the request it belongs to.
func (in *Instance) hold(mt *volume.MTR, recs []redo.Record) {
	in.mmInit()
	in.mm.held[mt.ID] = recs
	if r := in.cur; r != nil {
		in.mm.owner[mt.ID] = r
		r.votes++
	}
}

// settle acts on the MTRs storage has decided: a winner's records go to
// the other writers; a loser is voided, its pages leave the cache (they
// hold the change that lost), and its statement fails with a deadlock
// error once its transaction is rolled back.
func (in *Instance) settle(env wire.Env) {
	if !in.multi() {
		return
	}
	in.mmInit()
	for _, mt := range in.Vol.Decisions() {
		recs := in.mm.held[mt.ID]
		delete(in.mm.held, mt.ID)
		r := in.mm.owner[mt.ID]
		delete(in.mm.owner, mt.ID)
		switch mt.Outcome {
		case volume.Won:
			in.mm.won = append(in.mm.won, recs...)
			in.streamBuf = append(in.streamBuf, recs...)
			in.armStream(env)
		case volume.Lost:
			in.streamBuf = append(in.streamBuf, in.Vol.Void(env, mt)...)
			in.armStream(env)
			for _, rec := range mt.Records {
				if rec.Page == TxnPage(in.Stream) {
					continue // its own page stands (see volume.Void)
				}
				delete(in.cache.pages, rec.Page)
			}
			in.mm.stats.Conflicts++
			how := fmt.Sprintf("LSN %d lost to LSN %d", mt.Records[0].LSN, mt.Winner)
			if mt.Split {
				how = "a split vote: no change had a write quorum"
			}
			env.Note(wire.Note{Kind: "conflict", Node: in.Name, PG: mt.Records[0].PG,
				Text: fmt.Sprintf("%s: write conflict on page %v (%s): its transaction rolls back", in.Name, mt.Records[0].Page, how)})
			if r != nil {
				r.lost = true
			}
		}
		if r != nil {
			r.votes--
			if r.votes == 0 && r.state == reqVotes {
				in.afterVotes(env, r)
			}
		}
	}
}

// afterVotes runs a request whose changes are all decided: on, or into
// rolling back after a conflict.
func (in *Instance) afterVotes(env wire.Env, r *request) {
	if r.lost {
		t := r.sess.txn
		if t == nil {
			t = r.implicit
		}
		r.resume = func() (Outcome, error) {
			if t != nil && t.state == txnActive {
				if err := in.undo(env, r, t); err != nil {
					return Outcome{}, err
				}
				in.stats.Rollbacks++
				in.endTxn(t)
			}
			if r.votes > 0 {
				return Outcome{}, errVotes // the undo's own changes wait for votes too
			}
			return Outcome{}, sql.ErrDeadlock(stmtPos(r.stmt))
		}
		r.lost = false
		r.rolling = true
	}
	in.try(env, r)
}

// foreignActive reports whether a row's version was written by another
// writer's transaction that has not finished: with several writers, that
// is a conflict at once, not a lock to wait for (locking is per instance).
func (in *Instance) foreignActive(r *request, txn uint64) (bool, error) {
	if !in.multi() || txn == 0 || uint8(txn%maxStreams) == in.Stream {
		return false, nil
	}
	return in.active(r, txn)
}

// receivePeer takes another writer's stream: its decided page changes,
// applied to the pages this writer holds once that writer's VDL passes
// them, as a replica would.
func (in *Instance) receivePeer(env wire.Env, m *wire.Msg) {
	in.mmInit()
	s := int(m.Stream)
	p := &in.mm.peers[s]
	h, resent := m.Body.(*StreamHeads)
	ok, gap := p.in.take(m, resent)
	if !ok {
		in.streamAck(env, m, &p.in, p.headsKnown, gap)
		return
	}
	switch {
	case resent && h.Reset:
		in.startOver(func() { p.pending = nil })
	case resent && p.headsKnown:
		// Before anything of the writer's new life is applied.
		in.resync(h.Heads, p.heads, func() { p.pending = nil })
		in.staleFetches(h.Heads, p.heads)
	}
	if m.Batch != nil {
		for _, rec := range m.Batch.Records {
			in.Vol.Observe(rec.LSN)
			if rec.LSN > p.vdl {
				p.pending = append(p.pending, rec)
			}
		}
		slices.SortFunc(p.pending, func(a, b redo.Record) int { return cmpLSN(a.LSN, b.LSN) })
	}
	in.Vol.Observe(m.A)
	if m.A > p.vdl {
		n := 0
		for n < len(p.pending) && p.pending[n].LSN <= m.A {
			rec := &p.pending[n]
			n++
			if i := int(rec.PG) - 1; p.headsKnown && i >= 0 {
				for len(p.heads) <= i {
					p.heads = append(p.heads, redo.NoLSN)
				}
				p.heads[i] = max(p.heads[i], rec.LSN)
			}
			if rec.Op == redo.OpVoid {
				continue // it counts in the heads; the lost change never reached a page here
			}
			if pg, ok := in.cache.peek(rec.Page); ok {
				if rec.LSN <= pg.LSN {
					continue // the cached copy, read from storage, has it already
				}
				if err := pg.Apply(rec); err != nil {
					// This writer's own pending change sits on the page: the
					// other writer won it. Read the page again later.
					delete(in.cache.pages, rec.Page)
					continue
				}
				in.mm.stats.Applied++
			} else if f := in.findFetch(rec.Page); f != nil {
				f.buffered = append(f.buffered, *rec)
			}
		}
		p.pending = append(p.pending[:0], p.pending[n:]...)
		p.vdl, p.vdlAt = m.A, sim.Time(m.N)
		in.sampleLag(env.Now() - p.vdlAt)
	}
	if resent && m.A >= p.vdl {
		p.heads = slices.Clone(h.Heads)
		p.headsKnown = true
	}
	in.streamAck(env, m, &p.in, p.headsKnown, false)
	for _, f := range in.fetches {
		if f.resend {
			f.resend = false
			in.sendRead(env, f)
		}
	}
	in.retry(env, func(r *request) bool {
		return r.state == reqPages || r.state == reqConsistent || r.state == reqDDL && r.ddl != nil
	})
	in.sendWaitingReads(env)
}

// catchUpRead brings a page just read from storage up to date. It was read
// at this writer's VDL and at the points it had of the other writers'
// streams; since then other writers' changes may have passed their VDLs
// (buffered), and this writer's own changes, waiting for votes or won, are
// not below its VDL yet. Both are applied, in LSN order. An own change
// that does not fit will lose its vote; another writer's that does not
// fit means the copy is behind: it leaves the cache, to be read again.
func (in *Instance) catchUpRead(p *page.Page, buffered []redo.Record) {
	vdl := in.Vol.VDL()
	in.mm.won = slices.DeleteFunc(in.mm.won, func(r redo.Record) bool { return r.LSN <= vdl })
	recs := slices.Clone(buffered)
	for _, r := range in.mm.won {
		if r.Page == p.ID {
			recs = append(recs, r)
		}
	}
	for _, held := range in.mm.held {
		for _, r := range held {
			if r.Page == p.ID {
				recs = append(recs, r)
			}
		}
	}
	slices.SortFunc(recs, func(a, b redo.Record) int { return cmpLSN(a.LSN, b.LSN) })
	for i := range recs {
		r := &recs[i]
		if r.LSN <= p.LSN {
			continue
		}
		if err := p.Apply(r); err != nil {
			if r.Stream == in.Stream {
				continue
			}
			delete(in.cache.pages, p.ID)
			return
		}
		if r.Stream != in.Stream {
			in.mm.stats.Applied++
		}
	}
}

// readVector is the read point of a writer of a multi-master cluster: its
// own VDL, and what it has applied of every other writer's stream. It
// reports false while some writer's heads are not known yet.
func (in *Instance) readVector(pg redo.PGID) (*wire.ReadVector, bool) {
	in.mmInit()
	n := in.topo.Writers()
	v := &wire.ReadVector{Points: make([]redo.LSN, n), Heads: make([]redo.LSN, n)}
	for s := range n {
		if s == int(in.Stream) {
			v.Points[s] = in.Vol.VDL()
			if p := in.Vol.PG(pg); p != nil {
				v.Heads[s] = p.Head()
			}
			continue
		}
		p := &in.mm.peers[s]
		if !p.headsKnown {
			return nil, false
		}
		v.Points[s] = p.vdl
		if i := int(pg) - 1; i < len(p.heads) {
			v.Heads[s] = p.heads[i]
		}
	}
	return v, true
}

// --- cluster-wide read-after-write (REGIONAL_RAW) ---------------------------

// VDLQuery asks a writer for its VDL now; VDLReply answers it.
type VDLQuery struct{ Req uint64 }

// VDLReply answers VDLQuery.
type VDLReply struct {
	Req uint64
	VDL redo.LSN
}

// consistent makes a REGIONAL_RAW statement wait for a cluster-wide
// consistent point: it asks every other writer for its VDL, then waits
// until this writer has applied their streams that far. It reports false
// while the statement must wait.
func (in *Instance) consistent(env wire.Env, r *request) bool {
	if !in.multi() || r.sess.Consistency != "REGIONAL_RAW" || r.raw == rawReady {
		return true
	}
	if r.sess.txn != nil && r.sess.txn.rawDone {
		return true // paid once per explicit transaction
	}
	in.mmInit()
	switch r.raw {
	case rawNone:
		r.raw = rawAsked
		r.rawWant = make([]redo.LSN, redo.MaxStreams)
		r.rawLeft = 0
		for s := range in.topo.Writers() {
			if s == int(in.Stream) {
				continue
			}
			w := in.topo.WriterNode(uint8(s))
			r.rawLeft++
			env.Send(wire.Msg{Kind: wire.Control, From: in.ID, To: w, Body: &VDLQuery{Req: r.id}})
		}
		r.state = reqConsistent
		return r.rawLeft == 0 && in.caughtUp(r)
	case rawAsked:
		if r.rawLeft > 0 || !in.caughtUp(r) {
			r.state = reqConsistent
			return false
		}
	}
	r.raw = rawReady
	if r.sess.txn != nil {
		r.sess.txn.rawDone = true
	}
	return true
}

func (in *Instance) caughtUp(r *request) bool {
	for s, want := range r.rawWant {
		if s != int(in.Stream) && want > in.mm.peers[s].vdl {
			return false
		}
	}
	return true
}

// vdlAnswer handles the VDL queries of REGIONAL_RAW reads.
func (in *Instance) vdlAnswer(env wire.Env, m *wire.Msg) bool {
	switch b := m.Body.(type) {
	case *VDLQuery:
		if in.Vol == nil {
			// Recovering: the VDL is not known until recovery ends, and
			// it may be above anything the asker has heard.
			in.vdlAsks = append(in.vdlAsks, *m)
			return true
		}
		env.Send(wire.Msg{Kind: wire.ControlReply, From: in.ID, To: m.From, Stream: in.Stream, Body: &VDLReply{Req: b.Req, VDL: in.Vol.VDL()}})
		return true
	case *VDLReply:
		for _, r := range in.reqs {
			if r.id == b.Req && r.raw == rawAsked {
				r.rawWant[m.Stream] = b.VDL
				r.rawLeft--
				if r.rawLeft == 0 {
					in.try(env, r)
				}
			}
		}
		return true
	}
	return false
}

// answerVDLAsks answers the VDL queries that waited for recovery.
func (in *Instance) answerVDLAsks(env wire.Env) {
	asks := in.vdlAsks
	in.vdlAsks = nil
	for i := range asks {
		in.vdlAnswer(env, &asks[i])
	}
}

// REGIONAL_RAW progress of a request.
const (
	rawNone = iota
	rawAsked
	rawReady
)

// resync takes a writer's heads table sent again: the writer restarted and
// recovered, so the deltas and VDL updates its old life had not sent are
// lost, and records it had sent above its durable point may have been
// truncated. The follower drops what it buffered of that life, and the
// pages of every PG whose head moved past what it applied: it reads them
// again.
func (in *Instance) resync(fresh, applied []redo.LSN, dropPending func()) {
	dropPending()
	for _, id := range in.cache.ids() {
		if in.Vol != nil && id == TxnPage(in.Stream) {
			continue // its own page: no one else writes it
		}
		i := int(in.cfg.Geometry.PGOf(id)) - 1
		var was redo.LSN
		if i < len(applied) {
			was = applied[i]
		}
		if i < len(fresh) && fresh[i] != was {
			delete(in.cache.pages, id)
		}
	}
}

// staleFetches restarts the reads into the cache, on their way, of the
// pages resync dropped: they were sent at the point this writer had of the
// other's old life, and what that life did not stream is never applied to
// them, so installed they would stay behind for good. Replies to the old
// reads are dropped (a new fetch id); receivePeer sends them again at the
// new point.
func (in *Instance) staleFetches(fresh, applied []redo.LSN) {
	for _, f := range in.fetches {
		if f.view != nil {
			continue // a read view reads at its own point
		}
		i := int(f.pg) - 1
		var was redo.LSN
		if i < len(applied) {
			was = applied[i]
		}
		if i >= len(fresh) || fresh[i] == was {
			continue
		}
		in.fetchID++
		f.id = in.fetchID
		f.tried, f.backoff, f.buffered, f.resend = f.tried[:0], false, nil, true
	}
}
