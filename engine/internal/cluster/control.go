package cluster

import (
	"fmt"
	"slices"

	"aurora-lab/engine/internal/db"
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/storage"
	"aurora-lab/engine/internal/volume"
	"aurora-lab/engine/internal/wire"
)

// controlPlane is the service that changes protection group membership: it
// replaces a failed (or hot) segment F by a new one G, using the membership
// epochs and dual quorum sets of SIGMOD'18 §4.1. Every step is a message:
// it announces the change, waits for a write quorum of the old membership
// to accept the new epoch, polls G until it has filled itself from its
// peers and its log reaches everything a write quorum of the old
// membership may hold (see need), and then completes the change — or
// reverts it, if F comes back first.
type controlPlane struct {
	c       *Cluster
	id      sim.NodeID
	changes []*change
	armed   bool
	// heard is when each writer stream's owner last said it is alive.
	heard     []sim.Time
	failovers int
}

type changePhase uint8

const (
	phaseAnnounce changePhase = iota + 1
	phaseHydrate
	phaseFinish
	phaseDone
)

type change struct {
	pg       redo.PGID
	old, new volume.Member
	from     quorum.Membership // the membership before the change
	dual     quorum.Membership // during the change
	phase    changePhase
	accepted quorum.Set // old members that accepted the dual membership
	// accSCLs and accClean are, per slot of from, the SCLs (per writer
	// stream) an old member held when it accepted, and the volume epoch
	// up to which it knew the truncations; truncs are the truncation
	// ranges the control plane has heard of since. From them, need says
	// how far the newcomer's log must reach.
	accSCLs  [quorum.MaxMembers][]redo.LSN
	accClean [quorum.MaxMembers]uint64
	truncs   []wire.Truncation
	// waitNoted is set once the newcomer reported itself filled while its
	// log fell short; hasLSN and needLSN are its last report and what it
	// needed, for the first stream short of it.
	waitNoted       bool
	hasLSN, needLSN redo.LSN
	revertOK        bool // F was down when the change began: its return reverts it
	started         sim.Time
	hydrated        sim.Time
	outcome         string
	announced       int
	final           quorum.Membership
	gone            volume.Member
	finAcked        map[uint32]bool
}

// alarms of the control plane.
const (
	alarmPoll = iota + 1
	alarmWatchdog
)

// watchEvery is how often the control plane checks that the writer spoke.
const watchEvery = 100 * sim.Millisecond

// pollEvery is how often the control plane re-sends and polls.
const pollEvery = 10 * sim.Millisecond

// Handle implements the control plane's side of the protocol.
func (cp *controlPlane) Handle(env wire.Env, m *wire.Msg) {
	switch m.Kind {
	case wire.Timer:
		if m.N == alarmWatchdog {
			cp.watch(env)
			return
		}
		cp.armed = false
		cp.poll(env)
	case wire.ControlReply:
		cp.reply(env, m)
	case wire.Heartbeat:
		s := int(m.N)
		for len(cp.heard) <= s {
			cp.heard = append(cp.heard, 0)
		}
		if w := cp.c.WriterOf(uint8(s)); w != nil && w.ID == m.From {
			cp.heard[s] = env.Now()
		}
	}
}

// start arms the watchdog when failover is automatic; the writers count as
// heard from at the start.
func (cp *controlPlane) start(env wire.Env) {
	cp.heard = make([]sim.Time, len(cp.c.writers))
	for i := range cp.heard {
		cp.heard[i] = env.Now()
	}
	if cp.c.cfg.FailoverAfter > 0 {
		env.After(watchEvery, wire.Msg{Kind: wire.Timer, From: cp.id, To: cp.id, N: alarmWatchdog})
	}
}

