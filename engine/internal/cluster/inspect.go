package cluster

import (
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/storage"
)

// Read-only accessors for checkers (package check) and tests. None of them
// changes the world, draws from its random source or allocates.

// StorageNode returns the storage node with id, or nil when id names
// another kind of node.
func (c *Cluster) StorageNode(id sim.NodeID) *storage.Node {
	if int(id) >= len(c.handlers) {
		return nil
	}
	n, _ := c.handlers[id].(*storage.Node)
	return n
}

// MemberSegment returns the segment in slot i of pg's membership as the
// control plane knows it, and the node that holds it; nil when there is no
// such slot.
func (c *Cluster) MemberSegment(pg redo.PGID, i int) (*storage.Segment, *storage.Node) {
	if pg < 1 || int(pg) > len(c.pgs) {
		return nil, nil
	}
	p := &c.pgs[pg-1]
	if i < 0 || i >= len(p.members) {
		return nil, nil
	}
	m := p.members[i]
	n := c.StorageNode(m.Node)
	if n == nil {
		return nil, nil
	}
	return n.SegmentByID(pg, m.Seg), n
}

// Membership returns pg's membership and quorum rule as the control plane
// knows it (the zero Membership for an unknown PG).
func (c *Cluster) Membership(pg redo.PGID) quorum.Membership {
	if pg < 1 || int(pg) > len(c.pgs) {
		return quorum.Membership{}
	}
	return c.pgs[pg-1].q
}

// Changing reports whether a membership change of pg is in progress.
func (c *Cluster) Changing(pg redo.PGID) bool {
	for _, ch := range c.cp.changes {
		if ch.pg == pg && ch.phase != phaseDone {
			return true
		}
	}
	return false
}

// WriterStreams reports the number of writer streams (writers of the
// volume); WriterOf returns the owner of each.
func (c *Cluster) WriterStreams() int { return len(c.writers) }
