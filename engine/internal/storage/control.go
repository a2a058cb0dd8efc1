package storage

import (
	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/wire"
)

// Control requests reach a segment in a Control message whose Body is one
// of wire's request types; the answer is a ControlReply to the sender with
// Seg = the answering segment and N echoing the request's N. Between
// storage peers (Hydrate, Repair) the asker puts its own segment in N, so
// the reply finds it, and A carries a flag or LSN (see each type below).

func (n *Node) control(env wire.Env, m *wire.Msg) {
	switch req := m.Body.(type) {
	case *wire.RecoverQuery:
		n.recoverQuery(env, m)
	case *wire.Truncate:
		n.truncate(env, m, req, nil)
	case *wire.TruncateAll:
		// A TruncateAll carries the whole history its recovery found, even
		// when that is empty: an earlier recovery that never truncated (it
		// was overtaken) leaves an epoch without a range, and without this
		// no node could ever become clean at the new epoch (swarm).
		prior := req.Prior
		if prior == nil {
			prior = []wire.Truncation{}
		}
		n.truncate(env, m, &req.Truncate, prior)
	case *wire.SetMembership:
		n.setMembership(env, m, req)
	case *wire.Hydrate:
		n.serveHydrate(env, m)
	case *wire.Repair:
		n.serveRepair(env, m, req)
	case *wire.StatusQuery:
		if s := n.lookup(m.PG, m.Seg); s != nil {
			n.reply(env, m, s, &wire.StatusInfo{SCL: s.SCL(), SCLs: s.streamSCLs(), Clean: n.cleanEpoch, Truncs: n.Truncations(),
				Hydrated: s.hydrated, Retired: s.retired, MemEpoch: s.quorum.Epoch()})
		}
	}
}

func (n *Node) controlReply(env wire.Env, m *wire.Msg) {
	switch d := m.Body.(type) {
	case *wire.HydrateData:
		s := n.lookup(m.PG, uint32(m.N))
		if s == nil || s.retired {
			return
		}
		n.enqueue(env, pending{kind: pendHydrate, from: m.From, seg: s, epoch: m.VolEpoch, memEpoch: m.MemEpoch, hyd: d}, d.Bytes)
	case *wire.RepairData:
		n.installRepair(env, m, d)
	}
}

func (n *Node) reply(env wire.Env, m *wire.Msg, s *Segment, body any) {
	r := wire.Msg{Kind: wire.ControlReply, From: n.ID, To: m.From, PG: m.PG, Seg: m.Seg, N: m.N, VolEpoch: n.volEpoch, Body: body}
	if s != nil {
		r.Seg, r.MemEpoch = s.ID, s.quorum.Epoch()
	}
	env.Send(r)
}

