package storage

import (
	"errors"
	"slices"
	"strconv"

	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// Errors of Materialize and Replay, matching the read rejections of
// package wire.
var (
	ErrAboveSCL    = errors.New("storage: read point above SCL")
	ErrCollected   = errors.New("storage: read point below what the segment keeps")
	ErrCorrupt     = errors.New("storage: corrupt")
	ErrNotFull     = errors.New("storage: tail segment holds no pages")
	ErrNotHydrated = errors.New("storage: segment not hydrated")
)

// rejectCode maps an error of Materialize to a wire reject reason.
func rejectCode(err error) int64 {
	switch {
	case errors.Is(err, ErrAboveSCL):
		return wire.RejectAboveSCL
	case errors.Is(err, ErrCollected):
		return wire.RejectCollected
	case errors.Is(err, ErrCorrupt):
		return wire.RejectCorrupt
	case errors.Is(err, ErrNotFull):
		return wire.RejectNotFull
	case errors.Is(err, ErrNotHydrated):
		return wire.RejectNotHydrated
	case errors.Is(err, errStale):
		return wire.RejectAboveSCL // not complete for this vector yet: ask again
	}
	return 0
}

// Segment is one protection group's copy of its log, and on a full segment
// of its pages, on one node (SIGMOD'17 §3.3, Fig. 4).
//
// The log is the hot log: durable records in LSN order, including records
// above the SCL that wait for a gap below them to be filled. A full
// segment also keeps one base image per page, materialised at the segment's
// coalesced LSN; a page as of a read point is its base plus the page's
// records above it. Records are dropped from the log once they are both in
// the bases (or, on a tail segment, below PGMRPL) and staged to backup.
//
// Fields ID, PG and Full are fixed at placement; read them, never set them.
type Segment struct {
	ID   uint32
	PG   redo.PGID
	Full bool // keeps pages as well as log (false: a tail segment, SIGMOD'18 §4.2)

	// Durable state, mirrored in the node's Store.
	quorum    quorum.Membership
	peers     []wire.Peer // the other members, in slot order
	hydrated  bool
	retired   bool
	log       []StoredRecord
	chains    []chain      // per writer stream
	bases     []StoredPage // by page ID; full segments only
	coalesced redo.LSN
	collected redo.LSN
	staged    redo.LSN
	pgmrpl    redo.LSN

	// taint is set once a fault damaged this node's data (Corrupt): only
	// then can a stored record or page fail its checksum, so only then are
	// the checksums computed again on every read of the disk. It survives
	// a crash, as the damage does.
	taint bool

	// Volatile state, lost in a crash. The flags come first, to share
	// taint's word.
	metaDirty    bool       // staged or pgmrpl moved since the metadata was written
	hydrateAsked bool       // a Hydrate is outstanding
	peerSCL      []redo.LSN // per peer, the SCL it last reported
	// streamPeerSCL is peerSCL for the other writer streams (multi-master),
	// indexed by stream then peer.
	streamPeerSCL [][]redo.LSN
	bad           []badItem // damage found and not yet repaired
	idleRounds    int       // gossip rounds since this segment last gossiped
	probe         int       // gossip rounds left that ask each peer in turn, after a hydration
	scrubLSN      redo.LSN  // scrub's cursor in the log
	scrubPage     redo.PageID
	hydrateTries  int
	hydrateStart  sim.Time
	noted         uint64 // one more than the last stale epoch noted (0: none)
	// queuedTop is the highest last LSN of the batches of this segment
	// put in the node's disk queue since it came up: no batch waiting
	// there holds a record above it (see allFresh).
	queuedTop redo.LSN
	// Multi-master: the first change claiming each page version here, and
	// the records void records annul (record → the void's LSN). Claims are
	// volatile, rebuilt from the log.
	claims map[claimKey]redo.LSN
	voided map[redo.LSN]redo.LSN
	// gossipStream is the writer stream the next gossip asks about.
	gossipStream uint8

	// staging counts the Stage batches sent and not yet acknowledged,
	// and stageOut is the one batch outstanding when there is one (see
	// Node.stageBatch). Both survive a crash: a batch sent before it may
	// still be on its way, and its ack still to come.
	staging  int
	stageOut *redo.Batch
}

// chain tracks one writer stream's PG backlink chain. scl is the end of its
// longest gap-free prefix; floor is where the chain continues from when
// the records below it are gone (collected, or covered by a hydrated base).
type chain struct {
	floor, scl redo.LSN
}

// badItem is a stored record (page 0) or base page that failed its
// checksum.
type badItem struct {
	lsn  redo.LSN
	page redo.PageID
}

func newSegment(id uint32, pg redo.PGID, full bool) *Segment {
	return &Segment{ID: id, PG: pg, Full: full, chains: make([]chain, 1), hydrated: true}
}

// SCL reports the segment complete LSN (SIGMOD'17 §4.1): the end of the
// longest gap-free prefix of the PG chain of writer stream 0. Every record
// of the PG up to it is on this segment. It is sent with every ack.
func (s *Segment) SCL() redo.LSN { return s.chains[0].scl }

// streamSCLs returns the SCL of every writer stream, in a new slice.
func (s *Segment) streamSCLs() []redo.LSN {
	out := make([]redo.LSN, len(s.chains))
	for i := range s.chains {
		out[i] = s.chains[i].scl
	}
	return out
}

// StreamSCL reports the SCL of writer stream st (multi-master keeps one
// chain per writer).
func (s *Segment) StreamSCL(st uint8) redo.LSN {
	if int(st) >= len(s.chains) {
		return redo.NoLSN
	}
	return s.chains[st].scl
}

// Len reports the number of records in the hot log.
func (s *Segment) Len() int { return len(s.log) }

// Waiting reports the number of records above the SCL: records that wait
// for a gap below them to be filled.
func (s *Segment) Waiting() int {
	n := 0
	for st := range s.chains {
		i, _ := s.find(s.chains[st].scl + 1)
		for ; i < len(s.log); i++ {
			if s.log[i].Rec.Stream == uint8(st) {
				n++
			}
		}
	}
	return n
}

// waiting reports whether any record waits above its stream's SCL:
// Waiting() > 0, without counting them all.
func (s *Segment) waiting() bool {
	for st := range s.chains {
		i, _ := s.find(s.chains[st].scl + 1)
		for ; i < len(s.log); i++ {
			if s.log[i].Rec.Stream == uint8(st) {
				return true
			}
		}
	}
	return false
}

// BaseLSN reports the coalesced LSN: every record up to it is applied to
// the base pages. Zero on a tail segment.
func (s *Segment) BaseLSN() redo.LSN { return s.coalesced }

// StagedLSN reports the LSN up to which the backup store holds the PG's
// records.
func (s *Segment) StagedLSN() redo.LSN { return s.staged }

// CollectedLSN reports the highest LSN garbage collection dropped from the
// log.
func (s *Segment) CollectedLSN() redo.LSN { return s.collected }

// PGMRPL reports the PG's minimum read point as the writer last told it.
func (s *Segment) PGMRPL() redo.LSN { return s.pgmrpl }

// MemEpoch reports the membership epoch the segment holds.
func (s *Segment) MemEpoch() uint64 { return s.quorum.Epoch() }

// Membership returns the membership the segment holds.
func (s *Segment) Membership() quorum.Membership { return s.quorum }

// Peers returns the other members of the PG. The caller owns the slice.
func (s *Segment) Peers() []wire.Peer { return slices.Clone(s.peers) }

// Hydrated reports whether the segment holds everything its peers had when
// it was placed, so it may serve reads and the control plane may complete
// the membership change that brought it in.
func (s *Segment) Hydrated() bool { return s.hydrated }

// Retired reports whether a membership change has removed the segment.
func (s *Segment) Retired() bool { return s.retired }

// KnownCorrupt reports how many damaged items scrub or a read has found
// and not yet repaired.
func (s *Segment) KnownCorrupt() int { return len(s.bad) }

// Damaged counts the stored records and base pages that fail their
// checksum. It reads everything: for tests and checkers, not the hot path.
func (s *Segment) Damaged() int {
	n := 0
	for i := range s.log {
		if !s.log[i].intact() {
			n++
		}
	}
	for _, b := range s.bases {
		if !b.intact() {
			n++
		}
	}
	return n
}

// Has reports whether the segment holds the record with LSN l.
func (s *Segment) Has(l redo.LSN) bool {
	_, ok := s.find(l)
	return ok
}

// Records returns the records with LSN in (after, upto], in LSN order. The
// caller owns the slice; the records must not be changed.
func (s *Segment) Records(after, upto redo.LSN) []redo.Record {
	i, _ := s.find(after + 1)
	var out []redo.Record
	for ; i < len(s.log) && s.log[i].Rec.LSN <= upto; i++ {
		out = append(out, s.log[i].Rec)
	}
	return out
}

// Pages returns the IDs of the pages that have a base image, in order.
func (s *Segment) Pages() []redo.PageID {
	out := make([]redo.PageID, len(s.bases))
	for i, b := range s.bases {
		out[i] = b.Page.ID
	}
	return out
}

// Describe prints the segment on one line, for logs and golden files:
// `s3 pg1 full scl=12 base=10 staged=8 gc=5 log=4 wait=1 mem=1`.
func (s *Segment) Describe() string {
	b := make([]byte, 0, 96)
	b = append(b, 's')
	b = strconv.AppendUint(b, uint64(s.ID), 10)
	b = append(b, ' ')
	b = append(b, s.PG.String()...)
	if s.Full {
		b = append(b, " full"...)
	} else {
		b = append(b, " tail"...)
	}
	field := func(name string, v uint64) {
		b = append(b, ' ')
		b = append(b, name...)
		b = append(b, '=')
		b = strconv.AppendUint(b, v, 10)
	}
	field("scl", uint64(s.SCL()))
	field("base", uint64(s.coalesced))
	field("staged", uint64(s.staged))
	field("gc", uint64(s.collected))
	field("log", uint64(len(s.log)))
	field("wait", uint64(s.Waiting()))
	field("mem", s.quorum.Epoch())
	if !s.hydrated {
		b = append(b, " hydrating"...)
	}
	if s.retired {
		b = append(b, " retired"...)
	}
	if len(s.bad) > 0 {
		b = append(b, " corrupt"...)
	}
	return string(b)
}

func (s *Segment) find(l redo.LSN) (int, bool) { return findStored(s.log, l) }

func (s *Segment) findBase(id redo.PageID) (int, bool) {
	return findPage(s.bases, id)
}

// floor reports the lowest LSN the segment may still take a record above:
// records at or below it are gone from the log on purpose.
func (s *Segment) floor(st uint8) redo.LSN {
	f := s.collected
	if int(st) < len(s.chains) {
		f = max(f, s.chains[st].floor)
	}
	return f
}

// add stores r in the log and advances its stream's SCL through any gap it
// fills. It reports false, changing nothing, for a record the segment
// already holds or no longer keeps. It does not allocate once the log has
// room.
func (s *Segment) add(r StoredRecord) bool {
	st := r.Rec.Stream
	if r.Rec.LSN <= s.floor(st) {
		return false
	}
	for int(st) >= len(s.chains) {
		s.chains = append(s.chains, chain{})
	}
	var i int
	if n := len(s.log); n == 0 || s.log[n-1].Rec.LSN < r.Rec.LSN {
		i = n
		s.log = append(s.log, r)
	} else {
		var ok bool
		i, ok = s.find(r.Rec.LSN)
		if ok {
			return false
		}
		s.log = slices.Insert(s.log, i, r)
	}
	c := &s.chains[st]
	if r.Rec.LSN > c.scl && r.Rec.PrevPG == c.scl {
		s.advance(st, i)
	}
	if r.Rec.Op == redo.OpVoid || s.claims != nil {
		s.noteRecord(&s.log[i])
	}
	return true
}

// advance moves stream st's SCL along its chain from log index i, as far as
// the chain has no gap. In one writer's PG chain the successor of a record
// is the next record of that stream in LSN order, so the walk stops at the
// first record that does not link to the SCL.
func (s *Segment) advance(st uint8, i int) {
	c := &s.chains[st]
	for ; i < len(s.log); i++ {
		r := &s.log[i].Rec
		if r.Stream != st || r.LSN <= c.scl {
			continue
		}
		if r.PrevPG != c.scl {
			return
		}
		c.scl = r.LSN
	}
}

// rebuildChains recomputes every stream's SCL from its floor, after records
// were dropped (truncation), installed (hydration) or reloaded (restart).
func (s *Segment) rebuildChains() {
	for st := range s.chains {
		c := &s.chains[st]
		c.scl = c.floor
		i, _ := s.find(c.floor + 1)
		s.advance(uint8(st), i)
	}
}

// dropRange removes the log's records with LSN in [from, to] and reports
// how many there were.
// dropRange drops stream's records with LSN in [from, to].
func (s *Segment) dropRange(from, to redo.LSN, stream uint8) int {
	n := len(s.log)
	s.log = dropRecords(s.log, from, to, true, stream)
	return n - len(s.log)
}

// badIndex returns the index of it in s.bad, or -1.
func (s *Segment) badIndex(it badItem) int { return slices.Index(s.bad, it) }

// markBad records damage found and reports whether it was news.
func (s *Segment) markBad(it badItem) bool {
	if s.badIndex(it) >= 0 {
		return false
	}
	s.bad = append(s.bad, it)
	return true
}

func (s *Segment) clearBad(it badItem) {
	if i := s.badIndex(it); i >= 0 {
		s.bad = slices.Delete(s.bad, i, i+1)
	}
}

// Materialize returns page id as of read point at: the page's base image
// plus its records up to at, as a fresh copy the caller owns (SIGMOD'17
// §4.2.3). It fails with ErrNotFull on a tail segment, ErrAboveSCL when
// the segment may lack records up to at, ErrCollected when the page's base
// is already newer than at, and ErrCorrupt when a base or record it needs
// fails its checksum.
func (s *Segment) Materialize(id redo.PageID, at redo.LSN) (*page.Page, error) {
	p, _, err := s.materialize(id, at, at)
	return p, err
}

// materialize is Materialize that also names the damaged item on
// ErrCorrupt.
//
// head is the PG's last record at or below at: the segment can serve the
// read only if its chain is complete up to it.
func (s *Segment) materialize(id redo.PageID, at, head redo.LSN) (*page.Page, badItem, error) {
	if !s.Full {
		return nil, badItem{}, ErrNotFull
	}
	if head > s.SCL() || head > at {
		return nil, badItem{}, ErrAboveSCL
	}
	// The reader's head says the PG has no record in (head, at]; a record
	// the segment holds above its SCL and at or below at says otherwise
	// (the reader's head is stale, or unknown: zero). Below that record
	// lies a gap, which may hold records of the page: refuse rather than
	// serve a page with a hole in its chain (found by the swarm test,
	// where the gap made materialisation panic).
	if at > s.SCL() {
		if i, _ := s.find(s.SCL() + 1); i < len(s.log) && s.log[i].Rec.LSN <= at {
			return nil, badItem{}, ErrAboveSCL
		}
	}
	var p *page.Page
	if i, ok := s.findBase(id); ok {
		b := s.bases[i]
		if !s.pageOK(b) {
			return nil, badItem{page: id}, ErrCorrupt
		}
		if b.Page.LSN > at {
			return nil, badItem{}, ErrCollected
		}
		p = b.Page.Clone()
	} else {
		p = page.New(id)
	}
	// Every record up to the coalesced LSN is in the bases, so the page's
	// records above its base all lie above it.
	i, _ := s.find(s.coalesced + 1)
	for ; i < len(s.log) && s.log[i].Rec.LSN <= at; i++ {
		sr := &s.log[i]
		if sr.Rec.Page != id {
			continue
		}
		if !s.recordOK(sr) {
			return nil, badItem{lsn: sr.Rec.LSN}, ErrCorrupt
		}
		if err := p.Apply(&sr.Rec); err != nil {
			panic("storage: s" + strconv.FormatUint(uint64(s.ID), 10) + " " + s.PG.String() +
				": page chain broken below SCL " + s.SCL().String() + ": " + err.Error())
		}
	}
	return p, badItem{}, nil
}

// Replay rebuilds page id as of at from scratch, applying every record of
// the page from staged (the PG's records as the backup store holds them,
// in LSN order; nil when the log still holds everything) and from the
// segment's log, in LSN order. A checker compares it with Materialize: a
// materialised page must equal the replay of its log. It fails with
// ErrCollected when garbage collection dropped records that staged does
// not cover.
func (s *Segment) Replay(id redo.PageID, at redo.LSN, staged []redo.Record) (*page.Page, error) {
	if s.collected > 0 && (len(staged) == 0 || staged[len(staged)-1].LSN < s.collected) {
		return nil, ErrCollected
	}
	own := make([]redo.Record, 0, len(s.log))
	for i := range s.log {
		own = append(own, s.log[i].Rec)
	}
	return Replay(id, at, staged, own)
}

// Replay rebuilds page id as of at from scratch by applying, in LSN order,
// the page's records up to at found in the given record lists, each in LSN
// order; a record in several lists is applied once. It returns the error of
// page.Apply when the page chain is broken, that is when a record of the
// page is missing.
func Replay(id redo.PageID, at redo.LSN, lists ...[]redo.Record) (*page.Page, error) {
	p := page.New(id)
	pos := make([]int, len(lists))
	last := redo.NoLSN
	for {
		// Take the lowest next LSN over the lists (a k-way merge).
		best := -1
		for k, l := range lists {
			for pos[k] < len(l) && (l[pos[k]].LSN <= last || l[pos[k]].Page != id) {
				pos[k]++
			}
			if pos[k] < len(l) && l[pos[k]].LSN <= at && (best < 0 || l[pos[k]].LSN < lists[best][pos[best]].LSN) {
				best = k
			}
		}
		if best < 0 {
			return p, nil
		}
		r := &lists[best][pos[best]]
		if err := p.Apply(r); err != nil {
			return nil, err
		}
		last = r.LSN
	}
}

// heardPeerSCL records the SCL a peer reported for stream st.
func (s *Segment) heardPeerSCL(peer int, st uint8, scl redo.LSN) {
	if peer < 0 || peer >= len(s.peers) {
		return
	}
	if st == 0 {
		s.peerSCL[peer] = scl
		return
	}
	for int(st) >= len(s.streamPeerSCL) {
		s.streamPeerSCL = append(s.streamPeerSCL, nil)
	}
	if len(s.streamPeerSCL[st]) != len(s.peers) {
		s.streamPeerSCL[st] = make([]redo.LSN, len(s.peers))
	}
	s.streamPeerSCL[st][peer] = scl
}

// peerAhead returns the peer that reported the highest SCL of stream st
// above this segment's, or -1.
func (s *Segment) peerAhead(st uint8) int {
	scls := s.peerSCL
	if st > 0 {
		if int(st) >= len(s.streamPeerSCL) {
			return -1
		}
		scls = s.streamPeerSCL[st]
	}
	best, own := -1, s.StreamSCL(st)
	for i, v := range scls {
		if v > own && (best < 0 || v > scls[best]) {
			best = i
		}
	}
	return best
}
