package storage

import (
	"fmt"
	"slices"

	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// Alarms of a storage node (wire.Timer, field N). Per-segment alarms name
// the segment in Seg.
const (
	alarmPersist = iota + 1
	alarmGossip
	alarmCoalesce
	alarmStage
	alarmGC
	alarmScrub
	alarmHydrate
)

// Node is one storage node: a host with a local disk holding segments of
// many protection groups. It handles one message at a time and never calls
// another node.
type Node struct {
	ID   sim.NodeID
	Name string
	AZ   string
	cfg  Config

	store Store
	// mem is store when it is a MemStore, else nil, and lentSeen its
	// lent count when the node last made sure no base it marks own was
	// handed out (see checkLent).
	mem      *MemStore
	lentSeen uint64

	// Durable state, mirrored in the store.
	segs []*Segment // by (PG, ID)
	// keys holds segKey of each of segs, in the same order: every
	// message looks its segment up, and searching the keys reads one
	// array rather than a segment per step.
	keys []uint64
	// volEpoch is the lock on the door (SIGMOD'17 §4.3): writes of older
	// volume epochs are refused.
	volEpoch uint64
	// cleanEpoch is the epoch up to which the node knows every truncation
	// range, so holds no record any recovery up to it annulled. It lags
	// volEpoch when the node learned of a recovery it missed, until a peer
	// tells it the ranges. Storage nodes gossip with it, and take records
	// only from peers whose clean epoch is at least their own.
	cleanEpoch uint64
	knownVDL   redo.LSN
	truncs     []wire.Truncation

	// Volatile state, lost in a crash.
	armed    bool
	diskFree sim.Time // when the disk finishes what it holds
	queue    []pending
	qhead    int
	vdlDirty bool     // knownVDL moved since the node metadata was written
	pullAt   sim.Time // the earliest time to ask a peer for truncations again
	scrubSeg int

	// Fault settings and counters survive a crash. taint is set once
	// Corrupt damaged data here (see Segment.taint).
	taint bool
	slow  sim.Time
	stats Stats
	// lastDue is when the last batch given to the disk completes.
	lastDue sim.Time
	// streamVDL is, per writer stream, the highest VDL its writer told
	// (multi-master recovery reads it for the stream it recovers).
	streamVDL [redo.MaxStreams]redo.LSN

	// Scratch space reused on the hot path, and the arrays of hot logs
	// that garbage collection emptied.
	chg     Change
	scratch []StoredRecord
	pages   []StoredPage
	floors  []redo.LSN
	logs    recordPool
	// stageFree holds Stage batches the backup store is done with.
	stageFree []*redo.Batch
}

// Stats counts a node's work, for the page, the checker and benchmarks.
type Stats struct {
	RecordsPersisted int64 // records made durable (writes, gossip, hydration)
	AcksSent         int64
	WritesRejected   int64
	GossipSent       int64 // Gossip requests sent
	GossipReceived   int64 // Gossip requests answered
	GossipFilled     int64 // records gained from gossip
	Coalesced        int64 // records applied to base pages
	Collected        int64 // records dropped by GC
	Staged           int64 // records the backup store took from this node
	Scrubbed         int64 // items checked by scrub
	CorruptFound     int64
	Repaired         int64
	ReadsServed      int64
	ReadsRejected    int64
	Truncated        int64 // records dropped by truncation
	StaleRefused     int64 // requests refused for a stale epoch
	Hydrations       int64 // hydrations installed
	Conflicts        int64 // changes refused because another claimed their page version first
}

// pending is a batch in the in-memory queue, waiting for the disk.
type pending struct {
	due      sim.Time
	kind     uint8
	from     sim.NodeID
	seg      *Segment
	batch    *redo.Batch
	epoch    uint64 // the sender's volume epoch (clean epoch for a peer)
	memEpoch uint64
	hyd      *wire.HydrateData
}

const (
	pendWrite = iota + 1
	pendGossip
	pendHydrate
)

// NewNode returns a node with no segments. cfg's zero fields take their
// defaults; a nil cfg.Store gives the node a fresh MemStore.
func NewNode(id sim.NodeID, name, az string, cfg Config) *Node {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	n := &Node{ID: id, Name: name, AZ: az, cfg: cfg, store: cfg.Store}
	n.mem, _ = n.store.(*MemStore)
	n.load(n.store.Load())
	return n
}

// Placement says where a segment goes and what it must do first.
type Placement struct {
	Seg  uint32
	PG   redo.PGID
	Full bool // keeps pages as well as log; false for a tail segment
	// Quorum is the PG's membership and Peers its members (this segment
	// may be among them) in slot order.
	Quorum quorum.Membership
	Peers  []wire.Peer
	// Hydrate says the segment joins a PG that already has data: it is
	// empty, refuses reads, and fills itself from a peer (a full peer for a
	// full segment, SIGMOD'18 §4.2) before it reports Hydrated.
	Hydrate bool
	// Start is where the PG chain starts: NoLSN for a new PG.
	Start redo.LSN
}

// Place puts a new segment on the node. The placement is durable at once.
// It panics if the node already holds the segment.
func (n *Node) Place(p Placement) *Segment {
	if n.SegmentByID(p.PG, p.Seg) != nil {
		panic(fmt.Sprintf("storage: %s already holds s%d", n.Name, p.Seg))
	}
	s := newSegment(p.Seg, p.PG, p.Full)
	s.taint = n.taint
	s.quorum = p.Quorum
	s.setPeers(p.Peers)
	s.hydrated = !p.Hydrate
	s.chains[0] = chain{floor: p.Start, scl: p.Start}
	i, _ := slices.BinarySearchFunc(n.segs, s, cmpSeg)
	n.segs = slices.Insert(n.segs, i, s)
	if cap(n.keys) == 0 {
		// Room for the many protection groups a volume soon spans,
		// rather than growing one, two, four keys at a time.
		n.keys = make([]uint64, 0, firstSegs)
	}
	n.keys = slices.Insert(n.keys, i, segKey(s.PG, s.ID))
	n.saveMeta(s)
	if n.mem != nil {
		n.mem.share(s.ID, &s.log)
	}
	return s
}

// AddSegment places a new, empty segment of pg with no peers and no
// membership: the first cut's API, kept until the cluster calls Place.
func (n *Node) AddSegment(id uint32, pg redo.PGID, full bool) *Segment {
	return n.Place(Placement{Seg: id, PG: pg, Full: full})
}

func cmpSeg(a, b *Segment) int {
	if c := cmpU32(uint32(a.PG), uint32(b.PG)); c != 0 {
		return c
	}
	return cmpU32(a.ID, b.ID)
}

// setPeers installs the PG's members, leaving this segment out.
func (s *Segment) setPeers(all []wire.Peer) {
	s.peers = s.peers[:0]
	for _, p := range all {
		if p.Seg != s.ID {
			s.peers = append(s.peers, p)
		}
	}
	s.peerSCL = make([]redo.LSN, len(s.peers))
	s.streamPeerSCL = nil
}

// Segment returns the node's segment of pg with the lowest ID, or nil.
func (n *Node) Segment(pg redo.PGID) *Segment { return n.lookup(pg, 0) }

// SegmentByID returns the node's segment id of pg, or nil. A node may hold
// two segments of one PG while one replaces another.
func (n *Node) SegmentByID(pg redo.PGID, id uint32) *Segment {
	k := segKey(pg, id)
	if i := n.segIndex(k); i < len(n.keys) && n.keys[i] == k {
		return n.segs[i]
	}
	return nil
}

// firstSegs is the room a node's segment keys start with.
const firstSegs = 32

// segKey orders segments as segs holds them: by PG, then ID.
func segKey(pg redo.PGID, id uint32) uint64 { return uint64(pg)<<32 | uint64(id) }

// segIndex returns the index of the first segment whose key is k or
// above. Every message to the node looks its segment up, so the search is
// written out rather than given a comparison function.
func (n *Node) segIndex(k uint64) int {
	lo, hi := 0, len(n.keys)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if n.keys[m] < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// lookup finds the segment a message addresses: by ID, or by PG (its
// lowest ID) when the message names no segment.
func (n *Node) lookup(pg redo.PGID, id uint32) *Segment {
	k := segKey(pg, id)
	i := n.segIndex(k)
	if i == len(n.keys) {
		return nil
	}
	// The first segment at or above (pg, id) is the one named, or with
	// id 0, pg's lowest.
	if f := n.keys[i]; f == k || id == 0 && redo.PGID(f>>32) == pg {
		return n.segs[i]
	}
	return nil
}

// Segments returns the node's segments in (PG, ID) order. The slice is
// shared and must not be changed; Crash keeps the *Segment values.
func (n *Node) Segments() []*Segment { return n.segs }

// VolumeEpoch reports the volume epoch the node has accepted: it refuses
// writes of older epochs.
func (n *Node) VolumeEpoch() uint64 { return n.volEpoch }

// CleanEpoch reports the epoch up to which the node knows every truncation
// range. It is below VolumeEpoch only while the node learns of a recovery
// it missed.
func (n *Node) CleanEpoch() uint64 { return n.cleanEpoch }

// KnownVDL reports the highest VDL a writer of the node's epoch told it.
func (n *Node) KnownVDL() redo.LSN { return n.knownVDL }

// Truncations returns the truncation ranges the node holds, in the order
// it learned them. The caller owns the slice.
func (n *Node) Truncations() []wire.Truncation { return slices.Clone(n.truncs) }

// Stats reports the node's counters.
func (n *Node) Stats() Stats { return n.stats }

// Store returns the node's disk.
func (n *Node) Store() Store { return n.store }

// Config returns the node's knobs, defaults filled in.
func (n *Node) Config() Config { return n.cfg }

// SetSlow adds d to every persist of the node's disk: a slow node, as a
// throttled or overloaded host looks to the 4/6 write (SIGMOD'17 §2.3).
// Zero clears it.
func (n *Node) SetSlow(d sim.Time) { n.slow = d }

// Slow reports the disk's extra latency.
func (n *Node) Slow() sim.Time { return n.slow }

// QueueLen reports the batches in the in-memory queue waiting for the disk.
func (n *Node) QueueLen() int { return len(n.queue) - n.qhead }

// Start arms the node's background alarms, each at a random phase of its
// interval drawn from env.Rand(), and sets new segments hydrating. Call it
// once when the world starts; a second call does nothing.
func (n *Node) Start(env wire.Env) {
	if n.armed {
		return
	}
	n.armed = true
	for _, a := range [...]struct {
		id    int64
		every sim.Time
	}{
		{alarmGossip, n.cfg.GossipInterval},
		{alarmCoalesce, n.cfg.CoalesceInterval},
		{alarmStage, n.cfg.StageInterval},
		{alarmGC, n.cfg.GCInterval},
		{alarmScrub, n.cfg.ScrubInterval},
	} {
		if a.every > 0 {
			phase := sim.Time(env.Rand().Float64() * float64(a.every))
			n.alarm(env, phase, a.id, nil)
		}
	}
	for _, s := range n.segs {
		if !s.hydrated && !s.retired {
			n.askHydrate(env, s)
		}
	}
}

// Crash drops everything volatile — the in-memory queue with the writes
// not yet persisted (never acknowledged), timers, what the node learned of
// its peers — and reloads the segments from the store, as the node finds
// them when it comes back. *Segment values stay valid.
func (n *Node) Crash() {
	for i := n.qhead; i < len(n.queue); i++ {
		if b := n.queue[i].batch; b != nil {
			b.Release()
		}
		n.queue[i] = pending{}
	}
	n.queue = n.queue[:0]
	n.qhead = 0
	n.armed = false
	n.diskFree = 0
	n.lastDue = 0
	n.vdlDirty = false
	n.pullAt = 0
	n.scrubSeg = 0
	n.load(n.store.Load())
}

// Restart brings the node back after a crash: its state is what Crash
// reloaded from the store; Restart re-arms the background alarms and
// resumes hydration. The world must have discarded the alarms of the
// crashed incarnation.
func (n *Node) Restart(env wire.Env) { n.Start(env) }

// load replaces the node's state with img. Segments keep their identity.
func (n *Node) load(img Image) {
	n.volEpoch = img.Node.VolEpoch
	n.cleanEpoch = img.Node.CleanEpoch
	n.knownVDL = img.Node.KnownVDL
	n.truncs = img.Node.Truncations
	old := n.segs
	n.segs = n.segs[:0:0]
	n.keys = n.keys[:0]
	for _, si := range img.Segments {
		m := si.Meta
		var s *Segment
		for _, o := range old {
			if o.ID == m.ID && o.PG == m.PG {
				s = o
				break
			}
		}
		if s == nil {
			s = newSegment(m.ID, m.PG, m.Full)
		}
		*s = Segment{ID: m.ID, PG: m.PG, Full: m.Full, taint: n.taint, staging: s.staging, stageOut: s.stageOut}
		s.quorum = m.Quorum
		s.peers = m.Peers
		s.peerSCL = make([]redo.LSN, len(s.peers))
		s.hydrated = m.Hydrated
		s.retired = m.Retired
		s.log = si.Records
		if n.mem != nil {
			n.mem.share(s.ID, &s.log) // see MemStore.share
		}
		s.bases = si.Pages
		for i := range s.bases {
			s.bases[i].own = false // the store's pages, and whoever loaded them
		}
		s.coalesced = m.Coalesced
		s.collected = m.Collected
		s.staged = m.Staged
		s.pgmrpl = m.PGMRPL
		s.chains = make([]chain, max(1, len(m.Floor)))
		for st, f := range m.Floor {
			s.chains[st].floor = f
		}
		// Every writer stream with records in the log has a chain, saved
		// floor or not.
		for i := range s.log {
			for int(s.log[i].Rec.Stream) >= len(s.chains) {
				s.chains = append(s.chains, chain{})
			}
		}
		s.rebuildChains()
		s.rebuildVoids()
		n.segs = append(n.segs, s)
	}
	slices.SortFunc(n.segs, cmpSeg)
	for _, s := range n.segs {
		n.keys = append(n.keys, segKey(s.PG, s.ID))
	}
}

// saveNode writes the node metadata.
func (n *Node) saveNode() {
	n.chg = Change{Kind: ChangeNode, Node: NodeMeta{VolEpoch: n.volEpoch, CleanEpoch: n.cleanEpoch, KnownVDL: n.knownVDL, Truncations: n.truncs}}
	n.store.Write(&n.chg)
	n.chg = Change{}
	n.vdlDirty = false
}

// saveMeta writes a segment's metadata.
func (n *Node) saveMeta(s *Segment) {
	floors := n.floors[:0]
	for _, c := range s.chains {
		floors = append(floors, c.floor)
	}
	n.floors = floors
	n.chg = Change{Kind: ChangeSegment, Seg: s.ID, Meta: SegmentMeta{
		ID: s.ID, PG: s.PG, Full: s.Full, Quorum: s.quorum, Peers: s.peers,
		Hydrated: s.hydrated, Retired: s.retired, Floor: floors,
		Coalesced: s.coalesced, Collected: s.collected, Staged: s.staged, PGMRPL: s.pgmrpl,
	}}
	n.store.Write(&n.chg)
	n.chg = Change{}
	s.metaDirty = false
}

// alarm sets alarm id to fire after d; seg names the segment of a
// per-segment alarm.
func (n *Node) alarm(env wire.Env, d sim.Time, id int64, seg *Segment) {
	m := wire.Msg{Kind: wire.Timer, From: n.ID, To: n.ID, N: id}
	if seg != nil {
		m.PG, m.Seg = seg.PG, seg.ID
	}
	env.After(d, m)
}

// every re-arms a periodic alarm with a jittered interval.
func (n *Node) every(env wire.Env, id int64, d sim.Time) {
	if d > 0 {
		n.alarm(env, max(1, env.Rand().Jitter(d, n.cfg.JitterPercent)), id, nil)
	}
}

// Handle processes one message addressed to the node. The foreground
// (writes, reads, control) works whether or not the node was started; the
// background steps run only once Start (or Restart) has armed them.
func (n *Node) Handle(env wire.Env, m *wire.Msg) {
	switch m.Kind {
	case wire.Timer:
		n.timer(env, m)
	case wire.Write:
		n.receiveWrite(env, m)
	case wire.Heartbeat:
		n.heartbeat(env, m)
	case wire.Read:
		n.read(env, m)
	case wire.Gossip:
		n.gossip(env, m)
	case wire.GossipReply:
		n.gossipReply(env, m)
	case wire.StageAck:
		n.stageAck(env, m)
	case wire.Control:
		n.control(env, m)
	case wire.ControlReply:
		n.controlReply(env, m)
	}
}

func (n *Node) timer(env wire.Env, m *wire.Msg) {
	switch m.N {
	case alarmPersist:
		n.persistDue(env)
	case alarmGossip:
		n.gossipRound(env)
		n.every(env, alarmGossip, n.cfg.GossipInterval)
	case alarmCoalesce:
		n.coalesceRound(env)
		n.every(env, alarmCoalesce, n.cfg.CoalesceInterval)
	case alarmStage:
		n.stageRound(env)
		n.every(env, alarmStage, n.cfg.StageInterval)
	case alarmGC:
		n.gcRound(env)
		n.every(env, alarmGC, n.cfg.GCInterval)
	case alarmScrub:
		n.scrubRound(env)
		n.every(env, alarmScrub, n.cfg.ScrubInterval)
	case alarmHydrate:
		// A new segment filling itself, or one catching up from a peer's
		// copy (catchUp), asks again while no copy has come: the request
		// or the copy may have been lost, or the peer may be down.
		if s := n.SegmentByID(m.PG, m.Seg); s != nil && !s.retired && (!s.hydrated || s.hydrateAsked) {
			s.hydrateAsked = false
			n.askHydrate(env, s)
		}
	}
}

func (n *Node) note(env wire.Env, kind string, pg redo.PGID, format string, args ...any) {
	env.Note(wire.Note{Kind: kind, Node: n.Name, PG: pg, Text: n.Name + ": " + fmt.Sprintf(format, args...)})
}