// recoverQuery answers crash recovery's question (SIGMOD'17 §4.3, step 1).
// Its floor is min(SCL, known VDL): the volume is durable up to there and
// this segment holds its PG's chain up to there, so it reports only the
// last record at or below it (FloorHead) and the heads of the records
// above it — at most RecoverHeadsMax, the lowest first, so recovery costs
// the same whatever the log's length — with the truncation ranges it holds.
//
// Answering also locks the door (SIGMOD'17 §4.3): the node takes the
// recovery's volume epoch before it reports what it holds, so it refuses
// the old writer from then on. Once a read quorum has answered, the old
// writer can no longer gather a write quorum (3 + 4 > 6), so nothing it
// writes afterwards can become durable behind the recovery's back, above
// the VDL the recovery computes from those answers.
//
// Answering also locks the door (SIGMOD'17 §4.3): the node takes the
// recovery's volume epoch before it reports what it holds, so it refuses
// the old writer from then on. Once a read quorum has answered, the old
// writer can no longer gather a write quorum (3 + 4 > 6), so nothing it
// writes afterwards can become durable behind the recovery's back, above
// the VDL the recovery computes from those answers. (Found by the swarm
// test: without it a fenced writer's in-flight commit reached VDL after
// the recovery had read, and was then truncated.)
func (n *Node) recoverQuery(env wire.Env, m *wire.Msg) {
	s := n.lookup(m.PG, m.Seg)
	if s == nil {
		return
	}
	if m.VolEpoch > n.volEpoch {
		n.raiseLock(env, m.VolEpoch, s, -1)
	}
	st := uint8(0)
	if q, ok := m.Body.(*wire.RecoverQuery); ok {
		st = q.Stream
	}
	known := n.knownVDL
	if st != 0 {
		known = n.streamVDL[st]
	}
	scl := s.StreamSCL(st)
	if known > scl {
		// The node heard a VDL its log does not reach (from a recovery
		// whose repair never finished, say). Recovery takes a reported VDL
		// only up to the floor, and finds CPLs only above it; report the
		// last consistency point the log holds instead, so a quorum of such
		// segments still yields a VDL, not zero (swarm: a recovery that
		// read only segments like this one recomputed VDL 0 and truncated
		// the whole volume).
		for j, _ := s.find(scl + 1); j > 0; j-- {
			if r := &s.log[j-1].Rec; r.Stream == st && r.CPL && r.LSN <= scl {
				known = r.LSN
				break
			}
		}
	}
	floor := min(scl, known)
	info := &wire.RecoverInfo{SCL: scl, KnownVDL: known, Floor: floor, Truncations: n.Truncations()}
	if k := len(s.log); k > 0 {
		info.Top = s.log[k-1].Rec.LSN
	}
	// The chain's floor is its last record already collected from the log.
	if int(st) < len(s.chains) {
		if c := s.chains[st].floor; c <= floor {
			info.FloorHead = c
		}
	}
	i, _ := s.find(floor + 1)
	for j := i - 1; j >= 0; j-- {
		if s.log[j].Rec.Stream == st {
			info.FloorHead = max(info.FloorHead, s.log[j].Rec.LSN)
			break
		}
	}
	var claims map[claimKey]redo.LSN
	if n.cfg.Conflicts {
		claims = s.claimMap()
	}
	for ; i < len(s.log) && len(info.Above) < n.cfg.RecoverHeadsMax; i++ {
		r := &s.log[i].Rec
		if r.Stream != st {
			continue
		}
		h := wire.RecordHead{LSN: r.LSN, PrevVolume: r.PrevVolume, PrevPG: r.PrevPG, CPL: r.CPL}
		if claims != nil {
			h.Page = r.Page
			if r.Op == redo.OpVoid {
				h.Void = redo.VoidLSNs(r.Key)
			} else if r.Page != 0 {
				h.Claimed = claims[claimKey{r.Page, r.PrevPage}] == r.LSN
			}
		}
		info.Above = append(info.Above, h)
	}
	n.reply(env, m, s, info)
}

// truncate records a recovery's truncation range (SIGMOD'17 §4.3, steps 3
// and 5): durable at once, its records dropped from every segment of the
// node, the SCL recomputed, and the new volume epoch accepted so older
// writers are refused. A Truncate of an epoch older than the node's is a
// stale recovery's, and is refused: TruncateDone then carries the newer
// epoch the node holds.
func (n *Node) truncate(env wire.Env, m *wire.Msg, t *wire.Truncate, prior []wire.Truncation) {
	s := n.lookup(m.PG, m.Seg)
	if s == nil {
		return
	}
	e := t.Range.Epoch
	if e < n.volEpoch {
		n.refusedStale(env, s, "truncation", e, n.volEpoch)
		n.reply(env, m, s, &wire.TruncateDone{SCL: s.StreamSCL(t.Range.Stream), Epoch: n.volEpoch})
		return
	}
	before, dropped0 := s.SCL(), n.stats.Truncated
	// The node knows every range once it knew them up to the epoch before,
	// or the recovery sent its whole history.
	if prior != nil || n.cleanEpoch+1 >= e {
		all := append(append(make([]wire.Truncation, 0, len(prior)+1), prior...), t.Range)
		// The recovery's VDL is not taken as the known VDL: the recovery
		// may never finish (its writer crashes, another overtakes it), and
		// the next may recover a lower VDL when the records above it
		// never reached a write quorum. Coalescing and staging up to it
		// would then bake annulled records into pages and the backup
		// (found by the swarm test). The new writer tells the VDL once it
		// has opened the volume.
		n.installHistory(env, s.PG, all, e, redo.NoLSN, "recovery")
	} else {
		n.addTruncation(t.Range)
		n.raiseLock(env, e, s, -1)
		n.saveNode()
	}
	n.note(env, "truncate", s.PG, "s%d truncated [%d, %d] at volume epoch %d: %d records dropped, SCL %d→%d",
		s.ID, t.Range.From, t.Range.To, e, n.stats.Truncated-dropped0, before, s.SCL())
	n.reply(env, m, s, &wire.TruncateDone{SCL: s.StreamSCL(t.Range.Stream), Epoch: n.volEpoch})
}

