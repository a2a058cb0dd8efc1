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
// kind; PG and Seg name the protection group and segment concerned.
//
// The protocol between the writer, the storage nodes, the backup store and
// the control plane:
//
//   - Write (writer → segment): Batch holds redo records of one PG. A is the
//     writer's VDL when it sent, B the PG's minimum read point (PGMRPL), so
//     storage learns what is durable and what it may coalesce and collect.
//     The segment persists, then WriteAck (A = its SCL, B = the batch's
//     last LSN). A write with a stale volume epoch, or a membership epoch
//     the segment knows to be stale, gets WriteReject (N = reason, A = the
//     epoch the segment holds).
//   - Heartbeat (writer → segment): A = VDL, B = PGMRPL, when no write has
//     carried them for a while.
//   - Read (instance → segment): page B as of read point A; N is the
//     request id; C is the PG's head at the read point, its last record at
//     or below A, which a segment must hold to serve the read (an idle PG's
//     SCL stays far below VDL, and a segment cannot see a missing tail of
//     its own chain). ReadReply: Body = *page.Page, A = the segment's SCL.
//     ReadReject when the segment cannot serve that read point (above its
//     SCL, below what it has collected, corrupt, not a full segment): N is
//     the request id, A the reason.
//   - Gossip (segment → peer of the same PG): A = sender's SCL. The peer
//     answers GossipReply with the records the sender lacks (Batch, bounded)
//     and its own SCL in A; both sides carry MemEpoch and VolEpoch.
//   - Stage (segment → backup store): Batch of records staged for backup;
//     StageAck: A = the highest LSN staged for the PG.
//   - Control / ControlReply: recovery, membership and repair requests,
//     with the request in Body (a pointer to one of the request types of
//     this package).
//   - LogStream (writer → replica or writer → writer): redo records and the
//     VDL, for caches that follow the writer.
const (
	KindNone Kind = iota
	// Timer is a node's own alarm; it never crosses the network. N says
	// which alarm.
	Timer
	Write
	WriteAck
	WriteReject
	Heartbeat
	Read
	ReadReply
	ReadReject
	Gossip
	GossipReply
	Stage
	StageAck
	Control
	ControlReply
	LogStream
	LogStreamAck
	kindCount
)

var kindNames = [kindCount]string{
	"none", "timer", "write", "write-ack", "write-reject", "heartbeat",
	"read", "read-reply", "read-reject", "gossip", "gossip-reply",
	"stage", "stage-ack", "control", "control-reply", "log-stream", "log-stream-ack",
}

func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "kind?"
}

// Reasons a segment refuses a write or a read (field N of WriteReject, A of
// ReadReject).
const (
	RejectStaleVolumeEpoch = iota + 1
	RejectStaleMemberEpoch
	RejectNotMember
	RejectTruncated   // the records fall in a truncation range
	RejectAboveSCL    // the read point is above the segment's SCL
	RejectCollected   // the read point is below what the segment keeps
	RejectCorrupt     // the data failed its checksum
	RejectNotFull     // a tail segment holds no pages
	RejectNotHydrated // a new segment is still being filled
)

var rejectNames = [...]string{"", "stale volume epoch", "stale membership epoch", "not a member",
	"truncated", "read point above SCL", "read point below GC", "corrupt", "tail segment", "not hydrated"}

// RejectReason names a reject code.
func RejectReason(n int64) string {
	if n > 0 && int(n) < len(rejectNames) {
		return rejectNames[n]
	}
	return "unknown reason"
}

// Msg is one message, or one timer. It is a value type: the event queue
// stores messages by value, so sending allocates nothing beyond a batch
// that several messages share. The narrow fields come first, packed
// without padding (104 bytes): every event copies a message a few times.
type Msg struct {
	Kind Kind
	// Stream is the writer stream a Write, WriteAck, Heartbeat or
	// recovery request is about (always 0 with one writer).
	Stream   uint8
	From, To sim.NodeID
	// Stamp is set by the world: the receiver's incarnation at send time,
	// so a message to a node that crashed and came back is lost.
	Stamp    uint32
	PG       redo.PGID
	Seg      uint32 // the segment addressed or answering
	VolEpoch uint64 // the volume epoch the sender holds
	MemEpoch uint64 // the PG membership epoch the sender holds
	A, B, C  redo.LSN
	N        int64
	Batch    *redo.Batch
	Body     any // rare payloads; always a pointer, so storing it does not allocate
	// Sent is set by the world: when the message left its sender.
	Sent sim.Time
}

// Forget drops the message's references (Batch and Body) once it is done
// with, so they are not kept alive by its copy; the event queue calls it
// on a delivered message's slot. A message that holds none (a timer, an
// ack) costs no store at all. It releases the hold on Batch that the
// world took when it queued the message (see redo.Pool): it must be
// called once for each message queued, and never on another copy.
func (m *Msg) Forget() {
	if m.Batch != nil {
		m.Batch.Release()
		m.Batch = nil
	}
	if m.Body != nil {
		m.Body = nil
	}
}

// Set makes m a copy of *src, field by field: each pointer takes a write
// barrier of its own, where copying the struct whole goes through the
// runtime's bulk barrier (a call, and a walk of the type's pointer map)
// while the collector marks. The event queue's slots are filled so. Every
// field of Msg must be copied here (TestMsgSetCopiesEveryField).
func (m *Msg) Set(src *Msg) {
	m.Kind, m.Stream, m.From, m.To = src.Kind, src.Stream, src.From, src.To
	m.Stamp, m.PG, m.Seg = src.Stamp, src.PG, src.Seg
	m.VolEpoch, m.MemEpoch = src.VolEpoch, src.MemEpoch
	m.A, m.B, m.C, m.N = src.A, src.B, src.C, src.N
	m.Batch, m.Body = src.Batch, src.Body
	m.Sent = src.Sent
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
