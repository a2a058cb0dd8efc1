package storage

import (
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/wire"
)

// Gossip is pipeline step 4 (SIGMOD'17 §3.3): a segment asks a peer of its
// PG for the records it lacks. The protocol, on top of wire's:
//
//   - Gossip: Seg = the peer's segment, N = the asker's segment, A = the
//     asker's SCL, B = the lowest LSN the asker holds above its SCL (the top
//     of its first gap; NoLSN when it holds nothing above), VolEpoch = the
//     asker's clean epoch, MemEpoch = its membership epoch.
//   - GossipReply: Seg = the replier's segment, N = the asker's segment,
//     A = the replier's SCL, B = the replier's floor (it no longer holds
//     records at or below it), Batch = the records in (A, B) of the
//     request it holds — bounded — and VolEpoch, MemEpoch as above. When
//     the asker's clean epoch is older, Body is a *wire.RecoverInfo with
//     the replier's truncation ranges, so the asker learns the recoveries
//     it missed before it takes a record.
//
// Sending the gap first is what closes gaps fastest: the records right
// above the SCL are exactly the ones that let it advance. A segment
// gossips when it has a gap, when a peer reported a higher SCL, when the
// node is behind on truncations, or after GossipIdleRounds quiet rounds.

// gossipRound sends one Gossip for each segment that has reason to.
func (n *Node) gossipRound(env wire.Env) {
	for _, s := range n.segs {
		if s.retired || len(s.peers) == 0 {
			continue
		}
		if !s.hydrated {
			if !s.hydrateAsked {
				n.askHydrate(env, s)
			}
			continue
		}
		need := s.waiting() || n.behind() || s.idleRounds >= n.cfg.GossipIdleRounds
		// With several writers, gossip takes turns over the writer
		// streams: each has its own chain, with its own gaps. A stream a
		// peer is known to be ahead on goes first.
		st := uint8(0)
		if streams := uint8(max(len(s.chains), n.cfg.Streams)); n.cfg.Conflicts && streams > 1 {
			st = s.gossipStream % streams
			for k := range streams {
				if c := (st + k) % streams; s.peerAhead(c) >= 0 {
					st = c
					break
				}
			}
			s.gossipStream = (st + 1) % streams
		}
		best := s.peerAhead(st)
		if best >= 0 || s.probe > 0 {
			need = true
		}
		if !need {
			s.idleRounds++
			continue
		}
		s.idleRounds = 0
		// Half the time ask the peer known to be furthest ahead; otherwise
		// a peer at random, so stale knowledge of peers is refreshed.
		peer := best
		switch {
		case s.probe > 0:
			s.probe--
			peer = s.probe % len(s.peers)
		case peer < 0 || env.Rand().IntN(2) == 0:
			peer = env.Rand().IntN(len(s.peers))
		}
		n.sendGossip(env, s, peer, st)
	}
}

func (n *Node) sendGossip(env wire.Env, s *Segment, peer int, st uint8) {
	p := s.peers[peer]
	scl := s.StreamSCL(st)
	var top redo.LSN
	for i, _ := s.find(scl + 1); i < len(s.log); i++ {
		if s.log[i].Rec.Stream == st {
			top = s.log[i].Rec.LSN
			break
		}
	}
	n.stats.GossipSent++
	env.Send(wire.Msg{
		Kind: wire.Gossip, From: n.ID, To: p.Node, PG: s.PG, Seg: p.Seg, N: int64(s.ID), Stream: st,
		VolEpoch: n.cleanEpoch, MemEpoch: s.quorum.Epoch(), A: scl, B: top,
	})
}