// setMembership installs a PG membership of a newer epoch (SIGMOD'18
// §4.1). From then on the segment refuses writes and gossip of older
// membership epochs. A segment the new membership leaves out retires: it
// refuses writes and stops gossiping.
func (n *Node) setMembership(env wire.Env, m *wire.Msg, sm *wire.SetMembership) {
	s := n.lookup(m.PG, m.Seg)
	if s == nil {
		return
	}
	old := s.quorum.Epoch()
	if e := sm.Quorum.Epoch(); e > old {
		s.quorum = sm.Quorum
		s.setPeers(sm.Peers)
		if sm.Quorum.Len() > 0 {
			if _, ok := sm.Quorum.Slot(quorum.Member(s.ID)); !ok {
				s.retired = true
			}
		}
		n.saveMeta(s)
		what := ""
		if s.retired {
			what = ", retired"
		}
		n.note(env, "membership", s.PG, "s%d membership epoch %d→%d, %d peers%s", s.ID, old, e, len(s.peers), what)
	}
	n.reply(env, m, s, &wire.MembershipDone{Epoch: s.quorum.Epoch(), SCLs: s.streamSCLs(), Clean: n.cleanEpoch})
}

// askHydrate asks a peer for a copy of the segment (SIGMOD'18 §4.2): a
// full peer for a full segment, which needs a base to start from, and any
// peer for a tail. Peers are tried in slot order, one per retry interval.
// Control: Seg = the peer's segment, N = the asking segment, A = 1 when
// the asker is full and wants pages.
func (n *Node) askHydrate(env wire.Env, s *Segment) { n.askHydrateFrom(env, s, -1) }

// askHydrateFrom is askHydrate from peer (its index in s.peers), when it
// can serve the segment, or else from the next peer in slot order.
func (n *Node) askHydrateFrom(env wire.Env, s *Segment, peer int) {
	var cands [16]int
	k := 0
	for i, p := range s.peers {
		if (!s.Full || p.Full) && k < len(cands) {
			cands[k] = i
			k++
		}
	}
	if k == 0 {
		return
	}
	p := s.peers[cands[s.hydrateTries%k]]
	if peer >= 0 && peer < len(s.peers) && (!s.Full || s.peers[peer].Full) {
		p = s.peers[peer]
	}
	if s.hydrateTries == 0 {
		s.hydrateStart = env.Now()
	}
	s.hydrateTries++
	s.hydrateAsked = true
	var full redo.LSN
	if s.Full {
		full = 1
	}
	env.Send(wire.Msg{
		Kind: wire.Control, From: n.ID, To: p.Node, PG: s.PG, Seg: p.Seg, N: int64(s.ID),
		VolEpoch: n.cleanEpoch, MemEpoch: s.quorum.Epoch(), A: full, Body: &wire.Hydrate{},
	})
	n.alarm(env, n.cfg.HydrateRetryInterval, alarmHydrate, s)
}

// catchUp fills a segment that fell behind what its peers have collected
// from a peer's copy, as a hydration does: from peer, which has collected
// past the segment's SCL and so holds a newer copy.
func (n *Node) catchUp(env wire.Env, s *Segment, peer int) {
	if s.hydrateAsked {
		return
	}
	n.note(env, "hydrate", s.PG, "s%d is behind its peers' GC at SCL %d: refilling from a peer", s.ID, s.SCL())
	n.askHydrateFrom(env, s, peer)
}

