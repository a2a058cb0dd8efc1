package storage

import (
	"slices"

	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// Config holds a storage node's knobs.
type Config struct {
	// PersistLatency is how long the node's disk takes to make a received
	// batch durable before it is acknowledged.
	PersistLatency sim.Time
}

// Alarms of a storage node (wire.Timer, field N).
const (
	alarmPersist = iota + 1
)

// Node is one storage node: a host with local disk holding segments of many
// protection groups.
type Node struct {
	ID   sim.NodeID
	Name string
	AZ   string
	cfg  Config

	// Durable state: survives a crash.
	segs     []*Segment // sorted by PG
	volEpoch uint64

	// Volatile state: lost in a crash.
	diskFree sim.Time // when the disk finishes what it holds
	inflight []pendingWrite
	stats    Stats
}

// Stats counts a node's work, for the page and benchmarks.
type Stats struct {
	RecordsPersisted int64
	AcksSent         int64
	WritesRejected   int64
}

type pendingWrite struct {
	due   sim.Time
	from  sim.NodeID
	seg   *Segment
	batch *redo.Batch
}

// NewNode returns a node with no segments.
func NewNode(id sim.NodeID, name, az string, cfg Config) *Node {
	return &Node{ID: id, Name: name, AZ: az, cfg: cfg}
}

// AddSegment places a new, empty segment of pg on the node.
func (n *Node) AddSegment(id uint32, pg redo.PGID, full bool) *Segment {
	s := newSegment(id, pg, full)
	i, _ := slices.BinarySearchFunc(n.segs, pg, func(s *Segment, pg redo.PGID) int { return int(s.PG) - int(pg) })
	n.segs = slices.Insert(n.segs, i, s)
	return s
}

// Segment returns the node's segment of pg, or nil.
func (n *Node) Segment(pg redo.PGID) *Segment {
	i, ok := slices.BinarySearchFunc(n.segs, pg, func(s *Segment, pg redo.PGID) int { return int(s.PG) - int(pg) })
	if !ok {
		return nil
	}
	return n.segs[i]
}

// Segments returns the node's segments in PG order. The slice is shared.
func (n *Node) Segments() []*Segment { return n.segs }

// VolumeEpoch reports the volume epoch the node has accepted.
func (n *Node) VolumeEpoch() uint64 { return n.volEpoch }

// Stats reports the node's counters.
func (n *Node) Stats() Stats { return n.stats }

// Crash drops the node's volatile state: writes received but not yet
// persisted are lost, and were never acknowledged.
func (n *Node) Crash() {
	n.inflight = n.inflight[:0]
	n.diskFree = 0
}

// Handle processes one message addressed to the node.
func (n *Node) Handle(env wire.Env, m *wire.Msg) {
	switch m.Kind {
	case wire.Write:
		n.receiveWrite(env, m)
	case wire.Timer:
		if m.N == alarmPersist {
			n.persistDue(env)
		}
	}
}

// receiveWrite is pipeline step 1: take the batch into the in-memory queue
// and start persisting it.
func (n *Node) receiveWrite(env wire.Env, m *wire.Msg) {
	seg := n.Segment(m.PG)
	switch {
	case seg == nil:
		n.reject(env, m, wire.RejectNotMember)
		return
	case m.VolEpoch < n.volEpoch:
		n.reject(env, m, wire.RejectStaleVolumeEpoch)
		return
	}
	if m.VolEpoch > n.volEpoch {
		n.volEpoch = m.VolEpoch
	}
	now := env.Now()
	start := max(now, n.diskFree)
	due := start + n.cfg.PersistLatency
	n.diskFree = due
	n.inflight = append(n.inflight, pendingWrite{due: due, from: m.From, seg: seg, batch: m.Batch})
	env.After(due-now, wire.Msg{Kind: wire.Timer, From: n.ID, To: n.ID, N: alarmPersist})
}

// persistDue is pipeline step 2: the disk has made the batch durable; add it
// to the hot log and acknowledge with the segment's SCL.
func (n *Node) persistDue(env wire.Env) {
	now := env.Now()
	done := 0
	for _, p := range n.inflight {
		if p.due > now {
			break
		}
		done++
		for _, r := range p.batch.Records {
			if p.seg.add(r) {
				n.stats.RecordsPersisted++
			}
		}
		n.stats.AcksSent++
		env.Send(wire.Msg{
			Kind: wire.WriteAck, From: n.ID, To: p.from, PG: p.seg.PG, Seg: p.seg.ID,
			VolEpoch: n.volEpoch, A: p.seg.SCL(), B: p.batch.Last(),
		})
	}
	n.inflight = append(n.inflight[:0], n.inflight[done:]...)
}

func (n *Node) reject(env wire.Env, m *wire.Msg, why int64) {
	n.stats.WritesRejected++
	env.Send(wire.Msg{
		Kind: wire.WriteReject, From: n.ID, To: m.From, PG: m.PG, Seg: m.Seg,
		VolEpoch: n.volEpoch, N: why,
	})
}
