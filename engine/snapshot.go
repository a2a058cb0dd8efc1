package engine

import (
	"fmt"
	"strings"

	"aurora-lab/engine/internal/cluster"
	"aurora-lab/engine/internal/db"
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/storage"
	"aurora-lab/engine/internal/volume"
	"aurora-lab/engine/internal/wire"
)

// Snapshot is the model's state as plain data: everything the page draws
// and \status prints. It holds no pointers into the engine, so the page may
// keep it as long as it likes.
type Snapshot struct {
	Now       Time          `json:"now"`
	Seed      uint64        `json:"seed"`
	Config    string        `json:"config"`
	Events    uint64        `json:"events"`
	Delivered uint64        `json:"delivered"`
	Dropped   uint64        `json:"dropped"`
	AZs       []AZState     `json:"azs"`
	Nodes     []NodeState   `json:"nodes"`
	Instances []InstState   `json:"instances"`
	Volume    VolumeState   `json:"volume"`
	InFlight  []MsgState    `json:"inflight"`
	Notes     []NoteState   `json:"notes,omitempty"`
	NoteNext  uint64        `json:"noteNext"`
	Consoles  []ConsoleInfo `json:"consoles"`
}

// AZState is one availability zone.
type AZState struct {
	Name  string   `json:"name"`
	Up    bool     `json:"up"` // every node of the AZ is up
	Nodes []string `json:"nodes"`
}

// NodeState is one storage node.
type NodeState struct {
	Name     string         `json:"name"`
	AZ       string         `json:"az"`
	Up       bool           `json:"up"`
	Epoch    uint64         `json:"epoch"`
	Segments []SegmentState `json:"segments"`
	Records  int64          `json:"records"`
	Acks     int64          `json:"acks"`
}

// SegmentState is one segment on a storage node.
type SegmentState struct {
	PG      uint32 `json:"pg"`
	ID      uint32 `json:"id"`
	SCL     uint64 `json:"scl"`
	Records int    `json:"records"`
	Full    bool   `json:"full"`
}

// InstState is one database instance.
type InstState struct {
	Name string `json:"name"`
	AZ   string `json:"az"`
	Role string `json:"role"`
	Up   bool   `json:"up"`
}

// VolumeState is the writer's view of the volume.
type VolumeState struct {
	Writer  string    `json:"writer"`
	Epoch   uint64    `json:"epoch"`
	NextLSN uint64    `json:"nextLSN"`
	VCL     uint64    `json:"vcl"`
	VDL     uint64    `json:"vdl"`
	LAL     uint64    `json:"lal"`
	PGs     []PGState `json:"pgs"`
}

// PGState is one protection group: its members, where they are, what they
// have acknowledged, and what the group can still do.
type PGState struct {
	ID      uint32        `json:"id"`
	PGCL    uint64        `json:"pgcl"`
	State   string        `json:"state"`  // read-write, read-only, unavailable
	Quorum  string        `json:"quorum"` // the quorum rule and epoch, in words
	Up      int           `json:"up"`     // members up
	Members []MemberState `json:"members"`
}

// MemberState is one member of a PG as the writer sees it.
type MemberState struct {
	Node string `json:"node"`
	Seg  uint32 `json:"seg"`
	SCL  uint64 `json:"scl"` // the SCL the segment last acknowledged
	Up   bool   `json:"up"`
}

// MsgState is one message on its way.
type MsgState struct {
	Kind   string `json:"kind"`
	From   string `json:"from"`
	To     string `json:"to"`
	PG     uint32 `json:"pg,omitempty"`
	Sent   Time   `json:"sent,omitempty"`
	Arrive Time   `json:"arrive"`
	Label  string `json:"label,omitempty"`
}

// NoteState is one entry of the event log.
type NoteState struct {
	At   Time   `json:"at"`
	Kind string `json:"kind"`
	Node string `json:"node,omitempty"`
	PG   uint32 `json:"pg,omitempty"`
	Text string `json:"text"`
}

// ConsoleInfo is a console and where its SQL runs.
type ConsoleInfo struct {
	Name string `json:"name"`
	Conn string `json:"conn"`
	Busy bool   `json:"busy"`
}

// Snapshot returns the model's state now.
func (l *Lab) Snapshot() Snapshot {
	return l.SnapshotSince(^uint64(0))
}

