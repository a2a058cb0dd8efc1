package storage

import (
	"errors"
	"slices"
	"strconv"

	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/wire"
)

// coalesceRound is pipeline step 5 (SIGMOD'17 §3.3): full segments apply
// their records to the base pages, up to min(PGMRPL, SCL, known VDL).
// Never above PGMRPL, because a reader at the minimum read point still
// needs the versions in between (SIGMOD'17 §4.2.3, M12); never above the
// VDL, because only durable records are final; never above the SCL,
// because the page chain must be complete. Tail segments keep log only
// (SIGMOD'18 §4.2).
func (n *Node) coalesceRound(env wire.Env) {
	for _, s := range n.segs {
		if s.Full && s.hydrated && !s.retired {
			n.coalesce(env, s)
		}
	}
	if n.vdlDirty {
		n.saveNode()
	}
}

// coalesce advances s's bases and returns how many records it applied.
func (n *Node) coalesce(env wire.Env, s *Segment) int {
	t := min(s.pgmrpl, s.SCL(), n.knownVDL)
	if t <= s.coalesced {
		return 0
	}
	n.checkLent()
	touched := n.pages[:0] // the new bases, by page ID
	last, applied := s.coalesced, 0
	// k is the index in touched of the last record's page: a page's
	// records often come in a row, and then it is not looked up again.
	k := -1
	i, _ := s.find(s.coalesced + 1)
scan:
	for ; i < len(s.log) && s.log[i].Rec.LSN <= t; i++ {
		sr := &s.log[i]
		if !s.recordOK(sr) {
			n.foundBad(env, s, badItem{lsn: sr.Rec.LSN}, "coalesce")
			break
		}
		if id := sr.Rec.Page; id != 0 {
			if k < 0 || touched[k].Page.ID != id {
				var ok bool
				if k, ok = findPage(touched, id); !ok {
					var p *page.Page
					if j, ok := s.findBase(id); ok {
						b := s.bases[j]
						if !s.pageOK(b) {
							n.foundBad(env, s, badItem{page: id}, "coalesce")
							break scan
						}
						p = b.Page
						if !b.own {
							p = p.Clone()
						}
					} else {
						p = page.New(id)
					}
					touched = insertPage(touched, k, StoredPage{Page: p, own: n.mem != nil})
				}
			}
			if err := touched[k].Page.Apply(&sr.Rec); err != nil {
				panic("storage: " + n.Name + " s" + strconv.FormatUint(uint64(s.ID), 10) + ": coalescing below SCL " +
					s.SCL().String() + ": " + err.Error())
			}
		}
		last = sr.Rec.LSN
		applied++
	}
	if applied == 0 {
		n.pages = touched[:0]
		return 0
	}
	for k := range touched {
		p := &touched[k]
		p.lazy = true
		if j, ok := s.findBase(p.Page.ID); ok {
			s.bases[j] = *p
		} else {
			s.bases = insertPage(s.bases, j, *p)
		}
	}
	if len(touched) > 0 {
		n.chg = Change{Kind: ChangePages, Seg: s.ID, Pages: touched}
		n.store.Write(&n.chg)
		n.chg = Change{}
	}
	clear(touched)
	n.pages = touched[:0]
	s.coalesced = last
	n.saveMeta(s)
	n.stats.Coalesced += int64(applied)
	return applied
}

// Coalescing applies records to a base page in place when the segment
// owns it (StoredPage.own), and to a copy otherwise. A page coalescing made
// (new, or a copy) is owned while the node's store is a MemStore: the
// store keeps the same pointer, but every change to the page is written to
// it in the same step, so the stored base is always the node's. The mark
// is cleared wherever the pointer escapes further: a hydration sends it
// to a peer, which keeps it as its base; MemStore.Load and Changes hand
// the store's pages out (a restart, a disk snapshot for the page), which
// checkLent notices; a load installs pages others hold. With any other
// store (a Journal keeps the pages it is given until drained) nothing is
// owned, and every coalesce copies.

// checkLent clears every base's own mark if the MemStore handed out its
// pages since the node last looked.
func (n *Node) checkLent() {
	if n.mem == nil || n.mem.lent == n.lentSeen {
		return
	}
	n.lentSeen = n.mem.lent
	for _, s := range n.segs {
		for i := range s.bases {
			s.bases[i].own = false
		}
	}
}

