// Package cluster is the simulated world of one Aurora cluster: its storage
// nodes and database instances, the network between them, the event queue
// that drives them and the faults a person injects.
package cluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"aurora-lab/engine/internal/backup"
	"aurora-lab/engine/internal/db"
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/storage"
	"aurora-lab/engine/internal/volume"
	"aurora-lab/engine/internal/wire"
)

// AZs are the availability zones of the region, always three.
var AZs = []string{"a", "b", "c"}

// handler is a node of the world.
type handler interface {
	Handle(env wire.Env, m *wire.Msg)
}

// Cluster is the world. It is single-threaded: one event at a time, in
// (time, sequence) order.
type Cluster struct {
	cfg  Config
	now  sim.Time
	rand *sim.Rand
	q    sim.Queue[wire.Msg]
	net  *sim.Network

	handlers []handler
	names    []string
	azOf     []uint8
	inc      []uint32 // incarnation per node: bumped when it restarts

	Storage   []*storage.Node
	Instances []*db.Instance
	Backup    *backup.Node
	cp        *controlPlane
	pgs       []pgInfo // the volume's protection groups, from pg1
	// volEpoch is the volume epoch the control plane last handed out; a
	// recovery takes the next one.
	volEpoch uint64
	// writers maps each writer stream to the instance that owns it.
	writers []sim.NodeID

	segSeq   uint32 // the last segment id given out
	notes    []wire.Note
	noteSeq  uint64 // how many notes were ever made
	stats    Stats
	traceSum uint64
	// followers is the buffer Followers returns.
	followers []sim.NodeID
}

// Stats counts the world's events.
type Stats struct {
	Events    uint64 // events processed (messages and timers)
	Delivered uint64 // network messages delivered
	Dropped   uint64 // network messages lost
}

// pgInfo is a protection group as the control plane knows it.
type pgInfo struct {
	members []volume.Member
	q       quorum.Membership
}

// maxNotes bounds the event log kept in memory.
const maxNotes = 2000

// New builds a cluster from cfg.
func New(cfg Config) (*Cluster, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg, rand: sim.NewRand(cfg.Seed), traceSum: 14695981039346656037, volEpoch: 1}
	c.q.SetForget((*wire.Msg).Forget)
	// Storage nodes first: a1 a2 b1 b2 c1 c2 with two per AZ, then the
	// backup store (the model's S3), a regional service outside the AZs.
	nodes := 3 * cfg.NodesPerAZ
	bk := sim.NodeID(nodes)
	for az := range AZs {
		for i := 1; i <= cfg.NodesPerAZ; i++ {
			id := c.addNode(AZs[az]+strconv.Itoa(i), uint8(az))
			scfg := storage.Config{PersistLatency: cfg.PersistLatency, HasBackup: true, Backup: bk}
			if cfg.Writers > 1 {
				// Several writers: segments vote on page versions. Coalescing,
				// staging and GC wait (SIGMOD'17 §3.3 lets background work
				// be deferred): a page base must never hold a change whose
				// conflict is undecided, and deciding that across writers'
				// streams is beyond this model.
				scfg.Conflicts, scfg.Streams = true, cfg.Writers
				scfg.CoalesceInterval, scfg.StageInterval, scfg.GCInterval = -1, -1, -1
			}
			n := storage.NewNode(id, c.names[id], AZs[az], scfg)
			c.handlers[id] = n
			c.Storage = append(c.Storage, n)
		}
	}
	if id := c.addNode("backup", uint8(len(AZs))); id != bk {
		panic("cluster: backup node misplaced")
	}
	c.Backup = backup.New(bk, "backup")
	c.handlers[bk] = c.Backup
	cpID := c.addNode("cp", uint8(len(AZs)))
	c.cp = &controlPlane{c: c, id: cpID}
	c.handlers[cpID] = c.cp
	// Instances: writers w1.. then replicas r1.., spread over the AZs.
	k := 0
	for i := 1; i <= cfg.Writers; i++ {
		c.addInstance("w"+strconv.Itoa(i), k%3, db.Writer)
		k++
	}
	for i := 1; i <= cfg.Replicas; i++ {
		c.addInstance("r"+strconv.Itoa(i), k%3, db.Replica)
		k++
	}
	c.net = sim.NewNetwork(sim.NetConfig{
		LatencySameAZ:        cfg.LatencySameAZ,
		LatencyCrossAZ:       cfg.LatencyCrossAZ,
		JitterPercent:        cfg.JitterPercent,
		LossPercent:          cfg.LossPercent,
		BandwidthBytesPerSec: cfg.BandwidthMbps * 1_000_000 / 8,
	}, c.azOf)
	for pg := 1; pg <= cfg.PGs; pg++ {
		c.addPG()
	}
	for _, n := range c.Storage {
		n.Start(c)
	}
	c.cp.start(c)
	// The writers format their pages of the new volume.
	first := true
	for _, in := range c.Instances {
		if in.Role == db.Writer {
			if err := in.Boot(c, first); err != nil {
				return nil, err
			}
			in.Vol.Start(c)
			in.StartWriter(c)
			first = false
		}
	}
	return c, nil
}