// serveHydrate answers Hydrate with a copy of the segment: the base pages
// when the asker is full and this segment is, and the log above them; a
// tail asker gets the log above this segment's floor. HydrateData is sized
// like the data, so the network's bandwidth makes the transfer take
// size/bandwidth: the MTTR of SIGMOD'17 §2.2. A segment that is itself
// filling, or holds known damage, does not answer; the asker tries
// another peer.
func (n *Node) serveHydrate(env wire.Env, m *wire.Msg) {
	s := n.lookup(m.PG, m.Seg)
	if s == nil || s.retired || !s.hydrated || len(s.bad) > 0 {
		return
	}
	if m.MemEpoch < s.quorum.Epoch() {
		n.refusedStale(env, s, "hydration", m.MemEpoch, s.quorum.Epoch())
		return
	}
	d := &wire.HydrateData{SCL: s.SCL(), KnownVDL: n.knownVDL, Truncs: n.Truncations()}
	if m.A == 1 && s.Full {
		d.BaseLSN = s.coalesced
		d.Pages = make([]any, 0, len(s.bases))
		for i, b := range s.bases {
			if !s.pageOK(b) {
				n.foundBad(env, s, badItem{page: b.Page.ID}, "hydration")
				return
			}
			// The peer installs the page itself as its base: from now
			// on it is shared, and coalescing here must copy it.
			s.bases[i].own = false
			d.Pages = append(d.Pages, b.Page)
			d.Bytes += b.Page.Size()
		}
	} else {
		d.BaseLSN = s.floor(0)
	}
	i, _ := s.find(d.BaseLSN + 1)
	d.Records = make([]redo.Record, 0, len(s.log)-i)
	for ; i < len(s.log); i++ {
		sr := &s.log[i]
		if !s.recordOK(sr) {
			n.foundBad(env, s, badItem{lsn: sr.Rec.LSN}, "hydration")
			return
		}
		d.Records = append(d.Records, sr.Rec)
		d.Bytes += sr.Rec.Size()
	}
	r := wire.Msg{Kind: wire.ControlReply, From: n.ID, To: m.From, PG: s.PG, Seg: s.ID, N: m.N, VolEpoch: n.cleanEpoch, MemEpoch: s.quorum.Epoch(), Body: d}
	env.Send(r)
}

// installHydrate installs a peer's copy once the disk has written it: the
// truncation history first, then the bases and the log above them, merged
// with the records the segment took meanwhile. Gossip brings the rest.
func (n *Node) installHydrate(env wire.Env, p *pending) {
	s, d := p.seg, p.hyd
	s.hydrateAsked = false
	if s.retired || p.epoch < n.cleanEpoch || p.memEpoch < s.quorum.Epoch() {
		return // a stale peer's copy; the retry asks another
	}
	if p.epoch > n.cleanEpoch {
		n.installHistory(env, s.PG, d.Truncs, p.epoch, d.KnownVDL, "hydration")
	} else if n.cleanEpoch == n.volEpoch && d.KnownVDL > n.knownVDL {
		n.knownVDL = d.KnownVDL
		n.vdlDirty = true
	}
	base := d.BaseLSN
	if s.hydrated && (base < s.coalesced || base < s.collected || d.SCL <= s.SCL() && len(s.bad) == 0) {
		return // the copy is no newer than what the segment holds, nor repairs it
	}
	if s.Full {
		s.bases = s.bases[:0]
		for _, x := range d.Pages {
			pg := x.(*page.Page)
			s.bases = append(s.bases, StoredPage{Page: pg, Sum: pg.Checksum()})
		}
		s.coalesced = base
	}
	k, _ := s.find(base + 1)
	s.log = append(s.log[:0], s.log[k:]...)
	s.collected = max(s.collected, base)
	s.chains[0].floor = max(s.chains[0].floor, base)
	s.bad = s.bad[:0]
	added := 0
	for i := range d.Records {
		r := &d.Records[i]
		if len(n.truncs) > 0 && n.truncated(r.LSN, r.Stream) {
			continue
		}
		if s.add(StoredRecord{Rec: *r, lazy: true}) {
			added++
		}
	}
	s.rebuildChains()
	s.hydrated = true
	// The peer copied may have been behind the others (it was down while
	// they took writes, say), and with no write arriving the segment would
	// not know: it gossips with each peer in turn in the next rounds, and
	// a peer ahead fills it, or has it refill from a newer copy.
	s.probe = len(s.peers)
	// Hydration rewrites the whole segment on disk.
	n.chg = Change{Kind: ChangeReset, Seg: s.ID}
	n.store.Write(&n.chg)
	n.chg = Change{Kind: ChangePages, Seg: s.ID, Pages: s.bases}
	n.store.Write(&n.chg)
	n.chg = Change{Kind: ChangeRecords, Seg: s.ID, Records: s.log}
	n.store.Write(&n.chg)
	n.chg = Change{}
	n.saveMeta(s)
	n.stats.Hydrations++
	n.stats.RecordsPersisted += int64(added)
	n.note(env, "hydrate", s.PG, "s%d hydrated: %d pages and %d records (%d bytes) at base %d, SCL %d, %v after it asked",
		s.ID, len(d.Pages), len(d.Records), d.Bytes, base, s.SCL(), env.Now()-s.hydrateStart)
	s.hydrateTries = 0
}