// stageRound is pipeline step 6: each segment sends the backup store the
// durable records (at or below the known VDL, and gap-free) it has not yet
// seen staged. Stage: A = the LSN the batch continues from — the backup
// store must already hold the PG's records up to it — and Batch the
// records above it. StageAck: A = the highest LSN the store holds for the
// PG, N = how many records of this batch it kept. Every segment of the PG
// stages; a segment whose batch added something goes on at once with the
// next, the others wait for the next round, so one segment soon does the
// work and the rest only learn how far the store is.
func (n *Node) stageRound(env wire.Env) {
	if !n.cfg.HasBackup {
		return
	}
	for _, s := range n.segs {
		n.stage(env, s)
	}
}

// stage sends s's next Stage batch, if it has one.
func (n *Node) stage(env wire.Env, s *Segment) {
	if s.retired || !s.hydrated {
		return
	}
	from := max(s.staged, s.floor(0))
	upto := min(n.knownVDL, s.SCL())
	if upto <= from {
		return
	}
	i, _ := s.find(from + 1)
	// The batch is sized to what it will hold, so it is allocated once.
	j, _ := s.find(upto + 1)
	size := min(j-i, n.cfg.StageBatchRecords)
	var b *redo.Batch
	for k := 0; i < len(s.log) && s.log[i].Rec.LSN <= upto && k < n.cfg.StageBatchRecords; i++ {
		sr := &s.log[i]
		if !s.recordOK(sr) {
			n.foundBad(env, s, badItem{lsn: sr.Rec.LSN}, "staging")
			break
		}
		if b == nil {
			b = n.stageBatch(s.PG, size)
		}
		b.AddRef(&sr.Rec)
		k++
	}
	if b == nil {
		return
	}
	// Track the batch until the store's ack says it has been read.
	s.staging++
	if s.staging == 1 {
		s.stageOut = b
	} else {
		s.stageOut = nil // which ack answers which batch is unknown
	}
	env.Send(wire.Msg{Kind: wire.Stage, From: n.ID, To: n.cfg.Backup, PG: s.PG, Seg: s.ID, VolEpoch: n.cleanEpoch, A: from, Batch: b})
}

// stageBatch returns an empty batch of pg with room for size records: one
// the backup store is done with, or a new one.
//
// Every segment of a PG stages the same records, so Stage batches are the
// largest thing a node allocates. The backup store copies what it keeps
// and never holds a batch past handling it, and a batch travels in one
// message only, so once the store has acknowledged every batch a segment
// sent, the last of them is free to fill again.
func (n *Node) stageBatch(pg redo.PGID, size int) *redo.Batch {
	k := len(n.stageFree)
	if k == 0 {
		return &redo.Batch{PG: pg, Records: make([]redo.Record, 0, size)}
	}
	// The smallest kept batch that holds size records, leaving the larger
	// ones for larger batches. When none does, a new one half as large
	// again as the largest (up to the most a batch holds), and the kept
	// ones stay for smaller batches: batches vary in size, and the kept
	// ones soon hold the largest. Doubling overshot: a node's batches
	// outgrow the kept ones a few times early in a volume's life, and
	// twice the room was mostly never filled.
	big := 0
	for i, b := range n.stageFree {
		c, best := cap(b.Records), cap(n.stageFree[big].Records)
		if best < size && c > best || c >= size && c < best {
			big = i
		}
	}
	b := n.stageFree[big]
	if c := cap(b.Records); c < size {
		return &redo.Batch{PG: pg, Records: make([]redo.Record, 0, min(max(size, c+c/2), n.cfg.StageBatchRecords))}
	}
	n.stageFree[big] = n.stageFree[k-1]
	n.stageFree[k-1] = nil
	n.stageFree = n.stageFree[:k-1]
	b.Reset(pg)
	return b
}

// stageFreeMax bounds the batches a node keeps for reuse: a segment
// stages one batch at a time, and few segments stage at once.
const stageFreeMax = 4

// keepBatch keeps b, which the backup store is done with, for reuse: in
// place of the smallest kept batch when the node keeps as many as it may.
func (n *Node) keepBatch(b *redo.Batch) {
	if len(n.stageFree) < stageFreeMax {
		n.stageFree = append(n.stageFree, b)
		return
	}
	small := 0
	for i, f := range n.stageFree {
		if cap(f.Records) < cap(n.stageFree[small].Records) {
			small = i
		}
	}
	if cap(b.Records) > cap(n.stageFree[small].Records) {
		n.stageFree[small] = b
	}
}

