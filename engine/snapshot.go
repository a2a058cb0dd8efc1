package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"aurora-lab/engine/internal/cluster"
	"aurora-lab/engine/internal/db"
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/storage"
	"aurora-lab/engine/internal/volume"
	"aurora-lab/engine/internal/wire"
)

// Snapshot is the model's state as plain data: everything the page draws
// and \status prints. It holds no pointers into the engine, so the page may
// keep it as long as it likes.
type Snapshot struct {
	// Generation counts the clusters the Lab has run; it changes when a
	// \cluster replaces the cluster, whose counters start again.
	Generation int           `json:"generation"`
	Now        Time          `json:"now"`
	Seed       uint64        `json:"seed"`
	Config     string        `json:"config"`
	Events     uint64        `json:"events"`
	Delivered  uint64        `json:"delivered"`
	Dropped    uint64        `json:"dropped"`
	AZs        []AZState     `json:"azs"`
	Nodes      []NodeState   `json:"nodes"`
	Instances  []InstState   `json:"instances"`
	Volume     VolumeState   `json:"volume"`
	InFlight   []MsgState    `json:"inflight"`
	Notes      []NoteState   `json:"notes,omitempty"`
	NoteNext   uint64        `json:"noteNext"`
	Consoles   []ConsoleInfo `json:"consoles"`
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
	Slow     Time           `json:"slow,omitempty"`
	Epoch    uint64         `json:"epoch"` // the volume epoch it holds
	Segments []SegmentState `json:"segments"`
	Queue    int            `json:"queue"` // batches waiting for the disk
	Stats    NodeStats      `json:"stats"`
}

// NodeStats are a storage node's counters.
type NodeStats struct {
	Persisted    int64 `json:"persisted"`
	Acks         int64 `json:"acks"`
	GossipFilled int64 `json:"gossipFilled"`
	Coalesced    int64 `json:"coalesced"`
	Collected    int64 `json:"collected"`
	Staged       int64 `json:"staged"`
	CorruptFound int64 `json:"corruptFound"`
	Repaired     int64 `json:"repaired"`
	Truncated    int64 `json:"truncated"`
	StaleRefused int64 `json:"staleRefused"`
	ReadsServed  int64 `json:"readsServed"`
}

// SegmentState is one segment on a storage node.
type SegmentState struct {
	PG        uint32 `json:"pg"`
	ID        uint32 `json:"id"`
	SCL       uint64 `json:"scl"`
	Records   int    `json:"records"` // in the hot log
	Gaps      int    `json:"gaps"`    // records waiting above a gap
	Full      bool   `json:"full"`
	MemEpoch  uint64 `json:"memEpoch"`
	Base      uint64 `json:"base"`      // pages coalesced up to this LSN
	Staged    uint64 `json:"staged"`    // staged to backup up to this LSN
	Collected uint64 `json:"collected"` // log collected up to this LSN
	Hydrated  bool   `json:"hydrated"`
	Retired   bool   `json:"retired"`
	Corrupt   int    `json:"corrupt"` // damaged items scrub has found and not yet repaired
}

// InstState is one database instance.
type InstState struct {
	Name string `json:"name"`
	AZ   string `json:"az"`
	Role string `json:"role"`
	Up   bool   `json:"up"`
	// VDL is the durable point the instance reads at: the writer's own, or
	// the one a replica has applied from the log stream.
	VDL uint64 `json:"vdl"`
	// Lag is a replica's latest lag: how long after the writer made an LSN
	// durable the replica applied it. LagP50 and LagMax summarise the
	// recent samples.
	Lag    Time `json:"lag,omitempty"`
	LagP50 Time `json:"lagP50,omitempty"`
	LagMax Time `json:"lagMax,omitempty"`
	Cached int  `json:"cached"`           // pages in the buffer cache
	Active int  `json:"active,omitempty"` // transactions open or committing
	Fenced bool `json:"fenced,omitempty"` // refused by storage: another instance recovered the volume
	// Commits and Conflicts count a writer's committed transactions and
	// the statements that lost a page conflict (multi-master); Applied the
	// other writers' records its cache took from their streams.
	Commits   int64 `json:"commits,omitempty"`
	Conflicts int64 `json:"conflicts,omitempty"`
	SplitVote int64 `json:"splitVotes,omitempty"`
	Applied   int64 `json:"applied,omitempty"`
	// MultiMaster marks a writer of a cluster of several writers: its lag
	// is how far it trails the others, and its conflicts count.
	MultiMaster bool `json:"multiMaster,omitempty"`
	// ViewAt and ViewAge describe the oldest open read view of a replica
	// transaction, which holds back storage's GC.
	ViewAt  uint64 `json:"viewAt,omitempty"`
	ViewAge Time   `json:"viewAge,omitempty"`
}