func (c *Cluster) addNode(name string, az uint8) sim.NodeID {
	id := sim.NodeID(len(c.names))
	c.names = append(c.names, name)
	c.azOf = append(c.azOf, az)
	c.inc = append(c.inc, 0)
	c.handlers = append(c.handlers, nil)
	return id
}

func (c *Cluster) addInstance(name string, az int, role db.Role) {
	id := c.addNode(name, uint8(az))
	stride := 1
	if c.cfg.Writers > 1 {
		stride = 16 // Aurora multi-master fixes auto_increment_increment at 16
	}
	in := db.NewInstance(id, name, AZs[az], role, db.Config{
		CacheSize:        c.cfg.CachePages,
		RowsPerPage:      c.cfg.RowsPerPage,
		Geometry:         db.Geometry{PagesPerPG: c.cfg.PagesPerPG},
		StatementTimeout: c.cfg.StatementTimeout,
		HedgeAfter:       c.cfg.HedgeAfter,
		ReadRetry:        5 * sim.Millisecond,
		StreamInterval:   0,
		AutoIncStride:    stride,
		Recycle:          true, // Send and After hold a queued message's batch
	}, c)
	if role == db.Writer {
		in.Stream = uint8(len(c.writers))
		c.writers = append(c.writers, id)
		vcfg := c.volumeConfig()
		vcfg.OwnPage = db.TxnPage(in.Stream)
		in.Vol = volume.New(vcfg, id, in.Stream, 1, redo.NoLSN)
	}
	c.handlers[id] = in
	c.Instances = append(c.Instances, in)
}

func (c *Cluster) volumeConfig() volume.Config {
	return volume.Config{LAL: c.cfg.LAL, BoxcarDelay: c.cfg.BoxcarDelay, RetryInterval: c.cfg.RetryInterval,
		HeartbeatInterval: 10 * sim.Millisecond, Streams: c.cfg.Writers, Recycle: true}
}

// pgSpecs returns the volume's protection groups as recovery needs them.
func (c *Cluster) pgSpecs() []volume.PGSpec {
	out := make([]volume.PGSpec, len(c.pgs))
	for i, p := range c.pgs {
		out[i] = volume.PGSpec{ID: redo.PGID(i + 1), Quorum: p.q, Members: p.members}
	}
	return out
}

// VolumeEpoch reports the volume epoch the control plane last handed out.
func (c *Cluster) VolumeEpoch() uint64 { return c.volEpoch }

// WriterOf returns the instance that owns writer stream s.
func (c *Cluster) WriterOf(s uint8) *db.Instance {
	if int(s) >= len(c.writers) {
		return nil
	}
	return c.handlers[c.writers[s]].(*db.Instance)
}

// recoverAs makes in the owner of writer stream s and starts its crash
// recovery at the next volume epoch.
func (c *Cluster) recoverAs(in *db.Instance, s uint8) {
	c.writers[s] = in.ID
	c.volEpoch++
	in.BecomeWriter(c, s, c.volEpoch, c.pgSpecs(), c.volumeConfig())
}