// SnapshotSince returns the state with the notes made after the first
// noteSince of them (pass the previous snapshot's NoteNext).
func (l *Lab) SnapshotSince(noteSince uint64) Snapshot {
	c := l.c
	st := c.Stats()
	s := Snapshot{
		Now: c.Now(), Seed: l.cfg.Seed, Config: l.cfg.String(),
		Events: st.Events, Delivered: st.Delivered, Dropped: st.Dropped,
	}
	for _, az := range cluster.AZs {
		a := AZState{Name: az, Up: true}
		for _, n := range c.Storage {
			if n.AZ == az {
				a.Nodes = append(a.Nodes, n.Name)
				if !c.Up(n.ID) {
					a.Up = false
				}
			}
		}
		s.AZs = append(s.AZs, a)
	}
	for _, n := range c.Storage {
		s.Nodes = append(s.Nodes, nodeState(c, n))
	}
	var writer *db.Instance
	for _, in := range c.Instances {
		s.Instances = append(s.Instances, InstState{Name: in.Name, AZ: in.AZ, Role: in.Role.String(), Up: c.Up(in.ID)})
		if writer == nil && in.Vol != nil {
			writer = in
		}
	}
	if writer != nil {
		s.Volume = volumeState(c, writer)
	}
	c.InFlight(func(at Time, m *wire.Msg) {
		ms := MsgState{Kind: m.Kind.String(), From: c.Name(m.From), To: c.Name(m.To), PG: uint32(m.PG), Arrive: at}
		if m.Batch != nil {
			ms.Label = fmt.Sprintf("lsn %d-%d", m.Batch.First(), m.Batch.Last())
		} else if m.Kind == wire.WriteAck {
			ms.Label = fmt.Sprintf("scl %d", m.A)
		}
		s.InFlight = append(s.InFlight, ms)
	})
	if noteSince != ^uint64(0) {
		notes, next := c.Notes(noteSince)
		for _, n := range notes {
			s.Notes = append(s.Notes, NoteState{At: n.At, Kind: n.Kind, Node: n.Node, PG: uint32(n.PG), Text: n.Text})
		}
		s.NoteNext = next
	} else {
		_, s.NoteNext = c.Notes(0)
	}
	for _, con := range l.consoles {
		s.Consoles = append(s.Consoles, ConsoleInfo{Name: con.name, Conn: con.conn, Busy: con.busy()})
	}
	return s
}

func nodeState(c *cluster.Cluster, n *storage.Node) NodeState {
	st := n.Stats()
	ns := NodeState{Name: n.Name, AZ: n.AZ, Up: c.Up(n.ID), Epoch: n.VolumeEpoch(), Records: st.RecordsPersisted, Acks: st.AcksSent}
	for _, seg := range n.Segments() {
		ns.Segments = append(ns.Segments, SegmentState{PG: uint32(seg.PG), ID: seg.ID, SCL: uint64(seg.SCL()), Records: seg.Len(), Full: seg.Full})
	}
	return ns
}

func volumeState(c *cluster.Cluster, w *db.Instance) VolumeState {
	v := w.Vol
	vs := VolumeState{Writer: w.Name, Epoch: v.Epoch(), NextLSN: uint64(v.NextLSN()), VCL: uint64(v.VCL()), VDL: uint64(v.VDL()), LAL: v.LAL()}
	for _, pg := range v.PGs() {
		ps := PGState{ID: uint32(pg.ID), PGCL: uint64(pg.PGCL()), Quorum: pg.Quorum.Describe(func(m quorum.Member) string { return memberName(pg, m) })}
		var up quorum.Set
		for i, m := range pg.Members {
			u := c.Up(m.Node)
			if u {
				ps.Up++
				up |= 1 << i
			}
			ps.Members = append(ps.Members, MemberState{Node: m.Name, Seg: m.Seg, SCL: uint64(pg.SCL(i)), Up: u})
		}
		// A newcomer still being filled cannot serve reads yet.
		ps.State = pg.Quorum.State(up &^ pg.Quorum.Added()).String()
		vs.PGs = append(vs.PGs, ps)
	}
	return vs
}

// FormatStatus prints a snapshot as \status shows it.
func FormatStatus(s Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "time %v, %d events, %d messages delivered, %d lost\n", s.Now, s.Events, s.Delivered, s.Dropped)
	v := s.Volume
	fmt.Fprintf(&b, "volume (writer %s): epoch %d, VCL %d, VDL %d, next LSN %d, LAL %d\n", v.Writer, v.Epoch, v.VCL, v.VDL, v.NextLSN, v.LAL)
	for _, pg := range v.PGs {
		fmt.Fprintf(&b, "  pg%d  PGCL %d  %s (%d/6 up)  SCL:", pg.ID, pg.PGCL, pg.State, pg.Up)
		for _, m := range pg.Members {
			mark := ""
			if !m.Up {
				mark = " (down)"
			}
			fmt.Fprintf(&b, " %s=%d%s", m.Node, m.SCL, mark)
		}
		b.WriteByte('\n')
	}
	var parts []string
	for _, n := range s.Nodes {
		parts = append(parts, n.Name+" "+upDown(n.Up))
	}
	b.WriteString("storage: " + strings.Join(parts, ", ") + "\n")
	parts = parts[:0]
	for _, in := range s.Instances {
		parts = append(parts, fmt.Sprintf("%s %s %s (AZ %s)", in.Name, in.Role, upDown(in.Up), in.AZ))
	}
	b.WriteString("instances: " + strings.Join(parts, ", "))
	return b.String()
}

func memberName(pg *volume.PG, m quorum.Member) string {
	for _, mem := range pg.Members {
		if quorum.Member(mem.Seg) == m {
			return mem.Name
		}
	}
	return m.String()
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}