// serveRepair answers Repair with good copies: the records asked for that
// this segment holds undamaged, and the page as of the version the asker
// wants (Control A) when this segment can materialise it. The reply says
// how far this segment has coalesced (A) and collected (B), so an asker
// whose damage lies below them knows no peer's log can repair it.
func (n *Node) serveRepair(env wire.Env, m *wire.Msg, req *wire.Repair) {
	s := n.lookup(m.PG, m.Seg)
	if s == nil || s.retired || !s.hydrated {
		return
	}
	d := &wire.RepairData{}
	for _, l := range req.LSNs {
		if i, ok := s.find(l); ok && s.log[i].intact() {
			d.Records = append(d.Records, s.log[i].Rec)
			d.Bytes += s.log[i].Rec.Size()
		}
	}
	if req.Page != 0 {
		if p, _, err := s.materialize(req.Page, m.A, m.A); err == nil {
			d.Page = p
			d.Bytes += p.Size()
		}
	}
	// A and B tell the asker what this segment can no longer give: its
	// bases are at A, and its log holds no record at or below B.
	r := wire.Msg{Kind: wire.ControlReply, From: n.ID, To: m.From, PG: s.PG, Seg: s.ID, N: m.N, VolEpoch: n.cleanEpoch, MemEpoch: s.quorum.Epoch(),
		A: s.coalesced, B: s.floor(0), Body: d}
	env.Send(r)
}

// installRepair replaces damaged copies with the good ones a peer sent. A
// record is taken only if it matches the checksum stored when the damaged
// copy was first persisted; a page only if it is the version the base
// should hold.
func (n *Node) installRepair(env wire.Env, m *wire.Msg, d *wire.RepairData) {
	s := n.lookup(m.PG, uint32(m.N))
	if s == nil {
		return
	}
	for _, r := range d.Records {
		i, ok := s.find(r.LSN)
		if !ok || s.log[i].intact() || recordSum(&r) != s.log[i].Sum {
			continue
		}
		s.log[i].Rec = r
		n.chg = Change{Kind: ChangeRecords, Seg: s.ID, Records: s.log[i : i+1]}
		n.store.Write(&n.chg)
		n.chg = Change{}
		s.clearBad(badItem{lsn: r.LSN})
		n.stats.Repaired++
		n.note(env, "repair", s.PG, "s%d record %d repaired from a peer's copy", s.ID, r.LSN)
	}
	if p, ok := d.Page.(*page.Page); ok && p != nil {
		j, found := s.findBase(p.ID)
		if !found || s.bases[j].intact() || p.LSN > s.coalesced {
			return
		}
		// The base holds the page as of the coalesced LSN; the peer's copy
		// is that version when no record of the page lies between them.
		i, _ := s.find(p.LSN + 1)
		for ; i < len(s.log) && s.log[i].Rec.LSN <= s.coalesced; i++ {
			if s.log[i].Rec.Page == p.ID {
				return
			}
		}
		s.bases[j] = StoredPage{Page: p, Sum: p.Checksum()}
		n.chg = Change{Kind: ChangePages, Seg: s.ID, Pages: s.bases[j : j+1]}
		n.store.Write(&n.chg)
		n.chg = Change{}
		s.clearBad(badItem{page: p.ID})
		n.stats.Repaired++
		n.note(env, "repair", s.PG, "s%d base page %v repaired from a peer's copy", s.ID, p.ID)
	}
	n.repairByCopy(env, m, s, d)
}

// repairByCopy refills a damaged segment from a peer's full copy, as
// hydration does, when the peer cannot send what is damaged: a record it
// has already collected from its log (at or below its floor, m.B), or a
// base page of a version older than its own bases (m.A). Every peer
// coalesces and collects alike, so asking another would not help, and
// without this the damage would block coalescing, and so garbage
// collection, on this segment for good.
func (n *Node) repairByCopy(env wire.Env, m *wire.Msg, s *Segment, d *wire.RepairData) {
	if s.hydrateAsked || !s.hydrated {
		return
	}
	for _, it := range s.bad {
		gone := it.page == 0 && it.lsn <= m.B || it.page != 0 && d.Page == nil && m.A > s.coalesced
		if gone {
			what := "record " + it.lsn.String()
			if it.page != 0 {
				what = "base page " + it.page.String()
			}
			n.note(env, "repair", s.PG, "s%d %s is no longer in its peers' logs: refilling from a peer's copy", s.ID, what)
			n.askHydrate(env, s)
			return
		}
	}
}