// watch promotes a replica when the writer of a single-writer cluster has
// been silent for FailoverAfter (its crash, or a partition from the
// control plane: either way the new volume epoch fences it off).
func (cp *controlPlane) watch(env wire.Env) {
	env.After(watchEvery, wire.Msg{Kind: wire.Timer, From: cp.id, To: cp.id, N: alarmWatchdog})
	c := cp.c
	if len(c.writers) != 1 || len(cp.heard) == 0 {
		return
	}
	w := c.WriterOf(0)
	if w.Recovering() || env.Now()-cp.heard[0] < c.cfg.FailoverAfter {
		return
	}
	in, err := c.Failover("")
	if err != nil {
		return // no replica is up: the writer's restart will recover
	}
	cp.failovers++
	cp.heard[0] = env.Now() // the new writer's grace period
	env.Note(wire.Note{Kind: "failover", Node: in.Name, Text: fmt.Sprintf("the control plane has not heard from %s for %v: %s promoted",
		w.Name, c.cfg.FailoverAfter, in.Name)})
}

func (cp *controlPlane) arm(env wire.Env) {
	if !cp.armed {
		cp.armed = true
		env.After(pollEvery, wire.Msg{Kind: wire.Timer, From: cp.id, To: cp.id, N: alarmPoll})
	}
}

func (cp *controlPlane) active() []*change {
	var out []*change
	for _, ch := range cp.changes {
		if ch.phase != phaseDone {
			out = append(out, ch)
		}
	}
	return out
}

// Replace begins replacing the segments that node holds: each gets a new
// segment on a node of the same AZ that holds none of its PG (onto, when
// given). It returns a line per segment.
func (c *Cluster) Replace(node, onto string) ([]string, error) {
	fid, ok := c.Lookup(node)
	if !ok {
		return nil, fmt.Errorf("no storage node called %q", node)
	}
	f, ok := c.handlers[fid].(*storage.Node)
	if !ok {
		return nil, fmt.Errorf("%s is not a storage node", node)
	}
	var out []string
	// Changes begun before an error for a later PG must still be driven.
	defer func() {
		if len(c.cp.active()) > 0 {
			c.cp.arm(c)
		}
	}()
	for i := range c.pgs {
		pg := redo.PGID(i + 1)
		p := &c.pgs[i]
		slot := slices.IndexFunc(p.members, func(m volume.Member) bool { return m.Node == fid })
		if slot < 0 {
			continue
		}
		if slices.ContainsFunc(c.cp.active(), func(ch *change) bool { return ch.pg == pg }) {
			return out, fmt.Errorf("%v is already changing membership", pg)
		}
		g, err := c.spareFor(p, f, onto)
		if err != nil {
			return out, fmt.Errorf("%v: %w", pg, err)
		}
		old := p.members[slot]
		c.segSeq++
		newM := volume.Member{Seg: c.segSeq, Node: g.ID, Name: g.Name, Full: old.Full}
		dual, err := p.q.Replace(quorum.Member(old.Seg), quorum.Member(newM.Seg))
		if err != nil {
			return out, fmt.Errorf("%v: %w", pg, err)
		}
		ch := &change{pg: pg, old: old, new: newM, from: p.q, dual: dual, phase: phaseAnnounce,
			revertOK: !c.net.Up(fid), started: c.now}
		members := c.membersOf(dual, append(slices.Clone(p.members), newM))
		g.Place(storage.Placement{Seg: newM.Seg, PG: pg, Full: newM.Full, Quorum: dual, Peers: peersOf(members), Hydrate: true})
		*p = pgInfo{members: members, q: dual}
		c.cp.changes = append(c.cp.changes, ch)
		c.cp.announce(c, ch)
		c.Note(wire.Note{Kind: "membership", PG: pg, Text: fmt.Sprintf("%v: replacing %s's segment s%d by s%d on %s: %s",
			pg, old.Name, old.Seg, newM.Seg, g.Name, dual.Describe(c.segName(members)))})
		out = append(out, fmt.Sprintf("%v: s%d on %s → s%d on %s, membership epoch %d (dual quorum while %s fills)",
			pg, old.Seg, old.Name, newM.Seg, g.Name, dual.Epoch(), g.Name))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no segment", node)
	}
	c.cp.arm(c)
	return out, nil
}

