package volume

import (
	"fmt"
	"slices"

	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// AlarmRecovery re-sends recovery requests to segments that have not
// answered.
const AlarmRecovery = 110

// PGSpec is a protection group as recovery needs it.
type PGSpec struct {
	ID      redo.PGID
	Quorum  quorum.Membership
	Members []Member
}

// Recovery is a writer's crash recovery of the volume (SIGMOD'17 §4.3,
// SIGMOD'18 §2.4). There is no redo replay: the new writer
//
//  1. reaches a read quorum of every protection group,
//  2. recomputes VCL and VDL from what the segments hold,
//  3. has every segment record a truncation range above VDL, versioned by
//     a new volume epoch, which also refuses the old writer from then on,
//  4. waits until every PG holds its records up to VDL at a write quorum,
//
// and then opens the volume with LSNs above the truncation range.
type Recovery struct {
	self    sim.NodeID
	stream  uint8
	step    redo.LSN
	ownPage redo.PageID // the stream's own page, whose records never conflict
	epoch   uint64
	lal     uint64
	retry   sim.Time
	pgs     []*recPG
	phase   recPhase
	started sim.Time
	ended   sim.Time

	vcl, vdl, truncEnd redo.LSN
	// prior are the truncation ranges of earlier recoveries the segments
	// reported, sent along so a segment that missed one learns it.
	prior []wire.Truncation
	// stale is set when a segment holds a newer volume epoch: another
	// recovery overtook this one.
	stale bool
	// armed is set while the retry alarm is pending: one at a time, however
	// often the recovery sends between two alarms.
	armed bool
	stats RecoveryStats
}

// RecoveryStats counts what a recovery did.
type RecoveryStats struct {
	Messages    int
	RecordHeads int // record heads read from segments
	Truncated   int // segments that recorded the truncation
}

type recPhase uint8

const (
	phaseQuery recPhase = iota + 1
	phaseTruncate
	phaseRepair
	phaseDone
)

type recPG struct {
	PGSpec
	info  []*wire.RecoverInfo // per slot, nil until it answers
	done  []bool              // per slot: truncation recorded
	scl   []redo.LSN          // per slot, after truncation
	head  redo.LSN            // the PG's last record at or below VDL
	ready bool                // a write quorum holds the PG up to head
}

// StartRecovery begins recovery at volume epoch epoch (one above the
// epoch the volume had) and sends the first queries.
//
// With several writers, each recovers only its own stream (stream), whose
// LSNs are step apart.
//
// With several writers (step > 1) a crashed writer may have lost a vote
// and died before voiding its change; only the votes say so, and they are
// in storage: every segment's claim. Recovery then hears every segment of
// each PG, and stops the chain at the first change that lacks a write
// quorum of claims. That point is never below an acknowledged commit: VDL
// never passes an undecided change. The price is that a crashed writer's
// recovery waits for all of a PG's segments.
func StartRecovery(env wire.Env, self sim.NodeID, stream uint8, step redo.LSN, ownPage redo.PageID, pgs []PGSpec, epoch uint64, lal uint64, retry sim.Time) *Recovery {
	r := &Recovery{self: self, stream: stream, step: max(step, 1), ownPage: ownPage, epoch: epoch, lal: lal, retry: retry, phase: phaseQuery, started: env.Now()}
	for _, p := range pgs {
		r.pgs = append(r.pgs, newRecPG(p))
	}
	r.send(env)
	return r
}

// AddPG adds a protection group placed while the recovery runs: the
// volume grew meanwhile (the writer being replaced may still grow it until
// storage fences it). The group takes part like the others, from the
// recovery's next retry: it is read if the recovery is still reading, and
// its segments record the truncation range and the new epoch, which
// refuses the old writer there too. Its segments are new, so it opens
// empty unless the read finds records in it.
func (r *Recovery) AddPG(p PGSpec) {
	if r.phase == phaseDone || r.pg(p.ID) != nil {
		return
	}
	r.pgs = append(r.pgs, newRecPG(p))
}

// SetMembership takes a protection group's new membership, set while the
// recovery runs: a membership change moved on (to its dual quorum, or to
// its end). From then on the recovery counts quorums of the new
// membership, as the segments do; a member that stays keeps what it
// answered, a new one is asked at the next retry. Without this a recovery
// that began before a change completed would wait for a write quorum of a
// membership that no longer exists, and open the volume with it. It
// reports whether the recovery has just finished.
func (r *Recovery) SetMembership(env wire.Env, id redo.PGID, q quorum.Membership, members []Member) bool {
	p := r.pg(id)
	if r.phase == phaseDone || r.stale || p == nil || q.Epoch() <= p.Quorum.Epoch() {
		return false
	}
	np := newRecPG(PGSpec{ID: id, Quorum: q, Members: slices.Clone(members)})
	np.head, np.ready = p.head, p.ready
	for i, m := range members {
		if j := slices.IndexFunc(p.Members, func(o Member) bool { return o.Seg == m.Seg }); j >= 0 {
			np.info[i], np.done[i], np.scl[i] = p.info[j], p.done[j], p.scl[j]
		}
	}
	*p = *np
	r.progress(env)
	return r.phase == phaseDone
}

// progress moves the recovery on as far as the answers it holds allow.
func (r *Recovery) progress(env wire.Env) {
	switch r.phase {
	case phaseQuery:
		if r.allRead() {
			r.compute(env)
		}
	case phaseTruncate:
		if r.allTruncated() {
			r.phase = phaseRepair
			r.checkRepaired(env)
		}
	case phaseRepair:
		r.checkRepaired(env)
	}
}

// newRecPG returns the recovery's state of p before any segment answered.
func newRecPG(p PGSpec) *recPG {
	n := len(p.Members)
	return &recPG{PGSpec: p, info: make([]*wire.RecoverInfo, n), done: make([]bool, n), scl: make([]redo.LSN, n)}
}

// Epoch reports the volume epoch the recovery installs.
func (r *Recovery) Epoch() uint64 { return r.epoch }

// Done reports whether recovery has finished.
func (r *Recovery) Done() bool { return r.phase == phaseDone }

// Phase describes where the recovery is, for the page and \status.
func (r *Recovery) Phase() string {
	switch r.phase {
	case phaseQuery:
		return "reading a quorum of every protection group"
	case phaseTruncate:
		return fmt.Sprintf("truncating above VDL %d (epoch %d)", r.vdl, r.epoch)
	case phaseRepair:
		return fmt.Sprintf("waiting for a write quorum up to VDL %d", r.vdl)
	}
	return "done"
}

// Duration reports how long recovery took, or has taken so far at now.
func (r *Recovery) Duration(now sim.Time) sim.Time {
	if r.phase == phaseDone {
		return r.ended - r.started
	}
	return now - r.started
}

// Stats reports the recovery's counters.
func (r *Recovery) Stats() RecoveryStats { return r.stats }

// VDL reports the recovered VDL (valid once past the query phase).
func (r *Recovery) VDL() redo.LSN { return r.vdl }

// VCL reports the recovered VCL.
func (r *Recovery) VCL() redo.LSN { return r.vcl }

// TruncationEnd reports the end of the truncation range: new LSNs are
// allocated above it.
func (r *Recovery) TruncationEnd() redo.LSN { return r.truncEnd }

// send asks every member that has not answered the current phase.
func (r *Recovery) send(env wire.Env) {
	for _, p := range r.pgs {
		for i, m := range p.Members {
			var body any
			switch r.phase {
			case phaseQuery:
				if p.info[i] != nil {
					continue
				}
				body = &wire.RecoverQuery{Epoch: r.epoch, Stream: r.stream}
			case phaseTruncate, phaseRepair:
				// Truncate is idempotent: asking again also polls the
				// segment's SCL while gossip repairs the PG.
				if r.phase == phaseTruncate && p.done[i] {
					continue
				}
				if r.phase == phaseRepair && p.ready {
					continue
				}
				body = &wire.TruncateAll{
					Truncate: wire.Truncate{Range: wire.Truncation{Epoch: r.epoch, From: r.vdl + 1, To: r.truncEnd, Stream: r.stream}, VDL: r.vdl},
					Prior:    r.prior,
				}
			default:
				return
			}
			r.stats.Messages++
			env.Send(wire.Msg{Kind: wire.Control, From: r.self, To: m.Node, PG: p.ID, Seg: m.Seg, Stream: r.stream,
				VolEpoch: r.epoch, MemEpoch: p.Quorum.Epoch(), Body: body})
		}
	}
	if !r.armed {
		r.armed = true
		env.After(r.retry, wire.Msg{Kind: wire.Timer, From: r.self, To: r.self, N: AlarmRecovery})
	}
}

// Handle takes a message for the recovery and reports whether recovery has
// just finished.
func (r *Recovery) Handle(env wire.Env, m *wire.Msg) bool {
	if r.phase == phaseDone || r.stale {
		return false
	}
	if m.Kind == wire.Timer && m.N == AlarmRecovery {
		r.armed = false
		r.send(env)
		return false
	}
	if m.Kind != wire.ControlReply {
		return false
	}
	p := r.pg(m.PG)
	if p == nil {
		return false
	}
	slot := slices.IndexFunc(p.Members, func(mem Member) bool { return mem.Seg == m.Seg })
	if slot < 0 {
		return false
	}
	switch body := m.Body.(type) {
	case *wire.RecoverInfo:
		if m.VolEpoch > r.epoch && r.step <= 1 {
			// One writer: a newer recovery overtook this one, and its
			// writer is the volume's now.
			r.stale = true
			env.Note(wire.Note{Kind: "recovery", Text: fmt.Sprintf("recovery at epoch %d stopped: a segment holds epoch %d, a newer recovery's", r.epoch, m.VolEpoch)})
			return false
		}
		if r.phase == phaseQuery && p.info[slot] == nil {
			p.info[slot] = body
			r.stats.RecordHeads += len(body.Above)
			r.progress(env)
		}
	case *wire.TruncateDone:
		if body.Epoch > r.epoch && r.step > 1 {
			// Multi-master: another writer's recovery took a newer epoch
			// meanwhile. Recovering another stream, it does not compete:
			// start again above it.
			r.restart(env, body.Epoch+1)
			return false
		}
		if body.Epoch > r.epoch {
			if !r.stale {
				r.stale = true
				env.Note(wire.Note{Kind: "recovery", Text: fmt.Sprintf("recovery at epoch %d stopped: a segment holds epoch %d, a newer recovery's", r.epoch, body.Epoch)})
			}
			return false
		}
		if body.Epoch != r.epoch {
			return false
		}
		if !p.done[slot] {
			p.done[slot] = true
			r.stats.Truncated++
		}
		p.scl[slot] = max(p.scl[slot], body.SCL)
		if r.phase != phaseQuery {
			r.progress(env)
		}
	}
	return r.phase == phaseDone
}

// restart begins the recovery again at volume epoch epoch.
func (r *Recovery) restart(env wire.Env, epoch uint64) {
	env.Note(wire.Note{Kind: "recovery", Text: fmt.Sprintf("recovery of stream %d restarts at epoch %d, above another writer's recovery", r.stream, epoch)})
	r.epoch = epoch
	r.phase = phaseQuery
	r.vcl, r.vdl, r.truncEnd, r.prior = 0, 0, 0, nil
	for _, p := range r.pgs {
		clear(p.info)
		clear(p.done)
		clear(p.scl)
		p.head, p.ready = 0, false
	}
	r.send(env)
}

func (r *Recovery) pg(id redo.PGID) *recPG {
	for _, p := range r.pgs {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// readable is the set of slots that answered, leaving out newcomers still
// being filled (they may not count toward a read quorum).
func (p *recPG) answered() quorum.Set {
	var s quorum.Set
	for i, in := range p.info {
		if in != nil {
			s |= 1 << i
		}
	}
	return s &^ p.Quorum.Added()
}

func (r *Recovery) allRead() bool {
	for _, p := range r.pgs {
		if r.step > 1 {
			if p.answered() != p.Quorum.All()&^p.Quorum.Added() {
				return false // multi-master: every segment's votes
			}
			continue
		}
		if !p.Quorum.ReadOK(p.answered()) {
			return false
		}
	}
	return true
}

func (r *Recovery) allTruncated() bool {
	for _, p := range r.pgs {
		var s quorum.Set
		for i, d := range p.done {
			if d {
				s |= 1 << i
			}
		}
		if !p.Quorum.WriteOK(s) {
			return false
		}
	}
	return true
}

// compute recomputes VCL and VDL from the read quorums (step 2). Every
// record at or below the highest floor a segment reported is durable. From
// there the volume backlinks are followed upward through the records the
// segments hold: VCL is where the chain first breaks, VDL the last
// consistency point at or below it.
func (r *Recovery) compute(env wire.Env) {
	var floor, vdl, prevEnd, top redo.LSN
	var truncs []wire.Truncation
	for _, p := range r.pgs {
		for _, in := range p.info {
			if in == nil {
				continue
			}
			floor = max(floor, in.Floor)
			top = max(top, in.Top)
			for _, t := range in.Truncations {
				truncs = append(truncs, t)
				if t.Stream == r.stream {
					prevEnd = max(prevEnd, t.To)
				}
			}
		}
	}
	// A record inside a range an earlier recovery truncated is annulled,
	// even on a segment that has not heard of that recovery yet.
	slices.SortFunc(truncs, func(a, b wire.Truncation) int {
		switch {
		case a.Epoch != b.Epoch:
			return int(a.Epoch) - int(b.Epoch)
		case a.Stream != b.Stream:
			return int(a.Stream) - int(b.Stream)
		case a.From != b.From:
			return cmpLSN(a.From, b.From)
		}
		return cmpLSN(a.To, b.To)
	})
	r.prior = slices.Compact(truncs)
	annulled := func(l redo.LSN) bool {
		return slices.ContainsFunc(truncs, func(t wire.Truncation) bool { return l >= t.From && l <= t.To && t.Stream == r.stream })
	}
	next := map[redo.LSN]wire.RecordHead{} // volume backlink → record
	voided := map[redo.LSN]bool{}
	claimers := map[redo.LSN]quorum.Set{} // multi-master: who voted for each change
	quorumOf := map[redo.LSN]quorum.Membership{}
	for _, p := range r.pgs {
		for slot, in := range p.info {
			if in == nil {
				continue
			}
			for _, h := range in.Above {
				if annulled(h.LSN) {
					continue
				}
				next[h.PrevVolume] = h
				for _, l := range h.Void {
					voided[l] = true
				}
				if h.Claimed {
					claimers[h.LSN] |= 1 << slot
				}
				quorumOf[h.LSN] = p.Quorum
			}
		}
	}
	// lost reports a change of a multi-master stream that did not win its
	// vote: its page is shared, it is not voided, and the segments that
	// claimed it for their page version are no write quorum.
	lost := func(h wire.RecordHead) bool {
		if r.step <= 1 || h.Page == 0 || h.Page == r.ownPage || voided[h.LSN] {
			return false
		}
		return !quorumOf[h.LSN].WriteOK(claimers[h.LSN])
	}
	for _, p := range r.pgs {
		for _, in := range p.info {
			if in != nil && in.KnownVDL <= floor {
				vdl = max(vdl, in.KnownVDL)
			}
		}
	}
	vcl := floor
	// A voided change is passed, but VDL rests past it only together with
	// its void, as the writer's VDL did (Volume.Void): a VDL between the
	// two would truncate the void and leave the lost change standing.
	var unvoided []redo.LSN
	for {
		h, ok := next[vcl]
		if !ok || lost(h) {
			break
		}
		vcl = h.LSN
		if voided[h.LSN] {
			unvoided = append(unvoided, h.LSN)
		}
		for _, l := range h.Void {
			unvoided = slices.DeleteFunc(unvoided, func(x redo.LSN) bool { return x == l })
		}
		if h.CPL && len(unvoided) == 0 {
			vdl = vcl
		}
	}
	r.vcl, r.vdl = vcl, max(vdl, r.vdl)
	// The old writer allocated at most LAL records above its VDL, step
	// apart, from above its VDL or, when it was itself recovered, from
	// above the last truncation range (its LSNs started there). With
	// several writers its LSNs also jumped past every LSN it saw of the
	// others, all of which the volume holds (Top): the range reaches LAL
	// records above the highest of the three, and a step more for the
	// jump's rounding.
	from, reach := max(r.vdl, prevEnd), redo.LSN(r.lal)*r.step
	if r.step > 1 {
		from, reach = max(from, top), reach+r.step
	}
	r.truncEnd = max(from+reach, r.vcl)
	for _, p := range r.pgs {
		var head redo.LSN
		for _, in := range p.info {
			if in == nil {
				continue
			}
			if in.FloorHead <= r.vdl {
				head = max(head, in.FloorHead)
			}
			for _, h := range in.Above {
				if h.LSN <= r.vdl && !annulled(h.LSN) {
					head = max(head, h.LSN)
				}
			}
		}
		p.head = head
	}
	env.Note(wire.Note{Kind: "recovery", Text: fmt.Sprintf("recovery read a quorum of %d PGs: VCL %d, VDL %d; truncating %d..%d at epoch %d",
		len(r.pgs), r.vcl, r.vdl, r.vdl+1, r.truncEnd, r.epoch)})
	r.phase = phaseTruncate
	r.send(env)
}

// checkRepaired finishes recovery once every PG has a write quorum of
// segments complete up to its head (step 4; gossip fills the gaps).
func (r *Recovery) checkRepaired(env wire.Env) {
	all := true
	for _, p := range r.pgs {
		if !p.ready {
			var s quorum.Set
			for i, scl := range p.scl {
				if p.done[i] && scl >= p.head {
					s |= 1 << i
				}
			}
			p.ready = p.Quorum.WriteOK(s)
		}
		all = all && p.ready
	}
	if all {
		r.phase = phaseDone
		r.ended = env.Now()
		env.Note(wire.Note{Kind: "recovery", Text: fmt.Sprintf("recovery done in %v: VDL %d, volume epoch %d, new LSNs from %d",
			r.ended-r.started, r.vdl, r.epoch, r.truncEnd+1)})
	}
}

// Open returns the driver for the recovered volume: LSNs continue above the
// truncation range, each PG's chain continues from its head, and the SCLs
// the segments reported are the driver's starting point.
func (r *Recovery) Open(cfg Config, stream uint8) *Volume {
	v := New(cfg, r.self, stream, r.epoch, r.truncEnd)
	v.vdl, v.vcl, v.lastV = r.vdl, r.vdl, r.vdl
	v.vdlAt = r.ended
	for _, p := range r.pgs {
		pg := v.AddPG(p.ID, p.Quorum, p.Members, p.head)
		for i, scl := range p.scl {
			pg.scl[i] = uint64(min(scl, p.head))
		}
		pg.pgcl = p.head
		pg.headVDL = p.head
	}
	// The first new record's volume backlink points at VDL; the LSNs in
	// between are the truncation range, annulled everywhere.
	return v
}

func cmpLSN(a, b redo.LSN) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
