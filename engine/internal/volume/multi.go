package volume

import (
	"slices"

	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/wire"
)

// cpl is a consistency point above VDL: the last LSN of an MTR, and, with
// several writers, the MTR's votes until storage decides it.
type cpl struct {
	lsn redo.LSN
	lo  redo.LSN // the MTR's first LSN: a reader at or above it sees the MTR
	mtr *MTR     // nil with one writer, or once decided
}

// decided reports whether VDL may pass the CPL: a plain CPL, or an MTR that
// won. A lost MTR holds VDL back until Void replaces its point with its
// void record's.
func (c cpl) decided() bool { return c.mtr == nil || c.mtr.Outcome == Won }

// Outcome is what storage's votes decided about an MTR.
type Outcome uint8

// MTR outcomes.
const (
	Pending Outcome = iota
	Won
	Lost
)

// MTR is a mini-transaction of a writer of a multi-master cluster, waiting
// for the votes of the segments it was sent to. Each segment accepts the
// first change it sees to a page version and refuses any other. A record
// stands when a write quorum of its PG accepted it; it has lost once the
// segments that voted are a write quorum without accepting it. Two
// changes can never both win, as write quorums intersect; on a split vote
// both lose, and both writers roll back.
type MTR struct {
	ID      uint64
	Records []redo.Record
	Outcome Outcome
	// Winner is, for a lost MTR, the change that beat it at a segment.
	Winner redo.LSN
	// Split reports a vote in which no change won.
	Split bool
	votes []recordVote
	cpl   redo.LSN
	// deps are the pending MTRs of this writer that it is based on: it can
	// win only once they have, and it loses if one of them loses.
	deps []*MTR
	// Cascade reports an MTR that lost because one it was based on did.
	Cascade bool
}

type recordVote struct {
	lsn      redo.LSN
	pg       redo.PGID
	page     redo.PageID
	acc, rej quorum.Set
	winner   redo.LSN
}

// multi is the multi-master state of a writer's driver.
type multi struct {
	seq     uint64
	pending map[redo.LSN]*MTR // by the LSN of each record that votes
	decided []*MTR
	stats   MultiStats
}

// MultiStats counts votes.
type MultiStats struct {
	MTRsWon   int64
	MTRsLost  int64
	SplitVote int64
	Voids     int64
}

func newMulti() *multi {
	return &multi{pending: map[redo.LSN]*MTR{}}
}

// addCPL registers the CPL of a freshly allocated MTR; with several
// writers, an MTR that changes pages waits for storage's votes.
func (v *Volume) addCPL(mtr []redo.Record) {
	last, lo := mtr[len(mtr)-1].LSN, mtr[0].LSN
	if v.mm == nil {
		v.cpls = append(v.cpls, cpl{lsn: last, lo: lo})
		return
	}
	v.mm.seq++
	m := &MTR{ID: v.mm.seq, Records: slices.Clone(mtr), cpl: last}
	for _, r := range mtr {
		if r.Page == 0 || r.Page == v.cfg.OwnPage {
			continue // no page, or a page no one else writes: no conflict
		}
		if dep := v.mm.pending[r.PrevPage]; dep != nil && dep != m && !slices.Contains(m.deps, dep) {
			m.deps = append(m.deps, dep)
		}
		m.votes = append(m.votes, recordVote{lsn: r.LSN, pg: r.PG, page: r.Page})
		v.mm.pending[r.LSN] = m
	}
	if len(m.votes) == 0 {
		m.Outcome = Won
		v.cpls = append(v.cpls, cpl{lsn: last, lo: lo})
		return
	}
	v.cpls = append(v.cpls, cpl{lsn: last, lo: lo, mtr: m})
}

// vote counts a segment's votes carried by its acknowledgement, and
// decides the MTRs whose votes are in. It reports whether an MTR was
// decided.
func (v *Volume) vote(p *PG, slot int, m *wire.Msg) bool {
	if v.mm == nil {
		return false
	}
	votes, _ := m.Body.(*wire.Votes)
	if votes == nil {
		return false
	}
	var touched []*MTR
	mark := func(l redo.LSN, accepted bool, winner redo.LSN) {
		mt := v.mm.pending[l]
		if mt == nil || mt.Outcome != Pending {
			return
		}
		k := slices.IndexFunc(mt.votes, func(rv recordVote) bool { return rv.lsn == l })
		rv := &mt.votes[k]
		if accepted {
			rv.acc |= 1 << slot
			rv.rej &^= 1 << slot
		} else {
			rv.rej |= 1 << slot
			rv.acc &^= 1 << slot
			rv.winner = winner
		}
		if !slices.Contains(touched, mt) {
			touched = append(touched, mt)
		}
	}
	for _, l := range votes.Accepted {
		mark(l, true, 0)
	}
	for i, l := range votes.Rejected {
		mark(l, false, votes.Winners[i])
	}
	decided := false
	for _, mt := range touched {
		if v.decide(mt) {
			decided = true
		}
	}
	// A decision may settle MTRs based on the decided ones.
	for again := decided; again; {
		again = false
		for _, c := range v.cpls {
			if c.mtr != nil && c.mtr.Outcome == Pending && v.decide(c.mtr) {
				again = true
			}
		}
	}
	return decided
}