// spareFor picks the node that takes a new segment of p in place of f's.
func (c *Cluster) spareFor(p *pgInfo, f *storage.Node, onto string) (*storage.Node, error) {
	holds := func(n *storage.Node) bool {
		return slices.ContainsFunc(p.members, func(m volume.Member) bool { return m.Node == n.ID })
	}
	if onto != "" {
		id, ok := c.Lookup(onto)
		g, isNode := c.handlers[id].(*storage.Node)
		switch {
		case !ok || !isNode:
			return nil, fmt.Errorf("no storage node called %q", onto)
		case holds(g):
			return nil, fmt.Errorf("%s already holds a segment of the PG", onto)
		}
		return g, nil
	}
	for _, n := range c.Storage {
		if n.AZ == f.AZ && !holds(n) && c.net.Up(n.ID) {
			return n, nil
		}
	}
	return nil, fmt.Errorf("no spare node in AZ %s to take the segment: start the cluster with nodes_per_az=3 or more", f.AZ)
}

// membersOf orders members by the slots of q.
func (c *Cluster) membersOf(q quorum.Membership, all []volume.Member) []volume.Member {
	out := make([]volume.Member, 0, q.Len())
	for _, id := range q.Members() {
		i := slices.IndexFunc(all, func(m volume.Member) bool { return quorum.Member(m.Seg) == id })
		out = append(out, all[i])
	}
	return out
}

func peersOf(members []volume.Member) []wire.Peer {
	out := make([]wire.Peer, len(members))
	for i, m := range members {
		out[i] = wire.Peer{Seg: m.Seg, Node: m.Node, Full: m.Full}
	}
	return out
}

func (c *Cluster) segName(members []volume.Member) func(quorum.Member) string {
	return func(m quorum.Member) string {
		for _, x := range members {
			if quorum.Member(x.Seg) == m {
				return x.Name
			}
		}
		return m.String()
	}
}

// announce sends a membership to every member of it (and to the old
// member, so it retires), and tells the writers.
func (cp *controlPlane) announce(env wire.Env, ch *change) {
	p := &cp.c.pgs[ch.pg-1]
	members := p.members
	if !slices.ContainsFunc(members, func(m volume.Member) bool { return m.Seg == ch.old.Seg }) {
		members = append(slices.Clone(members), ch.old)
	}
	body := &wire.SetMembership{Quorum: p.q, Peers: peersOf(p.members)}
	for _, m := range members {
		env.Send(wire.Msg{Kind: wire.Control, From: cp.id, To: m.Node, PG: ch.pg, Seg: m.Seg, MemEpoch: p.q.Epoch(), Body: body})
	}
	for _, in := range cp.c.Instances {
		if in.Role == db.Writer {
			env.Send(wire.Msg{Kind: wire.Control, From: cp.id, To: in.ID, PG: ch.pg, MemEpoch: p.q.Epoch(),
				Body: &db.MembershipUpdate{Quorum: p.q, Members: p.members}})
		}
	}
	ch.announced++
}

// tellLate sends the dual membership to the old members that have not
// accepted it: down or cut off when it was announced. Until a member
// holds it, its peers refuse its gossip as stale, so records only it
// holds (a recovery may have chosen to keep them) could never spread.
// While the change fills, the PG's members are the dual membership's,
// which holds every old member.
func (cp *controlPlane) tellLate(env wire.Env, ch *change) {
	p := &cp.c.pgs[ch.pg-1]
	var body *wire.SetMembership
	for _, m := range p.members {
		if slot, ok := ch.from.Slot(quorum.Member(m.Seg)); !ok || ch.accepted.Has(slot) {
			continue
		}
		if body == nil {
			body = &wire.SetMembership{Quorum: p.q, Peers: peersOf(p.members)}
		}
		env.Send(wire.Msg{Kind: wire.Control, From: cp.id, To: m.Node, PG: ch.pg, Seg: m.Seg, MemEpoch: p.q.Epoch(), Body: body})
	}
}

