package wire

import (
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
)

// Control requests travel in Msg.Body of a Control message; their replies
// in Msg.Body of a ControlReply. Each is a pointer type.

// RecoverQuery asks a segment, in crash recovery, what it holds (SIGMOD'17
// §4.3, step 1). Sending it with a new volume epoch does not yet bump the
// epoch; Truncate does. Everything in the answer is about one writer
// stream: the one being recovered.
type RecoverQuery struct {
	Epoch  uint64 // the recovery's volume epoch
	Stream uint8
}

// RecoverInfo answers RecoverQuery.
type RecoverInfo struct {
	SCL redo.LSN
	// KnownVDL is the highest VDL a writer told this segment.
	KnownVDL redo.LSN
	// Floor is min(SCL, KnownVDL): every record of the volume at or below
	// it is durable, and this segment holds its PG's whole chain up to it.
	// FloorHead is the last record of the PG at or below Floor (NoLSN if
	// the PG has none).
	Floor     redo.LSN
	FloorHead redo.LSN
	// Above lists every record the segment holds above Floor — its LSN,
	// backlinks and CPL mark — so recovery can walk the volume chain from
	// the highest floor. Only records above what was durable are listed,
	// so recovery does not grow with the log.
	Above []RecordHead
	// Truncations are the truncation ranges the segment holds.
	Truncations []Truncation
	// Top is the highest LSN the segment holds, of any writer stream.
	// With several writers a writer's LSNs follow every LSN it has seen
	// (Lamport), so the LSNs a crashed writer may have allocated are
	// bounded by what the volume held, not only by its own VDL.
	Top redo.LSN
}

// RecordHead is the part of a record that recovery reads.
type RecordHead struct {
	LSN        redo.LSN
	PrevVolume redo.LSN
	PrevPG     redo.LSN
	CPL        bool
	// Multi-master: the record's page, whether this segment's claim on the
	// page version went to it (its vote), and for a void record the LSNs it
	// annuls.
	Page    redo.PageID
	Claimed bool
	Void    []redo.LSN
}

// Truncation annuls the records in [From, To] written before epoch Epoch
// (SIGMOD'17 §4.3, step 3). It is durable and versioned by epoch, so a
// recovery that restarts is not confused by an earlier one.
type Truncation struct {
	Epoch    uint64
	From, To redo.LSN
	// Stream is the writer stream whose records the range annuls: with
	// several writers, LSN ranges of the streams interleave.
	Stream uint8
}

// Truncate makes a segment record a truncation range, drop the records in
// it, and accept the new volume epoch: from then on it refuses writes of
// older epochs (step 5: "changes the locks on the door").
type Truncate struct {
	Range Truncation
	VDL   redo.LSN // the recovered VDL; everything at or below it is durable
}

// TruncateDone answers Truncate with the segment's SCL after truncation.
type TruncateDone struct {
	SCL   redo.LSN
	Epoch uint64
}

// Peer is a member of a PG as a segment sees it: where its peers are.
type Peer struct {
	Seg  uint32
	Node sim.NodeID // the node holding it
	Full bool
}

// SetMembership tells a segment the PG's membership at a new membership
// epoch (SIGMOD'18 §4.1). The change is in effect once a write quorum of the
// previous membership has accepted it.
type SetMembership struct {
	Quorum quorum.Membership
	Peers  []Peer // in the membership's slot order
}

// MembershipDone answers SetMembership. SCLs are the segment's SCL per
// writer stream when it answered, and Clean the volume epoch up to which
// it knows every truncation (its SCLs may still count records annulled by
// a later one): from them the control plane learns how much of the log a
// newcomer must hold before the change can complete.
type MembershipDone struct {
	Epoch uint64
	SCLs  []redo.LSN
	Clean uint64
}

// Hydrate asks a peer for everything a new segment needs: the peer's
// materialised pages (if it is a full segment) and its log. The reply is
// sized like the data it carries, so filling a segment takes its size over
// the link's bandwidth (the MTTR of SIGMOD'17 §2.2).
type Hydrate struct{}

// HydrateData answers Hydrate.
type HydrateData struct {
	SCL      redo.LSN
	BaseLSN  redo.LSN // pages are materialised up to this LSN
	Pages    []any    // *page.Page, opaque here to keep wire free of page
	Records  []redo.Record
	Bytes    int
	KnownVDL redo.LSN
	Truncs   []Truncation
}

// Size reports the bytes the reply carries.
func (h *HydrateData) Size() int { return h.Bytes }

// Repair asks a peer for a good copy of records or a page that failed
// scrub on the asker.
type Repair struct {
	LSNs []redo.LSN
	Page redo.PageID // 0 when only records are asked for
}

// RepairData answers Repair.
type RepairData struct {
	Records []redo.Record
	Page    any // *page.Page or nil
	Bytes   int
}

// Size reports the bytes the reply carries.
func (r *RepairData) Size() int { return r.Bytes }

// StatusQuery asks a segment for its state, so the control plane can tell
// when a newcomer is hydrated and whether a replaced segment is back.
type StatusQuery struct{}

// StatusInfo answers StatusQuery. SCLs are per writer stream, Clean and
// Truncs the volume epoch up to which the segment's node knows every
// truncation and the ranges it knows.
type StatusInfo struct {
	SCL      redo.LSN
	SCLs     []redo.LSN
	Clean    uint64
	Truncs   []Truncation
	Hydrated bool
	Retired  bool
	MemEpoch uint64
}

// Votes rides on a WriteAck when the cluster has several writers: the
// segment's vote on each page change of the batch it acknowledges
// (multi-master: storage detects write conflicts per page,
// optimistically). A change is accepted when it is the first claim on its
// page version here, and rejected when another change holds that claim:
// Winners[i] is the LSN that beat Rejected[i]. Votes are read from the
// segment's claims when it acknowledges, so a retried or trimmed batch gets
// the same answer as the first.
type Votes struct {
	Accepted []redo.LSN
	Rejected []redo.LSN
	Winners  []redo.LSN
}

// Size reports the bytes the votes take on the wire.
func (v *Votes) Size() int { return 8*len(v.Accepted) + 16*len(v.Rejected) }

// ReadVector is the read point of a multi-master reader: per writer stream,
// the durable point it reads at (Points) and the PG's head of that stream
// at it (Heads), which the segment must hold. A segment applies a record
// of stream s only if its LSN is at or below Points[s] and no void record
// of stream s at or below Points[s] annuls it.
type ReadVector struct {
	Points []redo.LSN
	Heads  []redo.LSN
}

// Size reports the bytes the vector takes on the wire.
func (r *ReadVector) Size() int { return 16 * len(r.Points) }
