// Package wire defines the messages that cross the simulated network and the
// environment a node acts through. Nodes never call each other: each one
// handles one message at a time and answers by sending messages, so the
// network can delay, drop, partition and draw every interaction.
package wire

import (
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
)

// Kind is what a message asks or answers. Requests and replies come in
// pairs (MsgWrite/MsgWriteAck).
type Kind uint8

// Message kinds. The meaning of the generic fields A, B and N is given per
// kind.
const (
	KindNone Kind = iota
	// Timer is a node's own alarm; it never crosses the network. N says
	// which alarm.
	Timer
	// Write carries a batch of redo records of one PG to one segment.
	Write
	// WriteAck: the segment persisted the batch. A is the segment's SCL
	// after it, B the highest LSN of the batch.
	WriteAck
	// WriteReject: the segment refused the write; N says why (Reject...),
	// A carries the epoch the segment holds.
	WriteReject
	// Read asks a segment for a page as of read point A. N is the request
	// id; B is the page.
	Read
	// ReadReply answers a Read; Body holds the page image. N echoes the
	// request id; A is the segment's SCL.
	ReadReply
	// Gossip offers a peer segment's SCL (A) and asks for records above the
	// receiver's SCL, B.
	Gossip
	// GossipReply carries records the asker lacked, in Batch.
	GossipReply
	// Heartbeat carries the writer's watermarks to segments: A is the VDL,
	// B the PG's minimum read point (PGMRPL).
	Heartbeat
	// LogStream carries redo records to a read replica (Batch) and the VDL
	// (A).
	LogStream
	// Control messages of recovery and membership; Body holds the request.
	Control
	ControlReply
	kindCount
)

var kindNames = [kindCount]string{
	"none", "timer", "write", "write-ack", "write-reject", "read", "read-reply",
	"gossip", "gossip-reply", "heartbeat", "log-stream", "control", "control-reply",
}

func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "kind?"
}

// Reasons a segment refuses a write.
const (
	RejectStaleVolumeEpoch = iota + 1
	RejectStaleMemberEpoch
	RejectNotMember
)

// Msg is one message, or one timer. It is a value type: the event queue
// stores messages by value, so sending allocates nothing beyond a batch
// that several messages share.
type Msg struct {
	Kind     Kind
	From, To sim.NodeID
	PG       redo.PGID
	Seg      uint32 // the segment addressed or answering
	VolEpoch uint64 // the volume epoch the sender holds
	MemEpoch uint64 // the PG membership epoch the sender holds
	A, B     redo.LSN
	N        int64
	Batch    *redo.Batch
	Body     any // rare payloads; always a pointer, so storing it does not allocate
	// Stamp is set by the world: the receiver's incarnation at send time,
	// so a message to a node that crashed and came back is lost.
	Stamp uint32
}

// Size reports the message's size on the wire in bytes.
func (m *Msg) Size() int {
	n := 64
	if m.Batch != nil {
		n += m.Batch.Size()
	}
	if s, ok := m.Body.(interface{ Size() int }); ok {
		n += s.Size()
	}
	return n
}

// Env is what a node sees of the world: the clock, the random source, the
// network and its own alarms. One Env call never runs another node's code.
type Env interface {
	Now() sim.Time
	Rand() *sim.Rand
	// Send routes m through the network from m.From to m.To.
	Send(m Msg)
	// After delivers m to m.To itself after d, unless the node crashes
	// first.
	After(d sim.Time, m Msg)
	// Note records an event for the event log, the page and the transcript.
	Note(n Note)
}

// Note is one entry of the event log.
type Note struct {
	At   sim.Time
	Kind string // "commit", "crash", "gossip", "recovery", ...
	Node string // the node it happened on, "" for the cluster
	PG   redo.PGID
	Text string
}
