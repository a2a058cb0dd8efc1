package storage

import (
	"fmt"
	"strings"
	"testing"

	"aurora-lab/engine/internal/backup"
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// world is a small deterministic world for the storage tests: six storage
// nodes a1 a2 b1 b2 c1 c2 (node ids 0-5) holding segments 1-6 of pg1, a
// scripted writer w1 (id 6) and the backup store (id 7). It plays the part
// of the cluster: an event queue ordered by (time, sequence), the
// simulated network, incarnations so a crashed node's alarms and messages
// die with it, and a hook that can drop chosen messages.
type world struct {
	t     *testing.T
	now   sim.Time
	rand  *sim.Rand
	q     sim.Queue[wire.Msg]
	net   *sim.Network
	inc   []uint32
	nodes []*Node
	w     *writer
	bk    *backup.Node
	notes []wire.Note
	// drop, when set, loses the messages it returns true for.
	drop func(m *wire.Msg) bool
	// seen, when set, is called for every delivered message.
	seen  func(m *wire.Msg)
	trace uint64
}

const (
	writerID = sim.NodeID(6)
	backupID = sim.NodeID(7)
)

var nodeNames = []string{"a1", "a2", "b1", "b2", "c1", "c2"}

// worldOpts shapes a test world.
type worldOpts struct {
	cfg      Config // storage node knobs; Backup is filled in
	fullTail bool   // segments 1-3 full, 4-6 tail (SIGMOD'18 §4.2)
	net      sim.NetConfig
	seed     uint64
	noStart  bool
}

// quietConfig turns every background step off; a test turns on the ones
// it watches.
func quietConfig() Config {
	return Config{
		PersistLatency:   100 * sim.Microsecond,
		GossipInterval:   -1,
		CoalesceInterval: -1,
		StageInterval:    -1,
		GCInterval:       -1,
		ScrubInterval:    -1,
	}
}

func newWorld(t *testing.T, o worldOpts) *world {
	t.Helper()
	if o.net == (sim.NetConfig{}) {
		o.net = sim.NetConfig{LatencySameAZ: 100 * sim.Microsecond, LatencyCrossAZ: 500 * sim.Microsecond}
	}
	if o.seed == 0 {
		o.seed = 1
	}
	w := &world{t: t, rand: sim.NewRand(o.seed), trace: 14695981039346656037}
	w.net = sim.NewNetwork(o.net, []uint8{0, 0, 1, 1, 2, 2, 0, 3})
	w.inc = make([]uint32, 8)
	peers := w.peers(o.fullTail)
	var members [quorum.Replicas]quorum.Member
	for i := range members {
		members[i] = quorum.Member(i + 1)
	}
	q := quorum.Standard(1, members)
	if o.fullTail {
		q = quorum.FullTail(1, [3]quorum.Member{1, 2, 3}, [3]quorum.Member{4, 5, 6})
	}
	for i, name := range nodeNames {
		cfg := o.cfg
		cfg.HasBackup, cfg.Backup = true, backupID
		// Every test of the package checks, at every step, that the
		// nodes' hot logs hold what their disks would (see checkShared).
		ms := NewMemStore()
		ms.verify = true
		cfg.Store = ms
		n := NewNode(sim.NodeID(i), name, string(rune('a'+i/2)), cfg)
		n.Place(Placement{Seg: uint32(i + 1), PG: 1, Full: peers[i].Full, Quorum: q, Peers: peers})
		w.nodes = append(w.nodes, n)
	}
	w.w = &writer{w: w, id: writerID, epoch: 1, memEpoch: 1, lastPG: map[redo.PGID]redo.LSN{}, lastPage: map[redo.PageID]redo.LSN{}}
	w.bk = backup.New(backupID, "s3")
	if !o.noStart {
		for _, n := range w.nodes {
			n.Start(w)
		}
	}
	return w
}

func (w *world) peers(fullTail bool) []wire.Peer {
	var ps []wire.Peer
	for i := range nodeNames {
		ps = append(ps, wire.Peer{Seg: uint32(i + 1), Node: sim.NodeID(i), Full: !fullTail || i < 3})
	}
	return ps
}

// seg returns segment i+1 on node i.
func (w *world) seg(i int) *Segment { return w.nodes[i].SegmentByID(1, uint32(i+1)) }

func (w *world) Now() sim.Time    { return w.now }
func (w *world) Rand() *sim.Rand  { return w.rand }
func (w *world) Note(n wire.Note) { n.At = w.now; w.notes = append(w.notes, n) }

func (w *world) Send(m wire.Msg) {
	if w.drop != nil && w.drop(&m) {
		return
	}
	at, ok := w.net.Route(w.now, m.From, m.To, m.Size(), w.rand)
	if !ok {
		return
	}
	m.Stamp = w.inc[m.To]
	w.q.Push(at, m)
}

func (w *world) After(d sim.Time, m wire.Msg) {
	m.Stamp = w.inc[m.To]
	w.q.Push(w.now+d, m)
}

func (w *world) step() bool {
	at, m, ok := w.q.Pop()
	if !ok {
		return false
	}
	w.now = at
	if !w.net.Up(m.To) || m.Stamp != w.inc[m.To] {
		return true
	}
	w.hash(at, &m)
	if w.seen != nil {
		w.seen(&m)
	}
	switch {
	case m.To == writerID:
		w.w.Handle(w, &m)
	case m.To == backupID:
		w.bk.Handle(w, &m)
	default:
		n := w.nodes[m.To]
		n.Handle(w, &m)
		if err := n.mem.checkShared(); err != nil {
			w.t.Fatalf("%s after %s at %s: %v", n.Name, m.Kind, at, err)
		}
	}
	return true
}

// run processes every event due in the next d.
func (w *world) run(d sim.Time) {
	end := w.now + d
	for w.q.Next() <= end {
		w.step()
	}
	w.now = end
}

// runUntil steps until cond holds or d passes, and reports whether it held.
func (w *world) runUntil(d sim.Time, cond func() bool) bool {
	end := w.now + d
	for !cond() {
		if w.q.Next() > end {
			w.now = end
			return cond()
		}
		w.step()
	}
	return true
}

func (w *world) hash(at sim.Time, m *wire.Msg) {
	h := w.trace
	for _, v := range [...]uint64{uint64(at), uint64(m.Kind), uint64(m.From), uint64(m.To), uint64(m.A), uint64(m.B), uint64(m.N)} {
		for range 8 {
			h ^= v & 0xff
			h *= 1099511628211
			v >>= 8
		}
	}
	w.trace = h
}

func (w *world) crash(i int) {
	w.net.SetUp(sim.NodeID(i), false)
	w.inc[i]++
	w.nodes[i].Crash()
	if err := w.nodes[i].mem.checkShared(); err != nil {
		w.t.Fatalf("%s after a crash: %v", w.nodes[i].Name, err)
	}
}

func (w *world) restart(i int) {
	w.net.SetUp(sim.NodeID(i), true)
	w.inc[i]++
	w.nodes[i].Restart(w)
}

// control sends a control request from the writer to segment i+1.
func (w *world) control(i int, body any) {
	w.Send(wire.Msg{Kind: wire.Control, From: writerID, To: sim.NodeID(i), PG: 1, Seg: uint32(i + 1), VolEpoch: w.w.epoch, MemEpoch: w.w.memEpoch, Body: body})
}

// read sends a Read of page p at read point at to segment i+1.
func (w *world) read(i int, p redo.PageID, at redo.LSN) {
	w.w.reqs++
	// The harness reads as if the PG had a record at the read point, the
	// strictest head a reader can send.
	w.Send(wire.Msg{Kind: wire.Read, From: writerID, To: sim.NodeID(i), PG: 1, Seg: uint32(i + 1), A: at, B: redo.LSN(p), C: at, N: w.w.reqs})
}

// lastRead returns the answer to the last read sent.
func (w *world) lastRead() *wire.Msg {
	for k := len(w.w.got) - 1; k >= 0; k-- {
		m := &w.w.got[k]
		if (m.Kind == wire.ReadReply || m.Kind == wire.ReadReject) && m.N == w.w.reqs {
			return m
		}
	}
	return nil
}

// readNow reads page p at at from segment i+1 and waits for the answer.
func (w *world) readNow(i int, p redo.PageID, at redo.LSN) *wire.Msg {
	w.t.Helper()
	w.read(i, p, at)
	if !w.runUntil(10*sim.Millisecond, func() bool { return w.lastRead() != nil }) {
		w.t.Fatalf("no answer to a read of %v at %d from %s", p, at, nodeNames[i])
	}
	return w.lastRead()
}

// notesOf returns the notes of a kind, one per line.
func (w *world) notesOf(kind string) string {
	var b strings.Builder
	for _, n := range w.notes {
		if n.Kind == kind {
			fmt.Fprintf(&b, "%v %s\n", n.At, n.Text)
		}
	}
	return b.String()
}

// writer is a scripted writer: it allocates LSNs with the three backlinks
// (SIGMOD'18 §2.1), sends Write batches, and keeps whatever comes back.
type writer struct {
	w               *world
	id              sim.NodeID
	epoch, memEpoch uint64
	vdl, pgmrpl     redo.LSN
	next            redo.LSN
	lastVol         redo.LSN
	lastPG          map[redo.PGID]redo.LSN
	lastPage        map[redo.PageID]redo.LSN
	got             []wire.Msg
	reqs            int64
	onMsg           func(m *wire.Msg)
	discard         bool // keep nothing in got (benchmarks)
	keys            int  // when set, puts overwrites this many keys instead of adding new ones
}

func (wr *writer) Handle(_ wire.Env, m *wire.Msg) {
	if !wr.discard {
		wr.got = append(wr.got, *m)
	}
	if wr.onMsg != nil {
		wr.onMsg(m)
	}
}

// put allocates one record putting key=value on page p of pg1; each record
// is its own mini-transaction (a CPL).
func (wr *writer) put(p redo.PageID, key, value string) redo.Record {
	wr.next++
	r := redo.Record{
		LSN: wr.next, PG: 1, Page: p, Op: redo.OpPut, Key: []byte(key), Value: []byte(value), CPL: true,
		PrevVolume: wr.lastVol, PrevPG: wr.lastPG[1], PrevPage: wr.lastPage[p],
	}
	wr.lastVol, wr.lastPG[1], wr.lastPage[p] = r.LSN, r.LSN, r.LSN
	return r
}

// puts allocates n records spread over pages 1..pages.
func (wr *writer) puts(n, pages int) []redo.Record {
	var out []redo.Record
	for range n {
		k := int(wr.next) + 1
		key := fmt.Sprintf("k%03d", k)
		if wr.keys > 0 {
			key = keyNames[k%wr.keys]
		}
		out = append(out, wr.put(redo.PageID(1+(k-1)%pages), key, fmt.Sprintf("v%d", k)))
	}
	return out
}

var keyNames = func() []string {
	var ks []string
	for k := range 256 {
		ks = append(ks, fmt.Sprintf("key%03d", k))
	}
	return ks
}()

// send sends recs as one Write batch to the given storage nodes (all six
// when none are named).
func (wr *writer) send(recs []redo.Record, to ...int) {
	if len(to) == 0 {
		to = []int{0, 1, 2, 3, 4, 5}
	}
	b := &redo.Batch{PG: 1}
	for _, r := range recs {
		b.Add(r)
	}
	for _, i := range to {
		wr.w.Send(wire.Msg{
			Kind: wire.Write, From: wr.id, To: sim.NodeID(i), PG: 1, Seg: uint32(i + 1),
			VolEpoch: wr.epoch, MemEpoch: wr.memEpoch, A: wr.vdl, B: wr.pgmrpl, Batch: b,
		})
	}
}

// heartbeat tells every segment the writer's VDL and PGMRPL.
func (wr *writer) heartbeat() {
	for i := range nodeNames {
		wr.w.Send(wire.Msg{Kind: wire.Heartbeat, From: wr.id, To: sim.NodeID(i), PG: 1, Seg: uint32(i + 1), VolEpoch: wr.epoch, MemEpoch: wr.memEpoch, A: wr.vdl, B: wr.pgmrpl})
	}
}

// count returns how many messages of kind came back from node i (any
// node when i < 0).
func (wr *writer) count(kind wire.Kind, i int) int {
	n := 0
	for _, m := range wr.got {
		if m.Kind == kind && (i < 0 || int(m.From) == i) {
			n++
		}
	}
	return n
}

// lastFrom returns the last message of kind from node i, or nil.
func (wr *writer) lastFrom(kind wire.Kind, i int) *wire.Msg {
	for k := len(wr.got) - 1; k >= 0; k-- {
		if m := &wr.got[k]; m.Kind == kind && int(m.From) == i {
			return m
		}
	}
	return nil
}