// Failover promotes a replica to writer: the one named, or else the first
// replica that is up. It recovers the volume under the writer's stream;
// the old writer, if it still runs, is fenced off by the new volume epoch.
func (c *Cluster) Failover(target string) (*db.Instance, error) {
	var in *db.Instance
	if target != "" {
		in = c.Instance(target)
		if in == nil {
			return nil, fmt.Errorf("no instance called %q", target)
		}
	} else {
		for _, x := range c.Instances {
			if x.Role == db.Replica && c.net.Up(x.ID) {
				in = x
				break
			}
		}
		if in == nil {
			return nil, fmt.Errorf("no replica is up to promote")
		}
	}
	switch {
	case !c.net.Up(in.ID):
		return nil, fmt.Errorf("%s is down", in.Name)
	case in.Role == db.Writer:
		return nil, fmt.Errorf("%s is already a writer", in.Name)
	case len(c.writers) != 1:
		return nil, fmt.Errorf("failover promotes a replica of a single-writer cluster; this one has %d writers", len(c.writers))
	}
	old := c.WriterOf(0)
	c.Note(wire.Note{Kind: "failover", Node: in.Name, Text: fmt.Sprintf("failover: %s is promoted to writer in place of %s", in.Name, old.Name)})
	c.recoverAs(in, 0)
	return in, nil
}

// Members implements db.Topology.
func (c *Cluster) Members(pg redo.PGID) []volume.Member {
	if pg < 1 || int(pg) > len(c.pgs) {
		return nil
	}
	return c.pgs[pg-1].members
}

// Grow implements db.Topology: the volume gains protection groups up to
// pg, as storage grows in 10 GB steps in Aurora.
func (c *Cluster) Grow(pg redo.PGID) {
	for len(c.pgs) < int(pg) {
		id := c.addPG()
		c.Note(wire.Note{Kind: "grow", PG: id, Text: fmt.Sprintf("the volume grew: %v placed on %d segments", id, len(c.pgs[id-1].members))})
	}
}

// Followers implements db.Topology: a writer streams its log to the
// replicas (and, on a multi-master cluster, to the other writers). An old
// writer a failover replaced, still running until storage fences it,
// streams to no one: the followers follow the new writer.
func (c *Cluster) Followers(w sim.NodeID) []sim.NodeID {
	if !slices.Contains(c.writers, w) {
		return nil
	}
	// The writer asks at every commit: the list is built in a buffer the
	// cluster keeps rather than a new slice each time.
	out := c.followers[:0]
	for _, in := range c.Instances {
		if in.ID != w && c.net.Up(in.ID) {
			out = append(out, in.ID)
		}
	}
	c.followers = out
	return out
}

// Writers implements db.Topology.
func (c *Cluster) Writers() int { return len(c.writers) }

// WriterName implements db.Topology.
func (c *Cluster) WriterName(s uint8) string { return c.names[c.writers[s]] }

// WriterNode implements db.Topology.
func (c *Cluster) WriterNode(s uint8) sim.NodeID { return c.writers[s] }

// ControlPlane implements db.Topology.
func (c *Cluster) ControlPlane() sim.NodeID { return c.cp.id }

// Latency implements db.Topology.
func (c *Cluster) Latency(a, b sim.NodeID) sim.Time { return c.net.BaseLatency(a, b) }