// VolumeState is the volume: the writer's watermarks and every protection
// group.
type VolumeState struct {
	Writer     string    `json:"writer"`
	Epoch      uint64    `json:"epoch"`
	NextLSN    uint64    `json:"nextLSN"`
	VCL        uint64    `json:"vcl"`
	VDL        uint64    `json:"vdl"`
	LAL        uint64    `json:"lal"`
	Recovering string    `json:"recovering,omitempty"` // the recovery's phase, while it runs
	Recovery   string    `json:"recovery,omitempty"`   // the last recovery, in words
	Changes    []string  `json:"changes,omitempty"`    // membership changes in progress
	Changed    []string  `json:"changed,omitempty"`    // the last membership changes that finished
	PGs        []PGState `json:"pgs"`
}

// PGState is one protection group: its members, where they are, what they
// have acknowledged, and what the group can still do.
type PGState struct {
	ID     uint32 `json:"id"`
	PGCL   uint64 `json:"pgcl"`
	State  string `json:"state"`  // read-write, read-only, unavailable
	Quorum string `json:"quorum"` // the quorum rule and epoch, in words
	Epoch  uint64 `json:"epoch"`  // the membership epoch
	// Base and Collected are the highest points any member has coalesced
	// its pages and collected its log to: both stay at or below the PG's
	// minimum read point.
	Base      uint64        `json:"base"`
	Collected uint64        `json:"collected"`
	Up        int           `json:"up"` // members up
	Members   []MemberState `json:"members"`
}