// stageAck takes the backup store's high-water mark for the PG, and goes on
// staging if this segment's batch was the one that moved it.
func (n *Node) stageAck(env wire.Env, m *wire.Msg) {
	s := n.lookup(m.PG, m.Seg)
	if s == nil {
		return
	}
	n.stats.Staged += m.N
	if s.staging > 0 {
		s.staging--
		if s.staging == 0 && s.stageOut != nil {
			n.keepBatch(s.stageOut)
			s.stageOut = nil
		}
	}
	if m.A > s.staged {
		s.staged = m.A // written lazily, with the next metadata change
		s.metaDirty = true
	}
	if m.N > 0 && n.cfg.HasBackup {
		n.stage(env, s)
	}
}

// gcRound is pipeline step 7: drop hot-log records that are in the bases
// and staged. A full segment keeps every record above its coalesced LSN,
// which is at most PGMRPL, so no version a read at or above PGMRPL needs
// is ever dropped (M12); base pages are the only older versions kept. A
// tail segment drops staged records below PGMRPL and the known VDL.
func (n *Node) gcRound(env wire.Env) {
	for _, s := range n.segs {
		if s.retired {
			continue
		}
		n.collect(env, s)
	}
	if n.vdlDirty {
		n.saveNode()
	}
}

// collect runs GC on s and returns how many records it dropped.
func (n *Node) collect(_ wire.Env, s *Segment) int {
	var g redo.LSN
	if s.Full {
		if !s.hydrated {
			return 0
		}
		g = min(s.coalesced, s.staged)
	} else {
		g = min(s.staged, s.pgmrpl, n.knownVDL, s.SCL())
	}
	i, _ := s.find(g + 1) // log[:i] are the records at or below g
	if i == 0 {
		if s.metaDirty {
			n.saveMeta(s) // the lazily written watermarks
		}
		return 0
	}
	for j := range i {
		r := &s.log[j].Rec
		if c := &s.chains[r.Stream]; r.LSN > c.floor {
			c.floor = r.LSN
		}
	}
	last := s.log[i-1].Rec.LSN
	s.bad = slices.DeleteFunc(s.bad, func(b badItem) bool { return b.page == 0 && b.lsn <= last })
	// What lies past the new end is not cleared (slices.Delete would):
	// appends overwrite it, and until then it only keeps collected
	// records' keys and values reachable, no more than the array holds.
	s.log = s.log[:copy(s.log, s.log[i:])]
	if len(s.log) == 0 {
		n.logs.put(s.log) // for the next log that grows
		s.log = nil
	}
	s.collected = last
	n.chg = Change{Kind: ChangeDrop, Seg: s.ID, From: redo.NoLSN, To: last}
	n.store.Write(&n.chg)
	n.chg = Change{}
	n.saveMeta(s)
	n.stats.Collected += int64(i)
	return i
}

// scrubRound is pipeline step 8 (SIGMOD'18 §2.1, "scrub"): check a slice
// of the node's stored records and base pages against the checksums taken
// when they were written, moving on from where the last round stopped.
func (n *Node) scrubRound(env wire.Env) {
	budget := n.cfg.ScrubBatch
	for k := 0; k < len(n.segs) && budget > 0; k++ {
		i := n.scrubSeg % len(n.segs)
		if n.scrub(env, n.segs[i], &budget) {
			n.scrubSeg = i + 1
		}
	}
}

// scrub checks s from its cursors until the budget is spent, and reports
// whether it finished a pass over s.
func (n *Node) scrub(env wire.Env, s *Segment, budget *int) bool {
	// scrubPage is 0 while scrub walks the log, then one more than the
	// next page to check.
	if s.scrubPage == 0 {
		i, _ := s.find(s.scrubLSN)
		for ; i < len(s.log) && *budget > 0; i++ {
			*budget--
			n.stats.Scrubbed++
			if sr := &s.log[i]; !s.recordOK(sr) {
				n.foundBad(env, s, badItem{lsn: sr.Rec.LSN}, "scrub")
			}
		}
		if i < len(s.log) {
			s.scrubLSN = s.log[i].Rec.LSN
			return false
		}
		s.scrubPage = 1
	}
	j, _ := s.findBase(s.scrubPage - 1)
	for ; j < len(s.bases) && *budget > 0; j++ {
		*budget--
		n.stats.Scrubbed++
		if b := s.bases[j]; !s.pageOK(b) {
			n.foundBad(env, s, badItem{page: b.Page.ID}, "scrub")
		}
	}
	if j < len(s.bases) {
		s.scrubPage = s.bases[j].Page.ID + 1
		return false
	}
	s.scrubLSN, s.scrubPage = 0, 0
	return true
}