// addPG places a new protection group: two segments in each AZ, on the
// nodes of that AZ in turn, so PGs spread evenly over the fleet.
func (c *Cluster) addPG() redo.PGID {
	pg := redo.PGID(len(c.pgs) + 1)
	var members []volume.Member
	var nodes []*storage.Node
	per := c.cfg.NodesPerAZ
	for az := range AZs {
		for j := range 2 {
			idx := (2*int(pg-1) + j) % per
			n := c.Storage[az*per+idx]
			c.segSeq++
			nodes = append(nodes, n)
			// With tail segments, each AZ holds one full segment (log and
			// pages) and one tail segment (log only), SIGMOD'18 §4.2.
			full := !c.cfg.TailSegments || j == 0
			members = append(members, volume.Member{Seg: c.segSeq, Node: n.ID, Name: n.Name, Full: full})
		}
	}
	var q quorum.Membership
	if c.cfg.TailSegments {
		var full, tail [3]quorum.Member
		var fi, ti int
		for _, m := range members {
			if m.Full {
				full[fi] = quorum.Member(m.Seg)
				fi++
			} else {
				tail[ti] = quorum.Member(m.Seg)
				ti++
			}
		}
		q = quorum.FullTail(1, full, tail)
	} else {
		var ids [quorum.Replicas]quorum.Member
		for i, m := range members {
			ids[i] = quorum.Member(m.Seg)
		}
		q = quorum.Standard(1, ids)
	}
	// Members go in the membership's slot order.
	ordered := c.membersOf(q, members)
	byNode := make([]*storage.Node, len(ordered))
	for i, m := range ordered {
		byNode[i] = nodes[slices.IndexFunc(members, func(x volume.Member) bool { return x.Seg == m.Seg })]
	}
	members, nodes = ordered, byNode
	peers := make([]wire.Peer, len(members))
	for i, m := range members {
		peers[i] = wire.Peer{Seg: m.Seg, Node: m.Node, Full: m.Full}
	}
	// A PG added as the volume grows joins the background work its nodes
	// already run.
	for i, n := range nodes {
		n.Place(storage.Placement{Seg: members[i].Seg, PG: pg, Full: members[i].Full, Quorum: q, Peers: peers})
	}
	c.pgs = append(c.pgs, pgInfo{members: members, q: q})
	for _, in := range c.Instances {
		switch {
		case in.Vol != nil:
			in.Vol.AddPG(pg, q, members, redo.NoLSN)
		case in.Recovering():
			// It opens the volume with the PGs its recovery read.
			in.Recovery().AddPG(volume.PGSpec{ID: pg, Quorum: q, Members: members})
		}
	}
	return pg
}

// PG returns the members (in slot order) and membership of protection
// group id, as the control plane knows them.
func (c *Cluster) PG(id redo.PGID) ([]volume.Member, quorum.Membership) {
	p := c.pgs[id-1]
	return p.members, p.q
}

// Node returns the storage node with id, or nil.
func (c *Cluster) Node(id sim.NodeID) *storage.Node {
	n, _ := c.handlers[id].(*storage.Node)
	return n
}

// Writer returns the instance that owns writer stream 0.
func (c *Cluster) Writer() *db.Instance { return c.WriterOf(0) }

// Changes describes the membership changes in progress, one line each.
func (c *Cluster) Changes() []string {
	var out []string
	for _, ch := range c.cp.active() {
		phase := "waiting for a write quorum of the old membership to accept the new epoch"
		switch {
		case ch.phase == phaseHydrate && ch.waitNoted:
			phase = fmt.Sprintf("s%d on %s has filled itself, and waits until its log reaches %d (it holds %d)", ch.new.Seg, ch.new.Name, ch.needLSN, ch.hasLSN)
		case ch.phase == phaseHydrate:
			phase = fmt.Sprintf("%s is filling s%d from its peers", ch.new.Name, ch.new.Seg)
		case ch.phase == phaseFinish:
			verb := "completing"
			if ch.gone == ch.new {
				verb = "reverting"
			}
			members := c.pgs[ch.pg-1].members
			took := 0
			for _, m := range members {
				if ch.finAcked[m.Seg] {
					took++
				}
			}
			phase = fmt.Sprintf("%s at membership epoch %d: %d of %d members have taken it", verb, ch.final.Epoch(), took, len(members))
		}
		out = append(out, fmt.Sprintf("%v: replacing s%d on %s by s%d on %s: %s", ch.pg, ch.old.Seg, ch.old.Name, ch.new.Seg, ch.new.Name, phase))
	}
	return out
}