// MemberState is one member of a PG: the segment as storage holds it, and
// the SCL the writer last heard from it.
type MemberState struct {
	Node     string `json:"node"`
	Seg      uint32 `json:"seg"`
	SCL      uint64 `json:"scl"`      // the segment's SCL, as storage holds it
	AckedSCL uint64 `json:"ackedSCL"` // the SCL the writer last heard
	MemEpoch uint64 `json:"memEpoch"`
	Full     bool   `json:"full"`
	Hydrated bool   `json:"hydrated"`
	Up       bool   `json:"up"`
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
		Generation: l.gen,
		Now:        c.Now(), Seed: l.cfg.Seed, Config: l.cfg.String(),
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
	for _, in := range c.Instances {
		is := InstState{Name: in.Name, AZ: in.AZ, Role: in.Role.String(), Up: c.Up(in.ID), VDL: uint64(in.VDL()),
			Cached: len(in.CachedPages()), Active: in.ActiveTxns(), Fenced: in.Fenced()}
		is.Commits = in.Stats().Commits
		if ms := in.MultiStats(); in.Role == db.Writer {
			is.Conflicts, is.SplitVote, is.Applied = ms.Conflicts, ms.SplitVote, ms.Applied
			is.MultiMaster = c.Writers() > 1
		}
		if at, age, ok := in.OldestView(c.Now()); ok {
			is.ViewAt, is.ViewAge = uint64(at), age
		}
		if lag := in.Lag(); len(lag) > 0 && (in.Role == db.Replica || c.Writers() > 1) {
			sorted := slices.Clone(lag)
			slices.Sort(sorted)
			is.Lag, is.LagP50, is.LagMax = lag[len(lag)-1], sorted[len(sorted)/2], sorted[len(sorted)-1]
		}
		s.Instances = append(s.Instances, is)
	}
	s.Volume = volumeState(c, c.Writer())
	c.InFlight(func(at Time, m *wire.Msg) {
		ms := MsgState{Kind: m.Kind.String(), From: c.Name(m.From), To: c.Name(m.To), PG: uint32(m.PG), Sent: m.Sent, Arrive: at}
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
		s.Consoles = append(s.Consoles, ConsoleInfo{Name: con.name, Conn: con.conn, Busy: con.busy(l.c.Now())})
	}
	return s
}

func nodeState(c *cluster.Cluster, n *storage.Node) NodeState {
	st := n.Stats()
	ns := NodeState{Name: n.Name, AZ: n.AZ, Up: c.Up(n.ID), Slow: n.Slow(), Epoch: n.VolumeEpoch(), Queue: n.QueueLen(),
		Stats: NodeStats{Persisted: st.RecordsPersisted, Acks: st.AcksSent, GossipFilled: st.GossipFilled,
			Coalesced: st.Coalesced, Collected: st.Collected, Staged: st.Staged, CorruptFound: st.CorruptFound,
			Repaired: st.Repaired, Truncated: st.Truncated, StaleRefused: st.StaleRefused, ReadsServed: st.ReadsServed}}
	for _, seg := range n.Segments() {
		ns.Segments = append(ns.Segments, SegmentState{PG: uint32(seg.PG), ID: seg.ID, SCL: uint64(seg.SCL()),
			Records: seg.Len(), Gaps: seg.Waiting(), Full: seg.Full, MemEpoch: seg.MemEpoch(),
			Base: uint64(seg.BaseLSN()), Staged: uint64(seg.StagedLSN()), Collected: uint64(seg.CollectedLSN()),
			Hydrated: seg.Hydrated(), Retired: seg.Retired(), Corrupt: seg.KnownCorrupt()})
	}
	return ns
}

func volumeState(c *cluster.Cluster, w *db.Instance) VolumeState {
	vs := VolumeState{Writer: w.Name, Epoch: c.VolumeEpoch(), LAL: c.Config().LAL, Changes: c.Changes(), Changed: c.ChangesDone(3)}
	v := w.Vol
	if v != nil {
		vs.Epoch, vs.NextLSN, vs.VCL, vs.VDL = v.Epoch(), uint64(v.NextLSN()), uint64(v.VCL()), uint64(v.VDL())
	}
	if r := w.Recovery(); r != nil {
		if w.Recovering() {
			vs.Recovering = r.Phase()
		} else {
			st := r.Stats()
			vs.Recovery = fmt.Sprintf("recovered in %v at epoch %d: VDL %d, truncated %d..%d, read %d record heads",
				r.Duration(c.Now()), r.Epoch(), r.VDL(), r.VDL()+1, r.TruncationEnd(), st.RecordHeads)
		}
	}
	for i := 1; i <= c.PGCount(); i++ {
		id := redo.PGID(i)
		members, q := c.PG(id)
		ps := PGState{ID: uint32(id), Epoch: q.Epoch(), Quorum: q.Describe(func(m quorum.Member) string { return memberName(members, m) })}
		var vpg *volume.PG
		if v != nil {
			vpg = v.PG(id)
		}
		if vpg != nil {
			ps.PGCL = uint64(vpg.PGCL())
		}
		var up quorum.Set
		for slot, m := range members {
			ms := MemberState{Node: m.Name, Seg: m.Seg, Full: m.Full, Up: c.Up(m.Node)}
			if n := c.Node(m.Node); n != nil {
				if seg := n.SegmentByID(id, m.Seg); seg != nil {
					ms.SCL, ms.MemEpoch, ms.Hydrated = uint64(seg.SCL()), seg.MemEpoch(), seg.Hydrated()
					ps.Base = max(ps.Base, uint64(seg.BaseLSN()))
					ps.Collected = max(ps.Collected, uint64(seg.CollectedLSN()))
				}
			}
			if vpg != nil {
				for i, vm := range vpg.Members {
					if vm.Seg == m.Seg {
						ms.AckedSCL = uint64(vpg.SCL(i))
					}
				}
			}
			if ms.Up {
				ps.Up++
				up |= 1 << slot
			}
			ps.Members = append(ps.Members, ms)
		}
		// A newcomer still being filled cannot serve reads yet.
		ps.State = q.State(up &^ q.Added()).String()
		vs.PGs = append(vs.PGs, ps)
	}
	return vs
}

// FormatStatus prints a snapshot as \status shows it.
func FormatStatus(s Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "time %v, %d events, %d messages delivered, %d lost\n", s.Now, s.Events, s.Delivered, s.Dropped)
	v := s.Volume
	fmt.Fprintf(&b, "volume: writer %s, epoch %d, VCL %d, VDL %d, next LSN %d, LAL %d\n", v.Writer, v.Epoch, v.VCL, v.VDL, v.NextLSN, v.LAL)
	if v.Recovering != "" {
		fmt.Fprintf(&b, "  recovering: %s\n", v.Recovering)
	} else if v.Recovery != "" {
		fmt.Fprintf(&b, "  last recovery: %s\n", v.Recovery)
	}
	for _, ch := range v.Changes {
		fmt.Fprintf(&b, "  membership change: %s\n", ch)
	}
	for _, ch := range v.Changed {
		fmt.Fprintf(&b, "  membership changed: %s\n", ch)
	}
	for _, pg := range v.PGs {
		fmt.Fprintf(&b, "  pg%d  PGCL %d  %s (%d/%d up)  membership epoch %d\n", pg.ID, pg.PGCL, pg.State, pg.Up, len(pg.Members), pg.Epoch)
		if len(pg.Members) > 6 || strings.Contains(pg.Quorum, " AND ") || strings.Contains(pg.Quorum, " OR ") {
			fmt.Fprintf(&b, "    quorum: %s\n", pg.Quorum)
		}
		if pg.Base > 0 || pg.Collected > 0 {
			fmt.Fprintf(&b, "    pages coalesced up to LSN %d, log collected up to LSN %d\n", pg.Base, pg.Collected)
		}
		b.WriteString("    SCL:")
		for _, m := range pg.Members {
			fmt.Fprintf(&b, " %s=%d", m.Node, m.SCL)
			var marks []string
			if !m.Up {
				marks = append(marks, "down")
			}
			if !m.Full {
				marks = append(marks, "tail")
			}
			if !m.Hydrated {
				marks = append(marks, "filling")
			}
			if len(marks) > 0 {
				b.WriteString("(" + strings.Join(marks, ",") + ")")
			}
		}
		b.WriteByte('\n')
	}
	var parts []string
	for _, n := range s.Nodes {
		p := n.Name + " " + upDown(n.Up)
		var extra []string
		if n.Slow > 0 {
			extra = append(extra, "slow +"+n.Slow.String())
		}
		if n.Stats.CorruptFound > 0 {
			extra = append(extra, fmt.Sprintf("%d corrupt found, %d repaired", n.Stats.CorruptFound, n.Stats.Repaired))
		}
		if n.Stats.GossipFilled > 0 {
			extra = append(extra, fmt.Sprintf("%d filled by gossip", n.Stats.GossipFilled))
		}
		if len(extra) > 0 {
			p += " (" + strings.Join(extra, "; ") + ")"
		}
		parts = append(parts, p)
	}
	b.WriteString("storage: " + strings.Join(parts, ", ") + "\n")
	b.WriteString("instances:")
	for _, in := range s.Instances {
		fmt.Fprintf(&b, "\n  %s %s %s (AZ %s): reads at VDL %d, %d pages cached", in.Name, in.Role, upDown(in.Up), in.AZ, in.VDL, in.Cached)
		switch {
		case in.Role == "replica" && in.LagMax > 0:
			fmt.Fprintf(&b, ", lag %v (median %v, max %v)", in.Lag, in.LagP50, in.LagMax)
		case in.MultiMaster && in.LagMax > 0:
			fmt.Fprintf(&b, ", trails the other writers by %v (median %v, max %v)", in.Lag, in.LagP50, in.LagMax)
		}
		if in.Active > 0 {
			fmt.Fprintf(&b, ", %d transactions open", in.Active)
		}
		if in.MultiMaster {
			fmt.Fprintf(&b, ", %s, %s (%s)", count(in.Commits, "commit"), count(in.Conflicts, "conflict"), conflictRate(in.Commits, in.Conflicts))
			if in.SplitVote > 0 {
				fmt.Fprintf(&b, ", %s", count(in.SplitVote, "split vote"))
			}
		}
		if in.ViewAge > 0 || in.ViewAt > 0 {
			fmt.Fprintf(&b, ", a read view at LSN %d open for %v holds back GC", in.ViewAt, in.ViewAge)
		}
		if in.Fenced {
			b.WriteString(", fenced: another instance recovered the volume")
		}
	}
	return b.String()
}

// count prints n things, in the plural unless there is one.
func count(n int64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.FormatInt(n, 10) + " " + thing + "s"
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

func memberName(members []volume.Member, m quorum.Member) string {
	for _, mem := range members {
		if quorum.Member(mem.Seg) == m {
			return mem.Name
		}
	}
	return m.String()
}

// conflictRate prints the share of a writer's attempts that lost a
// conflict.
func conflictRate(commits, conflicts int64) string {
	if commits+conflicts == 0 {
		return "no attempts"
	}
	return fmt.Sprintf("%.1f%% conflict rate", 100*float64(conflicts)/float64(commits+conflicts))
}
