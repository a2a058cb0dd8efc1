package storage

import (
	"errors"

	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/wire"
)

// Multi-master. When several writers share the volume (Config.Conflicts),
// each segment votes on the changes it receives: the first change it sees
// to a page version (page, base version) claims it, and any other change
// to that version is refused — optimistic conflict detection in storage.
// A writer's change stands when a write quorum of segments accepted it.
// The losing writer annuls its change with a void record of its own
// stream; a segment skips voided records when it materialises a page.
// Refused records are still stored: they are links of their writer's PG
// chain, which the SCL follows.

type claimKey struct {
	page redo.PageID
	base redo.LSN
}

// claimMap returns the segment's claims, rebuilding them after a restart
// from the votes stored with the records.
func (s *Segment) claimMap() map[claimKey]redo.LSN {
	if s.claims == nil {
		s.claims = map[claimKey]redo.LSN{}
		for i := range s.log {
			s.noteRecord(&s.log[i])
		}
	}
	return s.claims
}

// votedFor reports the segment's vote on r as it is stored: whether r holds
// the claim on its page version here. The claim is taken when r arrives
// (claim), or, for a record that came by gossip, if no change holds it.
func (n *Node) votedFor(s *Segment, r *redo.Record) bool {
	if !n.cfg.Conflicts || r.Page == 0 {
		return false
	}
	claims := s.claimMap()
	k := claimKey{r.Page, r.PrevPage}
	holder, held := claims[k]
	if !held {
		claims[k] = r.LSN
		return true
	}
	return holder == r.LSN
}

// noteRecord takes a stored record into the claims (when it holds its vote)
// and the void set.
func (s *Segment) noteRecord(sr *StoredRecord) {
	r := &sr.Rec
	if r.Op == redo.OpVoid {
		if s.voided == nil {
			s.voided = map[redo.LSN]redo.LSN{}
		}
		for _, l := range redo.VoidLSNs(r.Key) {
			s.voided[l] = r.LSN
			for k, c := range s.claims {
				if c == l {
					delete(s.claims, k)
				}
			}
		}
		return
	}
	if r.Page == 0 || s.claims == nil || !sr.Claimed {
		return
	}
	if _, void := s.voided[r.LSN]; void {
		return
	}
	s.claims[claimKey{r.Page, r.PrevPage}] = r.LSN
}

// claim takes, as a batch arrives, the page versions its changes are the
// first to claim here: the segment's votes are decided then, in arrival
// order.
func (n *Node) claim(s *Segment, b *redo.Batch) {
	if !n.cfg.Conflicts {
		return
	}
	claims := s.claimMap()
	for i := range b.Records {
		r := &b.Records[i]
		if r.Page == 0 {
			continue
		}
		k := claimKey{r.Page, r.PrevPage}
		if holder, held := claims[k]; !held {
			claims[k] = r.LSN
		} else if holder != r.LSN {
			n.stats.Conflicts++
		}
	}
}

// votes reads the segment's votes on the page changes of recs from its
// claims; nil with one writer.
func (n *Node) votes(s *Segment, recs []redo.Record) *wire.Votes {
	if !n.cfg.Conflicts {
		return nil
	}
	claims := s.claimMap()
	v := &wire.Votes{}
	for i := range recs {
		r := &recs[i]
		if r.Page == 0 {
			continue
		}
		holder, held := claims[claimKey{r.Page, r.PrevPage}]
		if !held || holder == r.LSN {
			v.Accepted = append(v.Accepted, r.LSN)
			continue
		}
		v.Rejected = append(v.Rejected, r.LSN)
		v.Winners = append(v.Winners, holder)
	}
	return v
}

// errStale refuses a read whose vector is not consistent here: a change
// of one writer, at or below its read point, rests on a change of another
// writer above that writer's read point. The reader asks again later.
var errStale = errors.New("storage: read vector not consistent")

// materializeVector returns page id as a multi-master reader with read
// vector v sees it: the records of each writer stream up to its read
// point, without the records voided at or below it.
//
// A reader's point for a stream may be stale: it learns a writer's VDL
// from that writer's stream, which stops when the writer crashes. The
// segment heard the VDL from the writer too (known); where its chain of
// that stream is complete up to it, it reads there instead — another
// durable point of that writer, and a later one.
func (s *Segment) materializeVector(id redo.PageID, v *wire.ReadVector, known []redo.LSN) (*page.Page, badItem, error) {
	if !s.Full {
		return nil, badItem{}, ErrNotFull
	}
	if !s.hydrated {
		return nil, badItem{}, ErrNotHydrated
	}
	for st, head := range v.Heads {
		if head > s.StreamSCL(uint8(st)) {
			return nil, badItem{}, ErrAboveSCL
		}
	}
	points := v.Points
	for st, pt := range v.Points {
		if st < len(known) && known[st] > pt && s.StreamSCL(uint8(st)) >= known[st] {
			if &points[0] == &v.Points[0] {
				points = append([]redo.LSN(nil), v.Points...)
			}
			points[st] = known[st]
		}
	}
	p := page.New(id)
	base := redo.NoLSN
	if i, ok := s.findBase(id); ok {
		b := s.bases[i]
		if !b.intact() {
			return nil, badItem{page: id}, ErrCorrupt
		}
		p = b.Page.Clone()
		base = s.coalesced
	}
	i, _ := s.find(base + 1)
	for ; i < len(s.log); i++ {
		sr := &s.log[i]
		r := &sr.Rec
		if r.Page != id || int(r.Stream) >= len(points) || r.LSN > points[r.Stream] {
			continue
		}
		if at, void := s.voided[r.LSN]; void && at <= points[r.Stream] {
			continue
		}
		if !sr.intact() {
			return nil, badItem{lsn: r.LSN}, ErrCorrupt
		}
		if err := p.Apply(r); err != nil {
			return nil, badItem{}, errStale
		}
	}
	return p, badItem{}, nil
}

// DoubleClaims returns the pairs of changes this segment holds that were
// both based on the same page version and are both still standing (not
// voided): two conflicting changes that both won. Multi-master must never
// leave one; the checker calls it once the writers are quiet.
func (s *Segment) DoubleClaims() [][2]redo.LSN {
	seen := map[claimKey]redo.LSN{}
	var out [][2]redo.LSN
	for i := range s.log {
		r := &s.log[i].Rec
		if r.Page == 0 || r.Op == redo.OpVoid {
			continue
		}
		if _, void := s.voided[r.LSN]; void {
			continue
		}
		k := claimKey{r.Page, r.PrevPage}
		if other, ok := seen[k]; ok {
			out = append(out, [2]redo.LSN{other, r.LSN})
			continue
		}
		seen[k] = r.LSN
	}
	return out
}

// rebuildVoids rebuilds the void set from the log after a reload; the
// claims are rebuilt lazily when a vote needs them.
func (s *Segment) rebuildVoids() {
	s.voided, s.claims = nil, nil
	for i := range s.log {
		if s.log[i].Rec.Op == redo.OpVoid {
			s.noteRecord(&s.log[i])
		}
	}
}