// ChangesDone describes the last membership changes that finished, newest
// last, at most n.
func (c *Cluster) ChangesDone(n int) []string {
	var out []string
	for _, ch := range c.cp.changes {
		if ch.phase == phaseDone {
			out = append(out, ch.outcome)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

// PGCount reports the protection groups of the volume.
func (c *Cluster) PGCount() int { return len(c.pgs) }

// Config returns the cluster's configuration.
func (c *Cluster) Config() Config { return c.cfg }

// Now reports the simulated time.
func (c *Cluster) Now() sim.Time { return c.now }

// Rand returns the world's random source.
func (c *Cluster) Rand() *sim.Rand { return c.rand }

// Network returns the network.
func (c *Cluster) Network() *sim.Network { return c.net }

// Stats reports the world's counters.
func (c *Cluster) Stats() Stats { return c.stats }

// TraceHash returns a hash of every event processed so far: two runs with
// the same hash did the same things at the same times.
func (c *Cluster) TraceHash() uint64 { return c.traceSum }

// Name returns the name of node id.
func (c *Cluster) Name(id sim.NodeID) string { return c.names[id] }

// NodeCount reports the number of nodes (storage and instances).
func (c *Cluster) NodeCount() int { return len(c.names) }

// Lookup returns the node called name.
func (c *Cluster) Lookup(name string) (sim.NodeID, bool) {
	i := slices.Index(c.names, name)
	return sim.NodeID(i), i >= 0
}

// Instance returns the instance called name, or nil.
func (c *Cluster) Instance(name string) *db.Instance {
	for _, in := range c.Instances {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// Up reports whether node id is running.
func (c *Cluster) Up(id sim.NodeID) bool { return c.net.Up(id) }

// Send implements wire.Env.
func (c *Cluster) Send(m wire.Msg) {
	at, ok := c.net.Route(c.now, m.From, m.To, m.Size(), c.rand)
	if !ok {
		c.stats.Dropped++
		return
	}
	m.Stamp = c.inc[m.To]
	m.Sent = c.now
	// The queued copy holds its batch: the hold is released when the
	// slot is freed (wire.Msg.Forget), in Step or by the queue, so a
	// batch the writer recycles (redo.Pool) is not refilled while a
	// message carrying it waits, however long it is delayed.
	if m.Batch != nil {
		m.Batch.Hold()
	}
	c.q.Schedule(at).Set(&m)
}

// After implements wire.Env.
func (c *Cluster) After(d sim.Time, m wire.Msg) {
	m.Stamp = c.inc[m.To]
	if m.Batch != nil {
		m.Batch.Hold() // as in Send
	}
	c.q.Schedule(c.now + d).Set(&m)
}

// Note implements wire.Env.
func (c *Cluster) Note(n wire.Note) {
	n.At = c.now
	if len(c.notes) == maxNotes {
		copy(c.notes, c.notes[1:])
		c.notes = c.notes[:maxNotes-1]
	}
	c.notes = append(c.notes, n)
	c.noteSeq++
}

// Notes returns the notes made after the first since of them (a count
// previously returned as next), and the count to pass next time.
func (c *Cluster) Notes(since uint64) (notes []wire.Note, next uint64) {
	first := c.noteSeq - uint64(len(c.notes))
	since = min(max(since, first), c.noteSeq)
	return c.notes[since-first:], c.noteSeq
}

// NextEvent reports the time of the next pending event.
func (c *Cluster) NextEvent() sim.Time { return c.q.Next() }

// Step processes the next event, if any, and reports whether there was one.
func (c *Cluster) Step() bool {
	// The handler gets the message where it lies in the queue, not a copy.
	at, m, ok := c.q.Take()
	if !ok {
		return false
	}
	c.now = at
	c.stats.Events++
	if c.stats.Events&1023 == 0 {
		yieldRuntime() // for the collector under wasm: see yield_js.go
	}
	if !c.net.Up(m.To) || m.Stamp != c.inc[m.To] {
		if m.Kind != wire.Timer {
			c.stats.Dropped++
		}
		m.Forget()
		c.q.ReleaseForgotten()
		return true
	}
	if m.Kind != wire.Timer {
		c.stats.Delivered++
	}
	c.trace(at, m)
	c.handlers[m.To].Handle(c, m)
	// Keep no batch or body alive past its delivery. The message is
	// forgotten here, where the call is direct, rather than by the queue
	// through the function SetForget gave it.
	m.Forget()
	c.q.ReleaseForgotten()
	return true
}

// RunUntil processes every event due at or before t, then sets the clock
// to t.
func (c *Cluster) RunUntil(t sim.Time) {
	for c.q.Next() <= t {
		c.Step()
	}
	if t > c.now {
		c.now = t
	}
}

// AdvanceClock moves the clock forward to t without processing events; t
// must not pass a pending event.
func (c *Cluster) AdvanceClock(t sim.Time) {
	if t > c.q.Next() {
		panic(fmt.Sprintf("cluster: clock moved to %v past a pending event at %v", t, c.q.Next()))
	}
	if t > c.now {
		c.now = t
	}
}

// trace folds an event's identity into the trace hash, a word at a time:
// each word is xored in, multiplied by the 64-bit FNV prime and its high
// bits folded down, so every input bit reaches every bit of the sum within
// a couple of words.
func (c *Cluster) trace(at sim.Time, m *wire.Msg) {
	h := c.traceSum
	h = traceMix(h, uint64(at))
	h = traceMix(h, uint64(m.Kind)|uint64(m.From)<<8|uint64(m.To)<<24)
	h = traceMix(h, uint64(m.A))
	h = traceMix(h, uint64(m.B))
	h = traceMix(h, uint64(m.N))
	c.traceSum = h
}

func traceMix(h, v uint64) uint64 {
	h = (h ^ v) * 1099511628211
	return h ^ h>>29
}

// InFlight calls f for each network message on its way, with the time it
// arrives.
func (c *Cluster) InFlight(f func(at sim.Time, m *wire.Msg)) {
	c.q.Each(func(at sim.Time, m *wire.Msg) bool {
		if m.Kind != wire.Timer {
			f(at, m)
		}
		return true
	})
}

// Targets resolves a fault target — an AZ (a, b, c), a storage node (b1) or
// an instance (w1, r2) — to its nodes.
func (c *Cluster) Targets(name string) ([]sim.NodeID, error) {
	if az := slices.Index(AZs, name); az >= 0 {
		var ids []sim.NodeID
		for id, a := range c.azOf {
			if int(a) == az {
				ids = append(ids, sim.NodeID(id))
			}
		}
		return ids, nil
	}
	if id, ok := c.Lookup(name); ok {
		return []sim.NodeID{id}, nil
	}
	return nil, fmt.Errorf("no node, instance or AZ called %q", name)
}

// Crash stops the nodes of target: each loses its volatile state, and every
// message to it is lost until it restarts.
func (c *Cluster) Crash(target string) ([]string, error) {
	ids, err := c.Targets(target)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, id := range ids {
		if !c.net.Up(id) {
			continue
		}
		c.net.SetUp(id, false)
		c.inc[id]++ // alarms and messages addressed to the old run die with it
		switch h := c.handlers[id].(type) {
		case *storage.Node:
			h.Crash()
		case *db.Instance:
			h.Crash()
		}
		done = append(done, c.names[id])
	}
	if len(done) > 0 {
		c.Note(wire.Note{Kind: "crash", Node: target, Text: "crashed: " + joinNames(done)})
	}
	return done, nil
}

// Restart brings the nodes of target back with their durable state.
func (c *Cluster) Restart(target string) ([]string, error) {
	ids, err := c.Targets(target)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, id := range ids {
		if c.net.Up(id) {
			continue
		}
		c.net.SetUp(id, true)
		c.inc[id]++
		done = append(done, c.names[id])
		switch h := c.handlers[id].(type) {
		case *db.Instance:
			c.restartInstance(h)
		case *storage.Node:
			h.Restart(c)
		}
	}
	if len(done) > 0 {
		c.Note(wire.Note{Kind: "restart", Node: target, Text: "restarted: " + joinNames(done)})
	}
	return done, nil
}

// restartInstance brings an instance back: the owner of a writer stream
// recovers the volume; any other instance comes back as a replica, with a
// cold cache, and follows the writer's stream.
func (c *Cluster) restartInstance(in *db.Instance) {
	for s, id := range c.writers {
		if id == in.ID {
			c.recoverAs(in, uint8(s))
			return
		}
	}
	in.Role = db.Replica
	in.Vol = nil
}

// Partition cuts every link between the nodes of a and those of b.
func (c *Cluster) Partition(a, b string) error {
	if err := c.pairs(a, b, func(x, y sim.NodeID) { c.net.Block(x, y, true) }); err != nil {
		return err
	}
	c.Note(wire.Note{Kind: "partition", Text: "partitioned " + a + " from " + b})
	return nil
}

// Heal restores the links of target, or every link when target is "".
func (c *Cluster) Heal(target string) error {
	if target == "" {
		c.net.HealAll()
		c.Note(wire.Note{Kind: "heal", Text: "healed every link"})
		return nil
	}
	ids, err := c.Targets(target)
	if err != nil {
		return err
	}
	for _, x := range ids {
		for y := range c.names {
			c.net.Block(x, sim.NodeID(y), false)
		}
	}
	c.Note(wire.Note{Kind: "heal", Node: target, Text: "healed the links of " + target})
	return nil
}

// pairs resolves two targets to the links between them.
func (c *Cluster) pairs(a, b string, f func(x, y sim.NodeID)) error {
	as, err := c.Targets(a)
	if err != nil {
		return err
	}
	bs, err := c.Targets(b)
	if err != nil {
		return err
	}
	for _, x := range as {
		for _, y := range bs {
			if x != y {
				f(x, y)
			}
		}
	}
	return nil
}

// LinkLatency adds d to the one-way delay between the nodes of a and b.
func (c *Cluster) LinkLatency(a, b string, d sim.Time) (string, error) {
	if err := c.pairs(a, b, func(x, y sim.NodeID) { c.net.SetLinkLatency(x, y, d) }); err != nil {
		return "", err
	}
	c.Note(wire.Note{Kind: "latency", Text: fmt.Sprintf("links between %s and %s: %v more delay", a, b, d)})
	return fmt.Sprintf("links between %s and %s delay %v more", a, b, d), nil
}

// LinkLoss makes pct percent of the messages between a and b get lost.
func (c *Cluster) LinkLoss(a, b string, pct float64) (string, error) {
	if err := c.pairs(a, b, func(x, y sim.NodeID) { c.net.SetLinkLoss(x, y, pct) }); err != nil {
		return "", err
	}
	c.Note(wire.Note{Kind: "loss", Text: fmt.Sprintf("links between %s and %s lose %v%% of messages", a, b, pct)})
	return fmt.Sprintf("links between %s and %s lose %v%% of messages", a, b, pct), nil
}

// Slow makes the nodes of target slow: d more for every message to or
// from them and, on a storage node, for every disk write.
func (c *Cluster) Slow(target string, d sim.Time) (string, error) {
	ids, err := c.Targets(target)
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		c.net.SetSlow(id, d)
		if n, ok := c.handlers[id].(*storage.Node); ok {
			n.SetSlow(d)
		}
	}
	if d == 0 {
		c.Note(wire.Note{Kind: "slow", Node: target, Text: target + " is no longer slow"})
		return target + " is no longer slow", nil
	}
	c.Note(wire.Note{Kind: "slow", Node: target, Text: fmt.Sprintf("%s is slow: %v more per message and disk write", target, d)})
	return fmt.Sprintf("%s is slow: %v more per message and disk write", target, d), nil
}

// Corrupt damages stored data of a segment on a storage node: of pg (as
// "pg2" or "2"), or of its first segment.
func (c *Cluster) Corrupt(node, pg string) (string, error) {
	id, ok := c.Lookup(node)
	n, isNode := c.handlers[id].(*storage.Node)
	if !ok || !isNode {
		return "", fmt.Errorf("no storage node called %q", node)
	}
	var p redo.PGID
	if pg == "" {
		segs := n.Segments()
		if len(segs) == 0 {
			return "", fmt.Errorf("%s holds no segment", node)
		}
		p = segs[0].PG
	} else {
		v, err := strconv.ParseUint(strings.TrimPrefix(pg, "pg"), 10, 32)
		if err != nil || v == 0 {
			return "", fmt.Errorf("%q is not a protection group (pg1, pg2, ...)", pg)
		}
		p = redo.PGID(v)
	}
	if err := n.Corrupt(p); err != nil {
		return "", err
	}
	return fmt.Sprintf("damaged data of %v on %s: scrub will find it, reads refuse it", p, node), nil
}

func joinNames(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += " "
		}
		s += n
	}
	return s
}