// foundBad records damage found by scrub, a read or a background step,
// and asks a peer for a good copy: at once when the damage is news, and
// again on every scrub pass until it is repaired.
func (n *Node) foundBad(env wire.Env, s *Segment, it badItem, by string) {
	news := s.markBad(it)
	if news {
		n.stats.CorruptFound++
		what := "record " + it.lsn.String()
		if it.page != 0 {
			what = "base page " + it.page.String()
		}
		n.note(env, "corruption", s.PG, "s%d %s failed its checksum (found by %s)", s.ID, what, by)
	}
	if news || by == "scrub" {
		n.askRepair(env, s, it)
	}
}

// askRepair sends Repair for one damaged item to a peer that can have a
// good copy: any peer for a record, a full peer for a page. Control:
// Seg = the peer's segment, N = the asking segment, A = for a page, the
// version wanted (the asker's coalesced LSN).
func (n *Node) askRepair(env wire.Env, s *Segment, it badItem) {
	var cands [16]int
	k := 0
	for i, p := range s.peers {
		if (it.page == 0 || p.Full) && k < len(cands) {
			cands[k] = i
			k++
		}
	}
	if k == 0 {
		return
	}
	p := s.peers[cands[env.Rand().IntN(k)]]
	req := &wire.Repair{Page: it.page}
	if it.page == 0 {
		req.LSNs = []redo.LSN{it.lsn}
	}
	env.Send(wire.Msg{
		Kind: wire.Control, From: n.ID, To: p.Node, PG: s.PG, Seg: p.Seg, N: int64(s.ID),
		VolEpoch: n.cleanEpoch, MemEpoch: s.quorum.Epoch(), A: s.coalesced, Body: req,
	})
}

// Errors of Corrupt.
var (
	ErrNoSegment = errors.New("storage: no segment of that protection group on the node")
	ErrEmpty     = errors.New("storage: the segment holds nothing to damage")
)

// Corrupt damages one stored item of the node's segment of pg, as a disk
// fault would: the copy on disk changes and no longer matches its
// checksum. The choice is deterministic: the lowest record above the
// coalesced LSN (the next to be coalesced, which blocks coalescing until it
// is repaired); else the base page with the lowest ID; else the lowest
// record. Scrub finds the damage; reads that need it are refused.
func (n *Node) Corrupt(pg redo.PGID) error {
	s := n.Segment(pg)
	if s == nil {
		return ErrNoSegment
	}
	n.taint = true
	for _, o := range n.segs {
		o.taint = true
	}
	i, _ := s.find(s.coalesced + 1)
	switch {
	case i < len(s.log):
	case len(s.bases) > 0:
		b := s.bases[0]
		p := b.Page.Clone()
		if len(p.Rows) > 0 {
			p.Rows[0].Value = damage(p.Rows[0].Value)
		} else {
			p.Header = damage(p.Header)
		}
		s.bases[0] = StoredPage{Page: p, Sum: b.sum()}
		n.chg = Change{Kind: ChangePages, Seg: s.ID, Pages: s.bases[:1]}
		n.store.Write(&n.chg)
		n.chg = Change{}
		return nil
	case len(s.log) > 0:
		i = 0
	default:
		return ErrEmpty
	}
	sr := s.log[i]
	sr.Sum, sr.lazy = sr.sum(), false
	sr.Rec.Value = damage(sr.Rec.Value)
	s.log[i] = sr
	n.chg = Change{Kind: ChangeRecords, Seg: s.ID, Records: s.log[i : i+1]}
	n.store.Write(&n.chg)
	n.chg = Change{}
	return nil
}

// damage returns a changed copy of b; b is shared with other copies and
// must not change.
func damage(b []byte) []byte {
	if len(b) == 0 {
		return []byte{0xa5}
	}
	c := slices.Clone(b)
	c[0] ^= 0xff
	return c
}