func (cp *controlPlane) poll(env wire.Env) {
	for _, ch := range cp.active() {
		switch ch.phase {
		case phaseAnnounce:
			cp.announce(env, ch)
		case phaseHydrate:
			for _, m := range []volume.Member{ch.new, ch.old} {
				env.Send(wire.Msg{Kind: wire.Control, From: cp.id, To: m.Node, PG: ch.pg, Seg: m.Seg, Body: &wire.StatusQuery{}})
			}
			cp.tellLate(env, ch)
		case phaseFinish:
			cp.sendFinal(env, ch)
		}
	}
	if len(cp.active()) > 0 {
		cp.arm(env)
	}
}

func (cp *controlPlane) reply(env wire.Env, m *wire.Msg) {
	var ch *change
	for _, x := range cp.active() {
		if x.pg == m.PG {
			ch = x
		}
	}
	if ch == nil {
		return
	}
	switch body := m.Body.(type) {
	case *wire.MembershipDone:
		if ch.phase == phaseFinish {
			if body.Epoch >= ch.final.Epoch() {
				ch.finAcked[m.Seg] = true
				done := true
				for _, mem := range cp.c.pgs[ch.pg-1].members {
					done = done && ch.finAcked[mem.Seg]
				}
				if done {
					ch.phase = phaseDone
				}
			}
			return
		}
		if ch.phase == phaseHydrate && body.Epoch >= ch.dual.Epoch() {
			// A late member took the dual membership (tellLate). What it
			// holds now is at least what it held when the change took
			// effect, so its SCLs bound what it held then.
			if slot, ok := ch.from.Slot(quorum.Member(m.Seg)); ok && !ch.accepted.Has(slot) {
				ch.accepted |= 1 << slot
				ch.accSCLs[slot], ch.accClean[slot] = body.SCLs, body.Clean
			}
			return
		}
		if ch.phase != phaseAnnounce || body.Epoch < ch.dual.Epoch() {
			return
		}
		if slot, ok := ch.from.Slot(quorum.Member(m.Seg)); ok && !ch.accepted.Has(slot) {
			ch.accepted |= 1 << slot
			ch.accSCLs[slot], ch.accClean[slot] = body.SCLs, body.Clean
		}
		// The new epoch is in effect once a write quorum of the old
		// membership holds it: no write of the old epoch can complete.
		if ch.from.WriteOK(ch.accepted) {
			ch.phase = phaseHydrate
		}
	case *wire.StatusInfo:
		if ch.phase != phaseHydrate {
			return
		}
		for _, t := range body.Truncs {
			if !slices.Contains(ch.truncs, t) {
				ch.truncs = append(ch.truncs, t)
			}
		}
		switch m.Seg {
		case ch.new.Seg:
			// The newcomer is full once it has filled itself from a peer
			// and its log reaches everything a write quorum of the old
			// membership may hold: a peer it copied may have been behind.
			// Its SCLs count only if its node knows every truncation.
			if !body.Hydrated || body.Clean != m.VolEpoch {
				return
			}
			need := ch.need()
			for st, l := range need {
				var has redo.LSN
				if st < len(body.SCLs) {
					has = body.SCLs[st]
				}
				if has < l {
					ch.hasLSN, ch.needLSN = has, l
					if !ch.waitNoted {
						ch.waitNoted = true
						env.Note(wire.Note{Kind: "membership", PG: ch.pg, Text: fmt.Sprintf(
							"%v: s%d on %s has filled itself, but its log reaches only %d and a write quorum of the old membership may hold up to %d: the change waits while it catches up from its peers",
							ch.pg, ch.new.Seg, ch.new.Name, has, l)})
					}
					return
				}
			}
			ch.hydrated = cp.c.now
			cp.finish(env, ch, true)
		case ch.old.Seg:
			if ch.revertOK && !body.Retired {
				cp.finish(env, ch, false)
			}
		}
	}
}