// askVotes asks member i of p again for its votes on the changes in
// (from, upto] still waiting for them. A segment that got a change by
// gossip before the writer's copy arrived acknowledges it through its SCL
// alone, with no vote; the writer sends the change again, and a segment
// answers a copy it already holds with its stored vote. It reports
// whether it asked.
func (v *Volume) askVotes(env wire.Env, p *PG, i int, from, upto redo.LSN) bool {
	if v.mm == nil || len(v.mm.pending) == 0 || upto <= from {
		return false
	}
	var recs []redo.Record
	for l, mt := range v.mm.pending {
		if l <= from || l > upto {
			continue
		}
		k := slices.IndexFunc(mt.votes, func(rv recordVote) bool { return rv.lsn == l })
		if rv := &mt.votes[k]; rv.pg != p.ID || (rv.acc | rv.rej).Has(i) {
			continue
		}
		recs = append(recs, mt.Records[slices.IndexFunc(mt.Records, func(r redo.Record) bool { return r.LSN == l })])
	}
	if len(recs) == 0 {
		return false
	}
	slices.SortFunc(recs, func(x, y redo.Record) int { return cmpLSN(x.LSN, y.LSN) })
	b := &redo.Batch{PG: p.ID}
	for _, r := range recs {
		b.Add(r)
	}
	v.stats.Retries++
	v.send(env, p, p.Members[i], b)
	return true
}

// decide settles an MTR once its votes allow: won when every record has a
// write quorum of acceptances, lost when some record cannot get one.
func (v *Volume) decide(mt *MTR) bool {
	won := true
	for _, d := range mt.deps {
		switch d.Outcome {
		case Lost:
			mt.Outcome, mt.Cascade, mt.Winner = Lost, true, d.Winner
		case Pending:
			won = false
		}
	}
	for i := range mt.votes {
		if mt.Outcome == Lost {
			break
		}
		rv := &mt.votes[i]
		q := v.PG(rv.pg).Quorum
		if q.WriteOK(rv.acc) {
			continue
		}
		won = false
		if q.WriteOK(rv.acc | rv.rej) {
			// Enough segments voted, and the record is short of a quorum.
			mt.Outcome = Lost
			mt.Winner = rv.winner
			mt.Split = rv.acc.Count() > 0 && !q.WriteOK(rv.rej)
			break
		}
	}
	if won && mt.Outcome == Pending {
		mt.Outcome = Won
	}
	if mt.Outcome == Pending {
		return false
	}
	for _, rv := range mt.votes {
		delete(v.mm.pending, rv.lsn)
	}
	v.mm.decided = append(v.mm.decided, mt)

	switch mt.Outcome {
	case Won:
		v.mm.stats.MTRsWon++
		for i := range v.cpls {
			if v.cpls[i].mtr == mt {
				v.cpls[i].mtr = nil
			}
		}
	case Lost:
		v.mm.stats.MTRsLost++
		if mt.Split {
			v.mm.stats.SplitVote++
		}
	}
	return true
}

// Decisions returns the MTRs decided since the last call, in the order
// they were decided.
func (v *Volume) Decisions() []*MTR {
	if v.mm == nil || len(v.mm.decided) == 0 {
		return nil
	}
	out := v.mm.decided
	v.mm.decided = nil
	return out
}

// MultiStats reports the driver's votes.
func (v *Volume) MultiStats() MultiStats {
	if v.mm == nil {
		return MultiStats{}
	}
	return v.mm.stats
}

// Void annuls a lost MTR: a void record per PG it touched, naming its
// records, allocated as one MTR in the writer's own stream (whatever the
// allocation limit says: the lost records wait for it). The lost MTR keeps
// its place in the queue of consistency points but now ends at the void:
// VDL can pass the lost records only together with the void that annuls
// them, never rest between the two, so no reader at any VDL — this
// writer's or another's view of it — applies a lost change.
//
// It returns the void records, for the other writers: a reader's read
// vector names the head of every stream in a PG, and the head must count
// the void, or a segment that holds the lost change but not yet its void
// would serve the lost change.
func (v *Volume) Void(env wire.Env, mt *MTR) []redo.Record {
	var recs []redo.Record
	for _, r := range mt.Records {
		if r.Page == v.cfg.OwnPage {
			continue // its own transaction page stands: harmless, and unbroken
		}
		k := slices.IndexFunc(recs, func(x redo.Record) bool { return x.PG == r.PG })
		if k < 0 {
			recs = append(recs, redo.Record{PG: r.PG, Op: redo.OpVoid})
			k = len(recs) - 1
		}
		recs[k].Key = append(recs[k].Key, redo.VoidKey([]redo.LSN{r.LSN})...)
	}
	v.allocate(env, recs)
	for i := range v.cpls {
		if v.cpls[i].mtr == mt {
			v.cpls[i] = cpl{lsn: recs[len(recs)-1].LSN, lo: v.cpls[i].lo}
			break
		}
	}
	v.mm.stats.Voids++
	return recs
}

// LastMTR returns the MTR the last Append made, when it waits for votes;
// nil with one writer or when it needs none.
func (v *Volume) LastMTR() *MTR {
	if v.mm == nil || len(v.cpls) == 0 {
		return nil
	}
	return v.cpls[len(v.cpls)-1].mtr
}

// Step reports the distance between two LSNs the driver allocates in a
// row: 1, or MaxStreams with several writers.
func (v *Volume) Step() redo.LSN { return v.step }

// PendingCount reports the MTRs waiting for votes (for debugging).
func (v *Volume) PendingCount() int {
	if v.mm == nil {
		return 0
	}
	n := 0
	for _, c := range v.cpls {
		if c.mtr != nil && c.mtr.Outcome != Won {
			n++
		}
	}
	return n
}
