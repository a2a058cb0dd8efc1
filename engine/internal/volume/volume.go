// Package volume is the writer's view of the shared storage volume: it
// allocates LSNs under the LSN allocation limit, ships redo records to the
// six segments of each protection group, and turns their acknowledgements
// into the watermarks of SIGMOD'17 §4.1 — PGCL, VCL and VDL — from which
// commits are acknowledged.
package volume

import (
	"errors"
	"slices"

	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// ErrLAL is returned when allocating would pass VDL + LAL: the writer must
// wait for storage to catch up (back-pressure, SIGMOD'17 §4.2.1).
var ErrLAL = errors.New("volume: LSN allocation limit reached")

// Config holds the volume driver's knobs.
type Config struct {
	// LAL is the LSN allocation limit: no LSN is allocated above VDL + LAL.
	// Aurora uses 10 million; the model scales it down so it can be seen.
	LAL uint64
	// BoxcarDelay is how long a PG's send buffer keeps filling after its
	// first record before the network operation runs.
	BoxcarDelay sim.Time
	// RetryInterval is how long the writer waits for a PG's outstanding
	// records to reach quorum before it sends them again to the segments
	// that have not acknowledged them.
	RetryInterval sim.Time
	// HeartbeatInterval is how often the writer tells the segments of an
	// idle PG the VDL and the PG's minimum read point, when they changed
	// since the last write carried them.
	HeartbeatInterval sim.Time
	// Streams is the number of writers sharing the volume. With more than
	// one, LSNs are Lamport clocks (counter·16 + stream), and every
	// mini-transaction that changes a page waits for storage's votes.
	Streams int
	// OwnPage is a page only this writer changes (its transaction page):
	// its records never conflict and are never voided, so its chain never
	// breaks.
	OwnPage redo.PageID
	// Recycle makes the driver reuse its boxcars (redo.Pool) once no one
	// holds them. Set it only when the environment holds a message's
	// batch from when it queues the message until the message's Forget
	// (as the cluster does): an environment that keeps messages without
	// holding their batches would see them refilled.
	Recycle bool
}

// Member is one segment of a protection group as the writer sees it.
type Member struct {
	Seg  uint32
	Node sim.NodeID
	Name string // the node's name, for notes
	Full bool   // holds pages (false: a tail segment, log only)
}

// Alarms of the volume driver (wire.Timer, field N), offset so an instance
// can share the number space.
const (
	AlarmFlush = 100 + iota
	AlarmRetry
	AlarmHeartbeat
)

// PG is the writer's state of one protection group.
type PG struct {
	ID redo.PGID
	// Quorum is the PG's membership and quorum rule; Members[i] is the
	// segment in its slot i.
	Quorum  quorum.Membership
	Members []Member
	scl     [quorum.MaxMembers]uint64 // per slot, the latest SCL it reported
	pgcl    redo.LSN
	last    redo.LSN // the PG's last allocated LSN (its PG backlink head)
	// pending is the boxcar: the records waiting to leave, in a batch
	// allocated with room for them, sized by fit. Indexed by how many
	// records of the MTR that opened a boxcar were for the PG (open, at
	// most 7), fit is how many the last boxcar so opened carried (room
	// for at most maxFit is made from it): an insert's leaf change
	// leaves alone, its transaction entry with the commit record after
	// it.
	pending *redo.Batch
	open    int
	fit     [8]int
	// outstanding are the PG's allocated LSNs above PGCL, in order.
	outstanding []redo.LSN
	// sent are the records sent and not yet below PGCL, in order: the
	// Records of the batches flushed, which are never changed once sent,
	// with the records below PGCL cut from the first. Nothing writes to
	// their arrays any more (a flushed boxcar takes no record, and the
	// segments copy what they keep), so a retry may send them again as
	// they are, in a view of their batch.
	sent       []sentBatch
	retryArmed bool
	// told are the VDL and PGMRPL the segments were last sent.
	toldVDL, toldMRPL redo.LSN
	// reads counts the writer's page reads in flight per read point, for
	// the PG's minimum read point.
	reads map[redo.LSN]int
	// headVDL is the PG's last record at or below VDL; recent are its
	// records above VDL, in order.
	headVDL redo.LSN
	recent  []redo.LSN
}

// sentBatch is a flushed boxcar in a PG's sent list: recs are what is left
// of its records above PGCL. The driver holds b (see redo.Pool) from when
// it allocates it until recs leave the list.
type sentBatch struct {
	recs []redo.Record
	b    *redo.Batch
}

// Head reports the PG's last record at or below the VDL: a reader at the
// VDL needs a segment whose SCL has reached it.
func (p *PG) Head() redo.LSN { return p.headVDL }

// PGMRPL reports the PG's minimum read point: no read of the PG that is in
// progress, here or on a replica, reads below it, so storage may coalesce
// and collect below it (SIGMOD'18 §3.1).
func (p *PG) PGMRPL(vdl, replicas redo.LSN) redo.LSN {
	m := min(vdl, replicas)
	if len(p.reads) == 0 {
		return m // no read in flight, the common case: no map walk per send
	}
	for rp := range p.reads {
		m = min(m, rp)
	}
	return m
}

// PGCL reports the protection group complete LSN: the highest LSN such that
// a write quorum of the PG's segments hold every record of the PG up to it.
func (p *PG) PGCL() redo.LSN { return p.pgcl }

// SCL reports the last SCL the member in slot i acknowledged.
func (p *PG) SCL(i int) redo.LSN { return redo.LSN(p.scl[i]) }

// Volume is the writer's driver for the shared volume.
type Volume struct {
	cfg    Config
	self   sim.NodeID
	stream uint8
	epoch  uint64
	pgs    []*PG

	next   redo.LSN // the next LSN to allocate
	step   redo.LSN // 1, or MaxStreams with several writers
	lastV  redo.LSN // the volume backlink head
	vcl    redo.LSN
	vdl    redo.LSN
	vdlAt  sim.Time    // when VDL last moved
	cpls   []cpl       // CPLs above VDL, in order
	active []redo.PGID // PGs with outstanding records (sorted)
	// above counts the records allocated above VDL: the allocation limit
	// bounds it.
	above int
	// mm is the multi-master state: votes on pending mini-transactions.
	mm *multi
	// recentPGs are the PGs with records above VDL (sorted by when they
	// got the first), scratch a buffer for walking them.
	recentPGs []redo.PGID
	scratch   []*PG
	// replicaMRP is the lowest read point the replicas reported.
	replicaMRP redo.LSN
	hbArmed    bool
	stats      Stats
	// pool recycles the boxcars when the config asks for it; nil, they
	// are allocated afresh.
	pool *redo.Pool
}

// Stats counts the driver's work.
type Stats struct {
	RecordsAllocated int64
	BatchesSent      int64
	MessagesSent     int64
	BytesSent        int64
	Retries          int64
	LALStalls        int64
}

// New returns a driver for a volume whose LSNs start after start (NoLSN
// for a new volume), at volume epoch epoch.
func New(cfg Config, self sim.NodeID, stream uint8, epoch uint64, start redo.LSN) *Volume {
	v := &Volume{cfg: cfg, self: self, stream: stream, epoch: epoch, step: 1, next: start + 1, lastV: start, vcl: start, vdl: start, replicaMRP: ^redo.LSN(0)}
	if cfg.Streams > 1 {
		v.step = redo.MaxStreams
		v.next = (start/redo.MaxStreams+1)*redo.MaxStreams + redo.LSN(stream)
		v.mm = newMulti()
	}
	if cfg.Recycle {
		v.pool = new(redo.Pool)
	}
	return v
}

// newBatch returns an empty batch of pg with room for n records, from the
// pool when there is one; the caller holds it.
func (v *Volume) newBatch(pg redo.PGID, n int) *redo.Batch {
	if v.pool != nil {
		return v.pool.Get(pg, n)
	}
	return redo.NewBatch(pg, n)
}

// Observe raises the writer's LSN clock above an LSN it has seen from
// another writer, so a change it bases on that one gets a higher LSN: the
// page chain stays in LSN order (a Lamport clock).
func (v *Volume) Observe(l redo.LSN) {
	if v.step == 1 || l < v.next {
		return
	}
	v.next = (l/redo.MaxStreams+1)*redo.MaxStreams + redo.LSN(v.stream)
}

// Stream reports the writer stream the driver allocates on.
func (v *Volume) Stream() uint8 { return v.stream }

// Multi reports whether several writers share the volume.
func (v *Volume) Multi() bool { return v.mm != nil }

// AdoptEpoch takes a newer volume epoch that another writer's recovery set
// (multi-master: a recovery fences off the recovered stream's old records
// by truncation, not the other writers).
func (v *Volume) AdoptEpoch(e uint64) bool {
	if v.mm == nil || e <= v.epoch {
		return false
	}
	v.epoch = e
	return true
}

// SetReplicaReadPoint records the lowest read point the replicas hold.
func (v *Volume) SetReplicaReadPoint(l redo.LSN) { v.replicaMRP = l }

// ReadStarted and ReadDone track the writer's own page reads at read point
// rp in PG pg, which hold back the PG's minimum read point.
func (v *Volume) ReadStarted(pg redo.PGID, rp redo.LSN) {
	if p := v.PG(pg); p != nil {
		if p.reads == nil {
			p.reads = map[redo.LSN]int{}
		}
		p.reads[rp]++
	}
}

// ReadDone ends a read ReadStarted counted.
func (v *Volume) ReadDone(pg redo.PGID, rp redo.LSN) {
	if p := v.PG(pg); p != nil && p.reads[rp] > 0 {
		if p.reads[rp]--; p.reads[rp] == 0 {
			delete(p.reads, rp)
		}
	}
}

// Heads returns every PG's head at the VDL, indexed by PG id - 1: what a
// replica needs to read at that VDL.
func (v *Volume) Heads() []redo.LSN {
	out := make([]redo.LSN, len(v.pgs))
	for i, p := range v.pgs {
		out[i] = p.headVDL
	}
	return out
}

// MinReadPoint reports the PGMRPL the writer would send pg now.
func (v *Volume) MinReadPoint(pg redo.PGID) redo.LSN {
	if p := v.PG(pg); p != nil {
		return p.PGMRPL(v.vdl, v.replicaMRP)
	}
	return v.vdl
}

// Start arms the driver's heartbeat.
func (v *Volume) Start(env wire.Env) { v.armHeartbeat(env) }

func (v *Volume) armHeartbeat(env wire.Env) {
	if v.hbArmed || v.cfg.HeartbeatInterval <= 0 {
		return
	}
	v.hbArmed = true
	env.After(v.cfg.HeartbeatInterval, wire.Msg{Kind: wire.Timer, From: v.self, To: v.self, N: AlarmHeartbeat})
}

// heartbeat tells the segments of each PG whose VDL or PGMRPL moved since
// a write last carried them.
func (v *Volume) heartbeat(env wire.Env) {
	v.hbArmed = false
	for _, p := range v.pgs {
		mrpl := p.PGMRPL(v.vdl, v.replicaMRP)
		if p.toldVDL == v.vdl && p.toldMRPL == mrpl {
			continue
		}
		p.toldVDL, p.toldMRPL = v.vdl, mrpl
		// One message, readdressed for each member (as in sendAll).
		m := wire.Msg{Kind: wire.Heartbeat, From: v.self, PG: p.ID, Stream: v.stream,
			VolEpoch: v.epoch, MemEpoch: p.Quorum.Epoch(), A: v.vdl, B: mrpl}
		for _, mem := range p.Members {
			v.stats.MessagesSent++
			m.To, m.Seg = mem.Node, mem.Seg
			env.Send(m)
		}
	}
	v.armHeartbeat(env)
}

// AddPG adds a protection group whose PG chain ends at last. members must
// be in the slot order of q.
func (v *Volume) AddPG(id redo.PGID, q quorum.Membership, members []Member, last redo.LSN) *PG {
	if len(members) != q.Len() {
		panic("volume: members do not match the membership of " + id.String())
	}
	p := &PG{ID: id, Quorum: q, Members: members, last: last, pgcl: last, headVDL: last}
	for i := range members {
		p.scl[i] = uint64(last)
	}
	v.pgs = append(v.pgs, p)
	return p
}

// PG returns the protection group id, or nil.
func (v *Volume) PG(id redo.PGID) *PG {
	if int(id) < 1 || int(id) > len(v.pgs) {
		return nil
	}
	return v.pgs[id-1]
}

// PGs returns the protection groups in id order. The slice is shared.
func (v *Volume) PGs() []*PG { return v.pgs }

// Epoch reports the volume epoch the driver writes with.
func (v *Volume) Epoch() uint64 { return v.epoch }

// VCL reports the volume complete LSN: every record at or below it has met
// quorum in its protection group.
func (v *Volume) VCL() redo.LSN { return v.vcl }

// VDL reports the volume durable LSN: the highest CPL at or below VCL.
// Commits at or below it are durable; recovery truncates above it.
func (v *Volume) VDL() redo.LSN { return v.vdl }

// VDLTime reports when VDL last moved.
func (v *Volume) VDLTime() sim.Time { return v.vdlAt }

// NextLSN reports the next LSN to be allocated.
func (v *Volume) NextLSN() redo.LSN { return v.next }

// LAL reports the allocation limit.
func (v *Volume) LAL() uint64 { return v.cfg.LAL }

// Stats reports the driver's counters.
func (v *Volume) Stats() Stats { return v.stats }

// CanAllocate reports whether n more records fit under the allocation
// limit: no more than LAL records above VDL. With one writer, whose LSNs
// are consecutive, that is the paper's rule, no LSN above VDL + LAL. A
// truncation range above a recovered VDL holds no record, so it does not
// count.
func (v *Volume) CanAllocate(n int) bool {
	return v.cfg.LAL == 0 || uint64(v.above+n) <= v.cfg.LAL
}

// Append allocates LSNs for one mini-transaction, fills in the backlinks,
// marks its last record as a CPL and queues the records for their PGs. It
// returns the records as allocated, or ErrLAL, allocating nothing.
// Each record must name its PG and page, and PrevPage when the page had a
// version before.
func (v *Volume) Append(env wire.Env, mtr []redo.Record) ([]redo.Record, error) {
	if len(mtr) == 0 {
		return nil, nil
	}
	if !v.CanAllocate(len(mtr)) {
		v.stats.LALStalls++
		return nil, ErrLAL
	}
	v.allocate(env, mtr)
	v.addCPL(mtr)
	return mtr, nil
}

// allocate gives the records of an MTR their LSNs and backlinks and queues
// them for their PGs.
func (v *Volume) allocate(env wire.Env, mtr []redo.Record) {
	for i := range mtr {
		r := &mtr[i]
		p := v.PG(r.PG)
		if p == nil {
			panic("volume: record for unknown " + r.PG.String())
		}
		r.LSN = v.next
		v.next += v.step
		v.above++
		r.Stream = v.stream
		r.PrevVolume = v.lastV
		v.lastV = r.LSN
		r.PrevPG = p.last
		p.last = r.LSN
		r.CPL = i == len(mtr)-1
		v.stats.RecordsAllocated++
		if len(p.outstanding) == 0 {
			v.activate(p.ID)
		}
		p.outstanding = append(p.outstanding, r.LSN)
		if len(p.recent) == 0 {
			v.recentPGs = append(v.recentPGs, p.ID)
		}
		p.recent = append(p.recent, r.LSN)
		if p.pending == nil {
			n := 0
			for j := i; j < len(mtr); j++ {
				if mtr[j].PG == p.ID {
					n++
				}
			}
			p.open = min(n, len(p.fit)-1)
			p.pending = v.newBatch(p.ID, max(n, min(p.fit[p.open], maxFit)))
			env.After(v.cfg.BoxcarDelay, wire.Msg{Kind: wire.Timer, From: v.self, To: v.self, PG: p.ID, N: AlarmFlush})
		}
		p.pending.AddRef(r)
	}
}

// maxFit bounds the room a boxcar is given from what an earlier one
// carried: a burst does not leave every later boxcar that much room.
const maxFit = 64

func (v *Volume) activate(id redo.PGID) {
	i, found := slices.BinarySearch(v.active, id)
	if !found {
		v.active = slices.Insert(v.active, i, id)
	}
}

// Handle processes a message for the driver and reports whether VDL moved.
func (v *Volume) Handle(env wire.Env, m *wire.Msg) bool {
	switch m.Kind {
	case wire.Timer:
		switch m.N {
		case AlarmFlush:
			v.flush(env, v.PG(m.PG))
		case AlarmRetry:
			v.retry(env, v.PG(m.PG))
		case AlarmHeartbeat:
			v.heartbeat(env)
		}
	case wire.WriteAck:
		return v.ack(env, m)
	}
	return false
}

// flush sends a PG's boxcar to every member.
func (v *Volume) flush(env wire.Env, p *PG) {
	b := p.pending
	if b == nil {
		return
	}
	p.pending = nil
	p.fit[p.open] = len(b.Records)
	p.sent = append(p.sent, sentBatch{recs: b.Records, b: b}) // the hold passes to the list
	v.stats.BatchesSent++
	v.sendAll(env, p, b)
	v.armRetry(env, p)
}

// sendAll sends b to every member, as send to each in turn would. The
// message is made once, and only its address changes from one member to
// the next: nothing it carries moves while it goes out, for sending runs
// no node's code.
func (v *Volume) sendAll(env wire.Env, p *PG, b *redo.Batch) {
	mrpl := p.PGMRPL(v.vdl, v.replicaMRP)
	p.toldVDL, p.toldMRPL = v.vdl, mrpl
	m := wire.Msg{Kind: wire.Write, From: v.self, PG: p.ID, Stream: v.stream,
		VolEpoch: v.epoch, MemEpoch: p.Quorum.Epoch(), A: v.vdl, B: mrpl, Batch: b}
	size := int64(b.Size())
	for _, mem := range p.Members {
		v.stats.MessagesSent++
		v.stats.BytesSent += size
		m.To, m.Seg = mem.Node, mem.Seg
		env.Send(m)
		if !v.hbArmed {
			v.armHeartbeat(env)
		}
	}
}

func (v *Volume) send(env wire.Env, p *PG, mem Member, b *redo.Batch) {
	v.stats.MessagesSent++
	v.stats.BytesSent += int64(b.Size())
	mrpl := p.PGMRPL(v.vdl, v.replicaMRP)
	p.toldVDL, p.toldMRPL = v.vdl, mrpl
	env.Send(wire.Msg{Kind: wire.Write, From: v.self, To: mem.Node, PG: p.ID, Seg: mem.Seg, Stream: v.stream,
		VolEpoch: v.epoch, MemEpoch: p.Quorum.Epoch(), A: v.vdl, B: mrpl, Batch: b})
	v.armHeartbeat(env)
}

func (v *Volume) armRetry(env wire.Env, p *PG) {
	if p.retryArmed || v.cfg.RetryInterval <= 0 {
		return
	}
	p.retryArmed = true
	env.After(v.cfg.RetryInterval, wire.Msg{Kind: wire.Timer, From: v.self, To: v.self, PG: p.ID, N: AlarmRetry})
}

// retry resends, to each member whose SCL is behind, the sent records above
// its SCL that the PG still waits on.
func (v *Volume) retry(env wire.Env, p *PG) {
	p.retryArmed = false
	asked := false
	for i := range p.Members {
		if v.askVotes(env, p, i, 0, redo.LSN(p.scl[i])) {
			asked = true
		}
	}
	if len(p.sent) == 0 {
		if asked {
			v.armRetry(env, p)
		}
		return
	}
	for i, mem := range p.Members {
		// The records above the member's SCL end the sent list. When
		// they lie in one sent batch, as they mostly do, the resend is
		// made over them, for the records of a batch sent are never
		// changed (see sent); else they are counted, then copied into
		// a batch of their size.
		scl, n, parts := redo.LSN(p.scl[i]), 0, 0
		var tail []redo.Record
		var of *redo.Batch
		for _, sb := range p.sent {
			if j := firstAbove(sb.recs, scl); j < len(sb.recs) {
				n += len(sb.recs) - j
				parts++
				tail, of = sb.recs[j:], sb.b
			}
		}
		if n == 0 {
			continue
		}
		// A view is held through the batch it views, which the sent
		// list holds while the view goes out; a batch of several parts
		// is the driver's own, held until sent.
		var b *redo.Batch
		if parts == 1 {
			b = of.View(tail)
		} else {
			b = v.newBatch(p.ID, n)
			for _, sb := range p.sent {
				if j := firstAbove(sb.recs, scl); j < len(sb.recs) {
					b.AddAll(sb.recs[j:])
				}
			}
		}
		v.stats.Retries++
		v.send(env, p, mem, b)
		if parts > 1 {
			b.Release()
		}
	}
	v.armRetry(env, p)
}

// ack takes a segment's SCL and advances PGCL, VCL and VDL. An ack sent at
// an older volume epoch is dropped: it answers a write of the writer that
// ran before the last recovery (this instance before its crash, say), and
// its SCL may count records that recovery has since annulled.
func (v *Volume) ack(env wire.Env, m *wire.Msg) bool {
	p := v.PG(m.PG)
	if p == nil || m.VolEpoch < v.epoch {
		return false
	}
	i := p.slot(m.Seg)
	if i < 0 {
		return false
	}
	// Votes exist only with several writers: one writer makes no call
	// for them on every ack.
	decided := v.mm != nil && v.vote(p, i, m)
	if uint64(m.A) <= p.scl[i] {
		return decided && v.advance(env)
	}
	if v.mm != nil && v.askVotes(env, p, i, redo.LSN(p.scl[i]), m.A) {
		v.armRetry(env, p)
	}
	p.scl[i] = uint64(m.A)
	if m.A <= p.pgcl {
		// PGCL is never below what the SCLs make complete: the members
		// at or above any LSN past it form no write quorum, and one that
		// stays at or below PGCL joins none of them.
		return decided && v.advance(env)
	}
	pgcl := redo.LSN(p.Quorum.CompleteLSN(p.scl[:p.Quorum.Len()]))
	if pgcl <= p.pgcl {
		// The ack may still have decided an MTR (its votes).
		return decided && v.advance(env)
	}
	p.pgcl = pgcl
	n := 0
	for n < len(p.outstanding) && p.outstanding[n] <= pgcl {
		n++
	}
	// Both lists are moved down rather than resliced, so their arrays are
	// reused: a list resliced to empty has no room left, and the next
	// record would allocate a new one. Nothing else holds their arrays.
	p.outstanding = append(p.outstanding[:0], p.outstanding[n:]...)
	n = 0
	for n < len(p.sent) && p.sent[n].recs[len(p.sent[n].recs)-1].LSN <= pgcl {
		// The batch's records are all complete: the list lets it go.
		p.sent[n].b.Release()
		n++
	}
	k := copy(p.sent, p.sent[n:])
	clear(p.sent[k:])
	p.sent = p.sent[:k]
	if k > 0 {
		p.sent[0].recs = p.sent[0].recs[firstAbove(p.sent[0].recs, pgcl):]
	}
	if len(p.outstanding) == 0 {
		if i, ok := slices.BinarySearch(v.active, p.ID); ok {
			v.active = slices.Delete(v.active, i, i+1)
		}
	}
	return v.advance(env)
}

// slot returns the slot of segment seg, or -1 when it is no member.
func (p *PG) slot(seg uint32) int {
	for i := range p.Members {
		if p.Members[i].Seg == seg {
			return i
		}
	}
	return -1
}

// firstAbove returns the index of the first of recs (in LSN order) above l.
func firstAbove(recs []redo.Record, l redo.LSN) int {
	j := 0
	for j < len(recs) && recs[j].LSN <= l {
		j++
	}
	return j
}

// advance recomputes VCL and VDL and reports whether VDL moved. VCL is one
// below the lowest LSN still waiting for quorum in any PG; VDL is the
// highest CPL at or below VCL — not past a mini-transaction whose conflict
// storage has not decided yet.
func (v *Volume) advance(env wire.Env) bool {
	vcl := v.next - 1
	for _, id := range v.active {
		if first := v.PG(id).outstanding[0] - 1; first < vcl {
			vcl = first
		}
	}
	if vcl > v.vcl {
		v.vcl = vcl
	}
	// The queue is in allocation order: by each MTR's first LSN. A voided
	// MTR keeps its place but its point is its void's, later than the MTRs
	// queued after it. VDL may rest at a point only when every MTR that
	// starts at or below it is decided and ends at or below it: never
	// between a lost change and its void.
	n, passed := 0, 0
	vdl, top := v.vdl, redo.NoLSN
	for passed < len(v.cpls) && v.cpls[passed].lsn <= v.vcl && v.cpls[passed].decided() {
		top = max(top, v.cpls[passed].lsn)
		passed++
		if passed == len(v.cpls) || top < v.cpls[passed].lo {
			n, vdl = passed, max(vdl, top)
		}
	}
	if n == 0 {
		return false
	}
	v.vdl = vdl
	// Moved down rather than resliced, so the array is reused: resliced
	// forward, the list would run out of room and allocate anew every few
	// MTRs.
	k := copy(v.cpls, v.cpls[n:])
	clear(v.cpls[k:])
	v.cpls = v.cpls[:k]
	v.vdlAt = env.Now()
	// Each PG's head at the new VDL. A PG with records above the old VDL
	// had them outstanding at allocation, so it is among the PGs whose
	// recent list is not empty; only those are looked at.
	for _, p := range v.withRecent() {
		k := 0
		for k < len(p.recent) && p.recent[k] <= v.vdl {
			k++
		}
		if k > 0 {
			p.headVDL = p.recent[k-1]
			p.recent = append(p.recent[:0], p.recent[k:]...)
			v.above -= k
		}
	}
	return true
}

// withRecent returns the PGs that have records above VDL.
func (v *Volume) withRecent() []*PG {
	v.scratch = v.scratch[:0]
	for _, id := range v.recentPGs {
		v.scratch = append(v.scratch, v.PG(id))
	}
	v.recentPGs = v.recentPGs[:0]
	for _, p := range v.scratch {
		if len(p.recent) > 0 && p.recent[len(p.recent)-1] > v.vdl {
			v.recentPGs = append(v.recentPGs, p.ID)
		}
	}
	return v.scratch
}

// SetMembership adopts a new membership of PG id at a newer epoch: writes
// then go to the new members too, and PGCL follows the new quorum rule (the
// dual quorum sets of a change in progress, SIGMOD'18 §4.1). It reports
// false for an epoch the driver already has.
func (v *Volume) SetMembership(env wire.Env, id redo.PGID, q quorum.Membership, members []Member) bool {
	p := v.PG(id)
	if p == nil || q.Epoch() <= p.Quorum.Epoch() {
		return false
	}
	if len(members) != q.Len() {
		panic("volume: members do not match the membership of " + id.String())
	}
	var scl [quorum.MaxMembers]uint64
	for i, m := range members {
		if j := slices.IndexFunc(p.Members, func(o Member) bool { return o.Seg == m.Seg }); j >= 0 {
			scl[i] = p.scl[j]
		}
	}
	p.Quorum, p.Members, p.scl = q, members, scl
	if pgcl := redo.LSN(q.CompleteLSN(p.scl[:q.Len()])); pgcl > p.pgcl {
		p.pgcl = pgcl
	}
	// Send the newcomers what the PG still waits on; gossip and hydration
	// bring the rest.
	v.retry(env, p)
	return true
}