// need reports, per writer stream, how far the newcomer's log must reach
// before the change completes: the highest LSN L such that the old members
// whose SCL reached L when they accepted, with the members that did not
// answer, make a write quorum of the old membership. Every record durable
// before the change took effect lies at or below it, so once the newcomer
// holds that much, every read quorum of the new membership still meets
// every write quorum of the old (SIGMOD'18 §4.1). An accepting member's
// SCL may count records that a recovery it had not heard of annulled: a
// truncation of a later volume epoch cuts it below the range.
func (ch *change) need() []redo.LSN {
	n := ch.from.Len()
	streams := 0
	for i := range n {
		streams = max(streams, len(ch.accSCLs[i]))
	}
	out := make([]redo.LSN, streams)
	var scl [quorum.MaxMembers]redo.LSN
	for st := range out {
		for i := range n {
			scl[i] = 0
			if !ch.accepted.Has(i) || st >= len(ch.accSCLs[i]) {
				continue
			}
			l := ch.accSCLs[i][st]
			for _, t := range ch.truncs {
				if t.Epoch > ch.accClean[i] && int(t.Stream) == st && t.From <= l {
					l = t.From - 1
				}
			}
			scl[i] = l
		}
		// The highest candidate that a write quorum reaches.
		for i := range n {
			l := scl[i]
			if !ch.accepted.Has(i) || l <= out[st] {
				continue
			}
			s := ch.from.All() &^ ch.accepted
			for j := range n {
				if ch.accepted.Has(j) && scl[j] >= l {
					s |= 1 << j
				}
			}
			if ch.from.WriteOK(s) {
				out[st] = l
			}
		}
	}
	return out
}

// finish completes the change (the newcomer is full) or reverts it (the
// old segment came back first), at the next membership epoch.
func (cp *controlPlane) finish(env wire.Env, ch *change, complete bool) {
	p := &cp.c.pgs[ch.pg-1]
	var q quorum.Membership
	var err error
	var gone volume.Member
	if complete {
		q, err = p.q.Complete(quorum.Member(ch.new.Seg))
		gone = ch.old
	} else {
		q, err = p.q.Revert(quorum.Member(ch.new.Seg))
		gone = ch.new
	}
	if err != nil {
		panic("cluster: finishing a membership change: " + err.Error())
	}
	all := slices.Clone(p.members)
	members := cp.c.membersOf(q, all)
	*p = pgInfo{members: members, q: q}
	ch.phase = phaseFinish
	ch.final, ch.gone, ch.finAcked = q, gone, map[uint32]bool{}
	cp.sendFinal(env, ch)
	cp.arm(env)
	if complete {
		ch.outcome = fmt.Sprintf("%v: s%d on %s is full after %v; change complete at epoch %d: %s",
			ch.pg, ch.new.Seg, ch.new.Name, ch.hydrated-ch.started, q.Epoch(), q.Describe(cp.c.segName(members)))
	} else {
		ch.outcome = fmt.Sprintf("%v: %s came back before s%d was full; change reverted at epoch %d: %s",
			ch.pg, ch.old.Name, ch.new.Seg, q.Epoch(), q.Describe(cp.c.segName(members)))
	}
	env.Note(wire.Note{Kind: "membership", PG: ch.pg, Text: ch.outcome})
}

// sendFinal (re)sends the final membership to its members, the leaving
// member and the writers, until every member has acknowledged it.
func (cp *controlPlane) sendFinal(env wire.Env, ch *change) {
	p := &cp.c.pgs[ch.pg-1]
	body := &wire.SetMembership{Quorum: ch.final, Peers: peersOf(p.members)}
	for _, m := range append(slices.Clone(p.members), ch.gone) {
		if !ch.finAcked[m.Seg] || m.Seg == ch.gone.Seg {
			env.Send(wire.Msg{Kind: wire.Control, From: cp.id, To: m.Node, PG: ch.pg, Seg: m.Seg, MemEpoch: ch.final.Epoch(), Body: body})
		}
	}
	for _, in := range cp.c.Instances {
		if in.Role == db.Writer {
			env.Send(wire.Msg{Kind: wire.Control, From: cp.id, To: in.ID, PG: ch.pg, MemEpoch: ch.final.Epoch(),
				Body: &db.MembershipUpdate{Quorum: ch.final, Members: p.members}})
		}
	}
}