// gossip answers a peer's Gossip.
func (n *Node) gossip(env wire.Env, m *wire.Msg) {
	s := n.lookup(m.PG, m.Seg)
	if s == nil || s.retired {
		return
	}
	n.stats.GossipReceived++
	reply := wire.Msg{
		Kind: wire.GossipReply, From: n.ID, To: m.From, PG: s.PG, Seg: s.ID, N: m.N, Stream: m.Stream,
		VolEpoch: n.cleanEpoch, MemEpoch: s.quorum.Epoch(), A: s.StreamSCL(m.Stream), B: s.floor(m.Stream),
	}
	peer := s.peerIndex(uint32(m.N))
	s.heardPeerSCL(peer, m.Stream, m.A)
	switch {
	case m.MemEpoch < s.quorum.Epoch():
		// SIGMOD'18 §4.1: every gossip carries the membership epoch and a
		// stale one is refused. The reply carries no records; its epoch
		// tells the asker why.
		n.refusedStale(env, s, "gossip", m.MemEpoch, s.quorum.Epoch())
		env.Send(reply)
		return
	case m.VolEpoch > n.volEpoch:
		n.raiseLock(env, m.VolEpoch, s, peer)
	}
	if m.VolEpoch > n.cleanEpoch {
		// The asker knows recoveries this node missed: what it holds may
		// include annulled records, so it sends none, and learns.
		n.pull(env, s, peer)
		env.Send(reply)
		return
	}
	if m.VolEpoch < n.cleanEpoch {
		reply.Body = &wire.RecoverInfo{SCL: s.SCL(), KnownVDL: n.knownVDL, Truncations: n.Truncations()}
	}
	i, _ := s.find(m.A + 1)
	var b *redo.Batch
	for k := 0; i < len(s.log) && k < n.cfg.GossipBatchRecords; i++ {
		sr := &s.log[i]
		if m.B != 0 && sr.Rec.LSN >= m.B {
			break
		}
		if sr.Rec.Stream != m.Stream {
			continue // the asker asked about one writer's chain
		}
		if !s.recordOK(sr) {
			// Never spread damage; scrub will repair it.
			n.foundBad(env, s, badItem{lsn: sr.Rec.LSN}, "gossip")
			break
		}
		if b == nil {
			b = &redo.Batch{PG: s.PG, Records: make([]redo.Record, 0, 8)}
		}
		b.AddRef(&sr.Rec)
		k++
	}
	reply.Batch = b
	env.Send(reply)
}

func (s *Segment) peerIndex(seg uint32) int {
	for i, p := range s.peers {
		if p.Seg == seg {
			return i
		}
	}
	return -1
}

// gossipReply takes a peer's answer: the records go through the disk
// queue like a write, and are added once durable.
func (n *Node) gossipReply(env wire.Env, m *wire.Msg) {
	s := n.lookup(m.PG, uint32(m.N))
	if s == nil || s.retired {
		return
	}
	peer := s.peerIndex(m.Seg)
	s.heardPeerSCL(peer, m.Stream, m.A)

	if m.MemEpoch < s.quorum.Epoch() {
		n.refusedStale(env, s, "gossip reply", m.MemEpoch, s.quorum.Epoch())
		return
	}
	if m.VolEpoch > n.cleanEpoch {
		if info, ok := m.Body.(*wire.RecoverInfo); ok {
			n.installHistory(env, s.PG, info.Truncations, m.VolEpoch, info.KnownVDL, "a peer")
		} else {
			n.raiseLock(env, m.VolEpoch, s, peer)
			n.pull(env, s, peer)
			return
		}
	}
	if m.VolEpoch < n.cleanEpoch {
		// A peer that missed a recovery this node knows of may hold the
		// records it annulled; take nothing from it.
		return
	}
	if !s.hydrated {
		return
	}
	b := m.Batch
	if m.Stream == 0 && m.B > s.SCL() && m.A > s.SCL() && (b == nil || b.Records[0].PrevPG != s.SCL()) {
		// The peer has collected past this segment's SCL: gossip cannot
		// bring the records in between any more. Fill from a full copy.
		n.catchUp(env, s, peer)
	}
	if b == nil || len(b.Records) == 0 {
		return
	}
	if b, _ = n.fresh(s, b, m.VolEpoch, m.MemEpoch); b == nil {
		return // all of it held, or already on its way to the disk
	}
	n.enqueue(env, pending{kind: pendGossip, from: m.From, seg: s, batch: b, epoch: m.VolEpoch, memEpoch: m.MemEpoch}, b.Size())
}

// persistGossip adds the records a peer sent, once the disk has them.
func (n *Node) persistGossip(env wire.Env, p *pending) {
	s := p.seg
	if s.retired || p.epoch < n.cleanEpoch || p.memEpoch < s.quorum.Epoch() {
		return
	}
	before, gap := s.SCL(), s.waiting()
	added := n.addRecords(env, s, p.batch.Records)
	n.stats.RecordsPersisted += int64(added)
	n.stats.GossipFilled += int64(added)
	if gap && s.SCL() > before {
		n.note(env, "gossip", s.PG, "s%d gap filled by gossip: %d records, SCL %d→%d", s.ID, added, before, s.SCL())
	}
}
