package storage

import (
	"reflect"
	"strings"
	"testing"

	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

const us = sim.Microsecond
const ms = sim.Millisecond

// A segment acknowledges a write only once the disk holds it, and the ack
// carries the segment's SCL. Reference: SIGMOD'17 §3.3 (Fig. 4, steps 1
// and 2: receive into the in-memory queue, persist, ack).
func TestPersistThenAck(t *testing.T) {
	w := newWorld(t, worldOpts{cfg: quietConfig()})
	ackAt := map[sim.NodeID]sim.Time{}
	w.w.onMsg = func(m *wire.Msg) {
		if m.Kind != wire.WriteAck {
			return
		}
		ackAt[m.From] = w.now
		// Persist, then ack: when the ack arrives the record is in the
		// sender's store.
		img := w.nodes[m.From].Store().Load()
		recs := img.Segments[0].Records
		if len(recs) == 0 || recs[len(recs)-1].Rec.LSN < m.B {
			t.Errorf("%s acked LSN %d before its store held it", nodeNames[m.From], m.B)
		}
	}
	w.w.send(w.w.puts(3, 1))
	// a1 receives at 100us and its disk finishes at 200us.
	w.run(150 * us)
	if n := len(w.nodes[0].Store().Load().Segments[0].Records); n != 0 || w.nodes[0].QueueLen() != 1 {
		t.Fatalf("at 150us a1's store holds %d records and its queue %d batches; want 0 and 1", n, w.nodes[0].QueueLen())
	}
	if w.w.count(wire.WriteAck, -1) != 0 {
		t.Fatal("an ack arrived before any disk finished")
	}
	w.run(10 * ms)
	if got := w.w.count(wire.WriteAck, -1); got != 6 {
		t.Fatalf("%d acks, want 6", got)
	}
	for i := range nodeNames {
		m := w.w.lastFrom(wire.WriteAck, i)
		if m.A != 3 || m.B != 3 || m.Seg != uint32(i+1) || m.VolEpoch != 1 || m.MemEpoch != 1 {
			t.Errorf("%s ack: SCL %d, last %d, seg %d, epochs %d/%d; want 3, 3, %d, 1/1", nodeNames[i], m.A, m.B, m.Seg, m.VolEpoch, m.MemEpoch, i+1)
		}
	}
	// 100us there, 100us on disk, 100us back; 500us each way across AZs.
	if ackAt[0] != 300*us || ackAt[2] != 1100*us {
		t.Errorf("acks at a1 %v, b1 %v; want 300us and 1.1ms", ackAt[0], ackAt[2])
	}
	if st := w.nodes[0].Stats(); st.RecordsPersisted != 3 || st.AcksSent != 1 {
		t.Errorf("a1 stats %+v", st)
	}
}

// The disk is an SSD: writes in flight overlap, each taking the persist
// latency, and complete in the order they came; moving the bytes is one at
// a time. A slow node's disk adds its delay to every persist. Reference:
// SIGMOD'17 §2.3 (a throttled node looks slow to the 4/6 write).
func TestDiskQueueAndSlowNode(t *testing.T) {
	w := newWorld(t, worldOpts{cfg: quietConfig()})
	w.nodes[1].SetSlow(1 * ms)
	arrivals := map[sim.NodeID][]sim.Time{}
	w.w.onMsg = func(m *wire.Msg) {
		if m.Kind == wire.WriteAck {
			arrivals[m.From] = append(arrivals[m.From], w.now)
		}
	}
	w.w.send(w.w.puts(1, 1), 0, 1)
	w.w.send(w.w.puts(1, 1), 0, 1)
	w.run(10 * ms)
	if got, want := arrivals[0], []sim.Time{300 * us, 300 * us}; !reflect.DeepEqual(got, want) {
		t.Errorf("a1 acks at %v, want %v: two writes in flight at once", got, want)
	}
	if got, want := arrivals[1], []sim.Time{1300 * us, 1300 * us}; !reflect.DeepEqual(got, want) {
		t.Errorf("slow a2 acks at %v, want %v", got, want)
	}
}

// With a disk bandwidth, the bytes of one write move after those of the
// write before it, so a second large write completes later.
func TestDiskBandwidthSerialisesBytes(t *testing.T) {
	cfg := quietConfig()
	cfg.DiskBytesPerSec = 1_000_000 // a byte a microsecond
	w := newWorld(t, worldOpts{cfg: cfg})
	var acks []sim.Time
	w.w.onMsg = func(m *wire.Msg) {
		if m.Kind == wire.WriteAck && m.From == 0 {
			acks = append(acks, w.now)
		}
	}
	w.w.send(w.w.puts(1, 1), 0)
	w.w.send(w.w.puts(1, 1), 0)
	w.run(10 * ms)
	if len(acks) != 2 || acks[1] <= acks[0] {
		t.Fatalf("acks at %v: the second write's bytes should follow the first's", acks)
	}
}

// The SCL is the end of the longest gap-free prefix of the PG chain, not
// the highest LSN received. Reference: SIGMOD'18 §2.1 (backlinks), M7.
func TestSCLWithOutOfOrderArrival(t *testing.T) {
	w := newWorld(t, worldOpts{cfg: quietConfig()})
	r := w.w.puts(3, 2)
	s := w.seg(0)
	step := func(rec redo.Record, scl redo.LSN, waiting int) {
		t.Helper()
		w.w.send([]redo.Record{rec}, 0)
		w.run(1 * ms)
		if s.SCL() != scl || s.Waiting() != waiting {
			t.Fatalf("after LSN %d: SCL %d waiting %d, want %d and %d", rec.LSN, s.SCL(), s.Waiting(), scl, waiting)
		}
		if ack := w.w.lastFrom(wire.WriteAck, 0); ack.A != scl {
			t.Fatalf("after LSN %d the ack carried SCL %d, want %d", rec.LSN, ack.A, scl)
		}
	}
	step(r[2], 0, 1)
	step(r[0], 1, 1)
	step(r[1], 3, 0)
	if !s.Has(1) || !s.Has(2) || !s.Has(3) || s.Len() != 3 {
		t.Fatalf("log holds %d records", s.Len())
	}
	// A duplicate changes nothing.
	step(r[1], 3, 0)
	if s.Len() != 3 {
		t.Fatal("a duplicate was added")
	}
}

// A write lost on the way to one segment leaves a gap that gossip with the
// peers closes, without the writer sending it again. Reference: SIGMOD'17
// §3.3 (step 4: gossip with peers to fill gaps).
func TestGossipFillsGapLeftByLostWrite(t *testing.T) {
	cfg := quietConfig()
	cfg.GossipInterval = 5 * ms
	w := newWorld(t, worldOpts{cfg: cfg})
	writesToA1 := 0
	w.drop = func(m *wire.Msg) bool {
		if m.Kind == wire.Write && m.To == 0 {
			writesToA1++
			return m.Batch.First() == 2 || m.Batch.First() == 6
		}
		return false
	}
	s := w.seg(0)
	for _, r := range w.w.puts(5, 2) {
		w.w.send([]redo.Record{r})
		w.run(200 * us)
	}
	if s.SCL() != 1 || s.Waiting() != 3 {
		t.Fatalf("before gossip: SCL %d waiting %d, want 1 and 3", s.SCL(), s.Waiting())
	}
	if !w.runUntil(100*ms, func() bool { return s.SCL() == 5 }) {
		t.Fatalf("gossip did not close the gap: SCL %d", s.SCL())
	}
	if writesToA1 != 5 {
		t.Fatalf("%d writes reached a1's link, want 5 (no retry)", writesToA1)
	}
	if st := w.nodes[0].Stats(); st.GossipFilled < 1 || st.GossipSent < 1 {
		t.Fatalf("a1 stats %+v", st)
	}
	if !strings.Contains(w.notesOf("gossip"), "a1: s1 gap filled by gossip") {
		t.Fatalf("no gossip note:\n%s", w.notesOf("gossip"))
	}
	// A lost write at the end of the log leaves no visible gap; the idle
	// rounds of gossip find it.
	w.w.send(w.w.puts(1, 2))
	w.run(1 * ms)
	if s.SCL() != 5 {
		t.Fatalf("the last write reached a1: SCL %d", s.SCL())
	}
	limit := sim.Time(cfg.withDefaults().GossipIdleRounds+2) * cfg.GossipInterval * 2
	if !w.runUntil(limit, func() bool { return s.SCL() == 6 }) {
		t.Fatalf("idle gossip did not find the lost last write: SCL %d", s.SCL())
	}
}

// Coalescing never goes above PGMRPL, the writer's VDL, or the SCL.
// Reference: SIGMOD'17 §4.2.3 and SIGMOD'18 §3.4 (M12: storage coalesces
// below the minimum read point).
func TestCoalesceBounds(t *testing.T) {
	cfg := quietConfig()
	cfg.CoalesceInterval = 5 * ms
	w := newWorld(t, worldOpts{cfg: cfg})
	w.drop = func(m *wire.Msg) bool { return m.Kind == wire.Write && m.To == 5 && m.Batch.First() == 3 }
	w.w.vdl, w.w.pgmrpl = 8, 4
	for _, r := range w.w.puts(10, 2) {
		w.w.send([]redo.Record{r})
	}
	w.run(50 * ms)
	for i := range 5 {
		if b := w.seg(i).BaseLSN(); b != 4 {
			t.Errorf("%s base %d, want PGMRPL 4", nodeNames[i], b)
		}
	}
	if b := w.seg(5).BaseLSN(); b != 2 {
		t.Errorf("c2 (missing LSN 3) base %d, want its SCL 2", b)
	}
	w.w.pgmrpl = 20
	w.w.heartbeat()
	w.run(50 * ms)
	for i := range 5 {
		s := w.seg(i)
		if s.BaseLSN() != 8 || s.BaseLSN() > s.PGMRPL() {
			t.Errorf("%s base %d with PGMRPL %d, want the VDL 8", nodeNames[i], s.BaseLSN(), s.PGMRPL())
		}
		// The bases hold exactly the records up to the coalesced LSN.
		for _, id := range []redo.PageID{1, 2} {
			p, err := s.Materialize(id, 8)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := Replay(id, 8, w.seg(i).Records(0, 10))
			if !p.Equal(want) {
				t.Errorf("%s page %v as of 8 differs from the replay of its log", nodeNames[i], id)
			}
		}
	}
	if st := w.nodes[0].Stats(); st.Coalesced != 8 {
		t.Errorf("a1 coalesced %d records, want 8", st.Coalesced)
	}
}

// GC drops records that are in the bases and staged, and keeps every
// version a read at or above PGMRPL needs. Reference: SIGMOD'17 §3.3
// (steps 6 and 7) and §4.2.3; M12.
func TestGCKeepsWhatReadersNeed(t *testing.T) {
	cfg := quietConfig()
	cfg.CoalesceInterval, cfg.StageInterval, cfg.GCInterval = 5*ms, 5*ms, 5*ms
	w := newWorld(t, worldOpts{cfg: cfg})
	w.w.vdl, w.w.pgmrpl = 10, 6
	w.w.send(w.w.puts(10, 2)) // page 1 gets odd LSNs, page 2 even
	w.run(100 * ms)
	s := w.seg(0)
	if s.StagedLSN() != 10 || s.BaseLSN() != 6 || s.CollectedLSN() != 6 || s.Len() != 4 {
		t.Fatalf("a1: %s; want staged 10, base 6, gc 6, 4 records", s.Describe())
	}
	if got := w.bk.Staged(1); got != 10 {
		t.Fatalf("backup holds pg1 to %d, want 10", got)
	}
	if bs := w.bk.Stats(); bs.Records != 10 || bs.Duplicates == 0 {
		t.Errorf("backup stats %+v: every record once, the other segments' copies as duplicates", bs)
	}
	// Every read point from PGMRPL up is served, and equals the replay of
	// the page's log from the backup store and the hot log.
	for at := redo.LSN(6); at <= 10; at++ {
		for _, id := range []redo.PageID{1, 2} {
			m := w.readNow(0, id, at)
			if m.Kind != wire.ReadReply {
				t.Fatalf("read of %v at %d: %s", id, at, wire.RejectReason(int64(m.A)))
			}
			want, err := s.Replay(id, at, w.bk.Records(1, at))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Body.(*page.Page); !got.Equal(want) {
				t.Errorf("page %v at %d differs from the replay of its log", id, at)
			}
		}
	}
	// Page 1's base is at 5: readable at 5, not below. Page 2's base is at 6.
	if m := w.readNow(0, 1, 5); m.Kind != wire.ReadReply {
		t.Errorf("read of p1 at 5: %s", wire.RejectReason(int64(m.A)))
	}
	if m := w.readNow(0, 1, 4); m.Kind != wire.ReadReject || m.A != wire.RejectCollected {
		t.Errorf("read of p1 at 4 below its base: kind %v reason %d", m.Kind, m.A)
	}
	if _, err := s.Replay(1, 8, nil); err != ErrCollected {
		t.Errorf("replay without the staged records: %v, want ErrCollected", err)
	}
	// The long read ends: PGMRPL moves up and the rest goes.
	w.w.pgmrpl = 10
	w.w.heartbeat()
	w.run(100 * ms)
	if s.Len() != 0 || s.CollectedLSN() != 10 {
		t.Fatalf("a1 after PGMRPL 10: %s", s.Describe())
	}
	if m := w.readNow(0, 2, 10); m.Kind != wire.ReadReply || m.Body.(*page.Page).LSN != 10 {
		t.Fatalf("read at 10 after GC: %+v", m)
	}
}

// Without staging nothing is collected: a record leaves the hot log only
// once the backup store has it. Reference: SIGMOD'17 §3.3 (steps 6-7).
func TestNoGCWithoutStaging(t *testing.T) {
	cfg := quietConfig()
	cfg.CoalesceInterval, cfg.GCInterval = 5*ms, 5*ms
	w := newWorld(t, worldOpts{cfg: cfg})
	w.w.vdl, w.w.pgmrpl = 10, 10
	w.w.send(w.w.puts(10, 2))
	w.run(100 * ms)
	if s := w.seg(0); s.BaseLSN() != 10 || s.CollectedLSN() != 0 || s.Len() != 10 {
		t.Fatalf("a1: %s; want everything coalesced and nothing collected", s.Describe())
	}
}

// A segment serves a read at a read point no higher than its SCL, with a
// fresh copy of the page, and refuses what it cannot serve. Reference:
// SIGMOD'17 §4.2.3 (reads go to one segment whose SCL covers the read
// point).
func TestReads(t *testing.T) {
	w := newWorld(t, worldOpts{cfg: quietConfig()})
	w.w.send(w.w.puts(4, 1))
	w.run(5 * ms)
	m := w.readNow(0, 1, 3)
	if m.Kind != wire.ReadReply || m.A != 4 || m.B != 1 {
		t.Fatalf("read at 3: kind %v A %d B %d", m.Kind, m.A, m.B)
	}
	p := m.Body.(*page.Page)
	if p.LSN != 3 || len(p.Rows) != 3 || string(p.Rows[2].Key) != "k003" {
		t.Fatalf("page at 3: lsn %d rows %d", p.LSN, len(p.Rows))
	}
	p.Rows[0].Value = []byte("changed by the reader")
	if again := w.readNow(0, 1, 3).Body.(*page.Page); string(again.Rows[0].Value) != "v1" {
		t.Fatal("a reader's change to its copy reached the segment")
	}
	if m := w.readNow(0, 1, 5); m.Kind != wire.ReadReject || m.A != wire.RejectAboveSCL {
		t.Fatalf("read above SCL: kind %v reason %d", m.Kind, m.A)
	}
	if m := w.readNow(0, 7, 4); m.Kind != wire.ReadReply || m.Body.(*page.Page).LSN != 0 {
		t.Fatal("a page no record touched should read as empty")
	}
	if st := w.nodes[0].Stats(); st.ReadsServed != 3 || st.ReadsRejected != 1 {
		t.Fatalf("a1 stats %+v", st)
	}
}

// A tail segment keeps log only: it never materialises a page, refuses
// reads, and collects its log once staged and below PGMRPL. Reference:
// SIGMOD'18 §4.2 (full and tail segments), M16.
func TestTailSegment(t *testing.T) {
	cfg := quietConfig()
	cfg.CoalesceInterval, cfg.StageInterval, cfg.GCInterval = 5*ms, 5*ms, 5*ms
	w := newWorld(t, worldOpts{cfg: cfg, fullTail: true})
	w.w.vdl, w.w.pgmrpl = 10, 6
	w.w.send(w.w.puts(10, 2))
	w.run(100 * ms)
	for i := 3; i < 6; i++ {
		s := w.seg(i)
		if s.Full || s.BaseLSN() != 0 || len(s.Pages()) != 0 {
			t.Errorf("tail %s: %s with %d pages", nodeNames[i], s.Describe(), len(s.Pages()))
		}
		if s.CollectedLSN() != 6 || s.Len() != 4 {
			t.Errorf("tail %s: %s; want gc 6 and 4 records", nodeNames[i], s.Describe())
		}
		if m := w.readNow(i, 1, 6); m.Kind != wire.ReadReject || m.A != wire.RejectNotFull {
			t.Errorf("read from tail %s: kind %v reason %d", nodeNames[i], m.Kind, m.A)
		}
		if _, err := s.Materialize(1, 6); err != ErrNotFull {
			t.Errorf("Materialize on a tail: %v", err)
		}
	}
	if s := w.seg(0); !s.Full || s.BaseLSN() != 6 || len(s.Pages()) != 2 {
		t.Errorf("full a1: %s", s.Describe())
	}
}

// Scrub finds a damaged record and a damaged base page, reads refuse the
// damaged copy meanwhile, and a peer's good copy repairs it. Reference:
// SIGMOD'17 §3.3 (step 8), SIGMOD'18 §2.1 ("scrub").
func TestScrubRepairsCorruption(t *testing.T) {
	cfg := quietConfig()
	cfg.ScrubInterval, cfg.ScrubBatch = 10*ms, 4
	w := newWorld(t, worldOpts{cfg: cfg})
	w.w.send(w.w.puts(6, 2))
	w.run(5 * ms)
	s := w.seg(0)
	if err := w.nodes[0].Corrupt(1); err != nil {
		t.Fatal(err)
	}
	if s.Damaged() != 1 {
		t.Fatalf("%d damaged items, want 1", s.Damaged())
	}
	// The lowest record above the coalesced LSN is LSN 1, on page 1. A
	// restart reloads the damage: it is on disk.
	w.crash(0)
	w.restart(0)
	if s.Damaged() != 1 {
		t.Fatal("the damage did not survive a restart")
	}
	if m := w.readNow(0, 1, 6); m.Kind != wire.ReadReject || m.A != wire.RejectCorrupt {
		t.Fatalf("read of the damaged page: kind %v reason %d", m.Kind, m.A)
	}
	if !w.runUntil(200*ms, func() bool { return s.Damaged() == 0 && s.KnownCorrupt() == 0 }) {
		t.Fatalf("not repaired: %s", s.Describe())
	}
	if m := w.readNow(0, 1, 6); m.Kind != wire.ReadReply {
		t.Fatalf("read after repair: %s", wire.RejectReason(int64(m.A)))
	}
	notes := w.notesOf("corruption") + w.notesOf("repair")
	if !strings.Contains(notes, "s1 record 1 failed its checksum") || !strings.Contains(notes, "s1 record 1 repaired") {
		t.Fatalf("notes:\n%s", notes)
	}

	// Now a base page: coalesce everything, damage, let scrub find it.
	w2 := newWorld(t, worldOpts{cfg: func() Config { c := cfg; c.CoalesceInterval = 5 * ms; return c }()})
	w2.w.vdl, w2.w.pgmrpl = 6, 6
	w2.w.send(w2.w.puts(6, 2))
	w2.run(20 * ms)
	s2 := w2.seg(0)
	if s2.BaseLSN() != 6 {
		t.Fatalf("not coalesced: %s", s2.Describe())
	}
	if err := w2.nodes[0].Corrupt(1); err != nil {
		t.Fatal(err)
	}
	if !w2.runUntil(300*ms, func() bool { return s2.KnownCorrupt() > 0 }) {
		t.Fatal("scrub did not find the damaged base page")
	}
	if !w2.runUntil(300*ms, func() bool { return s2.Damaged() == 0 && s2.KnownCorrupt() == 0 }) {
		t.Fatalf("base page not repaired: %s", s2.Describe())
	}
	if !strings.Contains(w2.notesOf("repair"), "s1 base page p1 repaired") {
		t.Fatalf("notes:\n%s", w2.notesOf("repair"))
	}
	if st := w2.nodes[0].Stats(); st.CorruptFound != 1 || st.Repaired != 1 || st.Scrubbed == 0 {
		t.Fatalf("a1 stats %+v", st)
	}
}

// A writer crash: recovery truncates above the VDL and bumps the volume
// epoch; the truncated records are gone, the stale writer is refused, and a
// node that was down during recovery learns the truncation from its peers
// and never brings a truncated record back. Reference: SIGMOD'17 §4.3 and
// SIGMOD'18 §2.4 (M14).
func TestTruncation(t *testing.T) { truncationScenario(t) }

func truncationScenario(t *testing.T) *world {
	cfg := quietConfig()
	cfg.GossipInterval = 5 * ms
	w := newWorld(t, worldOpts{cfg: cfg})
	recs := w.w.puts(10, 2)
	w.w.send(recs[:6])
	w.w.vdl = 6
	w.w.send(recs[6:])
	w.run(5 * ms)
	for i := range nodeNames {
		if s := w.seg(i); s.SCL() != 10 || w.nodes[i].KnownVDL() != 6 {
			t.Fatalf("%s before the crash: %s, known VDL %d", nodeNames[i], s.Describe(), w.nodes[i].KnownVDL())
		}
	}
	// c2 goes down; recovery reaches a1 a2 b1 b2 (a write quorum). c1 is up
	// but its Truncate is lost.
	w.crash(5)
	rq := &wire.RecoverQuery{Epoch: 2}
	w.control(0, rq)
	w.run(5 * ms)
	info := w.w.lastFrom(wire.ControlReply, 0).Body.(*wire.RecoverInfo)
	if info.SCL != 10 || info.KnownVDL != 6 || len(info.Above) != 4 || info.Above[0].LSN != 7 || !info.Above[0].CPL {
		t.Fatalf("RecoverInfo %+v", info)
	}
	tr := &wire.Truncate{Range: wire.Truncation{Epoch: 2, From: 7, To: 1006}, VDL: 6}
	for i := range 4 {
		w.control(i, tr)
	}
	w.run(5 * ms)
	for i := range 4 {
		done := w.w.lastFrom(wire.ControlReply, i).Body.(*wire.TruncateDone)
		s := w.seg(i)
		if done.SCL != 6 || done.Epoch != 2 || s.SCL() != 6 || s.Len() != 6 || w.nodes[i].VolumeEpoch() != 2 || w.nodes[i].CleanEpoch() != 2 {
			t.Fatalf("%s after Truncate: done %+v, %s", nodeNames[i], done, s.Describe())
		}
	}
	// The stale writer is refused; the new one may not write in the range.
	w.w.send([]redo.Record{w.w.put(1, "late", "x")}, 0)
	w.run(2 * ms)
	if m := w.w.lastFrom(wire.WriteReject, 0); m == nil || m.N != wire.RejectStaleVolumeEpoch || m.A != 2 {
		t.Fatalf("stale write: %+v", m)
	}
	w.w.epoch = 2
	bad := recs[7]
	w.w.send([]redo.Record{bad}, 0)
	w.run(2 * ms)
	if m := w.w.lastFrom(wire.WriteReject, 0); m.N != wire.RejectTruncated {
		t.Fatalf("write inside the range: reason %d", m.N)
	}
	// The new writer continues the chains from the recovered VDL.
	w.w.next, w.w.lastVol, w.w.lastPG[1] = 1006, 6, 6
	w.w.lastPage[1], w.w.lastPage[2] = 5, 6
	truncated := func(i int) bool {
		s := w.seg(i)
		for l := redo.LSN(7); l <= 10; l++ {
			if s.Has(l) {
				return true
			}
		}
		return false
	}
	check := func() {
		t.Helper()
		for i := range nodeNames {
			if w.nodes[i].CleanEpoch() >= 2 && truncated(i) {
				t.Fatalf("%s knows the truncation yet holds a truncated record", nodeNames[i])
			}
		}
	}
	w.w.send(w.w.puts(3, 2))
	w.run(1 * ms)
	check()
	// c1 missed the truncation but took the epoch-2 writes: it is behind.
	if n := w.nodes[4]; n.VolumeEpoch() != 2 || n.CleanEpoch() != 1 && n.CleanEpoch() != 2 {
		t.Fatalf("c1 epochs %d/%d", n.VolumeEpoch(), n.CleanEpoch())
	}
	w.restart(5)
	for range 200 {
		w.run(1 * ms)
		check()
		w.w.send(w.w.puts(1, 2))
	}
	w.run(5 * ms)
	for i := range nodeNames {
		s := w.seg(i)
		if w.nodes[i].CleanEpoch() != 2 || truncated(i) || s.SCL() != w.w.next {
			t.Errorf("%s at the end: clean epoch %d, %s; want clean 2, SCL %d", nodeNames[i], w.nodes[i].CleanEpoch(), s.Describe(), w.w.next)
		}
	}
	if !strings.Contains(w.notesOf("epoch"), "c2: learned the truncations to volume epoch 2") {
		t.Errorf("epoch notes:\n%s", w.notesOf("epoch"))
	}
	if !strings.Contains(w.notesOf("truncate"), "a1: s1 truncated [7, 1006] at volume epoch 2: 4 records dropped, SCL 10→6") {
		t.Errorf("truncate notes:\n%s", w.notesOf("truncate"))
	}
	// A reply from a peer still at clean epoch 1 that carries an annulled
	// record — what c2 would have sent before it learned — is not taken,
	// and neither is the record from a peer of the same epoch: it lies in
	// a known range.
	for _, epoch := range []uint64{1, 2} {
		b := &redo.Batch{PG: 1}
		b.Add(recs[7])
		w.nodes[0].Handle(w, &wire.Msg{Kind: wire.GossipReply, From: 5, To: 0, PG: 1, Seg: 6, N: 1, VolEpoch: epoch, MemEpoch: 1, A: 10, Batch: b})
		w.run(5 * ms)
		if truncated(0) {
			t.Fatalf("a1 took annulled LSN 8 from a peer at clean epoch %d", epoch)
		}
	}
	return w
}

// A stale recovery is refused; a node that missed a recovery learns the
// whole history from TruncateAll, and a plain Truncate two epochs ahead
// leaves it behind — taking no VDL — until it learns the ranges.
// Reference: SIGMOD'17 §4.3 (the truncation range is versioned by epoch,
// so a restarted recovery is not confused).
func TestTruncationHistory(t *testing.T) {
	w := newWorld(t, worldOpts{cfg: quietConfig()})
	w.w.vdl = 2
	w.w.send(w.w.puts(4, 1))
	w.run(2 * ms)
	r2 := wire.Truncation{Epoch: 2, From: 3, To: 100}
	for i := range nodeNames {
		w.control(i, &wire.Truncate{Range: r2, VDL: 2})
	}
	w.run(2 * ms)
	w.control(0, &wire.Truncate{Range: wire.Truncation{Epoch: 1, From: 2, To: 50}, VDL: 1})
	w.run(2 * ms)
	if done := w.w.lastFrom(wire.ControlReply, 0).Body.(*wire.TruncateDone); done.Epoch != 2 || w.seg(0).SCL() != 2 {
		t.Fatalf("a stale recovery's Truncate: %+v, %s", done, w.seg(0).Describe())
	}
	// Epoch 2's writer writes 101..103; c1 takes none of epoch 3's
	// recovery, which annuls 102..103.
	w.w.epoch, w.w.next, w.w.lastVol, w.w.lastPG[1], w.w.lastPage[1] = 2, 100, 2, 2, 2
	w.w.send(w.w.puts(3, 1))
	w.run(2 * ms)
	r3 := wire.Truncation{Epoch: 3, From: 102, To: 200}
	for i := range 4 {
		w.control(i, &wire.Truncate{Range: r3, VDL: 101})
	}
	w.run(2 * ms)
	if w.seg(4).SCL() != 103 {
		t.Fatalf("c1: %s", w.seg(4).Describe())
	}
	// Epoch 4's recovery sends c1 its whole history. c1 does not take the
	// recovery's VDL as known: it learns it from the new writer, once the
	// recovery has finished.
	r4 := wire.Truncation{Epoch: 4, From: 102, To: 300}
	w.control(4, &wire.TruncateAll{Truncate: wire.Truncate{Range: r4, VDL: 101}, Prior: []wire.Truncation{r2, r3}})
	w.run(2 * ms)
	if n := w.nodes[4]; n.CleanEpoch() != 4 || n.KnownVDL() != 2 || w.seg(4).SCL() != 101 || len(n.Truncations()) != 3 {
		t.Fatalf("c1 after TruncateAll: clean %d, known VDL %d, %s", n.CleanEpoch(), n.KnownVDL(), w.seg(4).Describe())
	}
	// c2 gets a plain Truncate of epoch 4 though it knows only to epoch 2.
	// It takes the lock at once and asks a peer for the ranges; the peers
	// it can reach know them to epoch 3, so it stays behind epoch 4 and
	// takes no VDL from it.
	w.net.Block(5, 4, true)
	w.control(5, &wire.Truncate{Range: r4, VDL: 101})
	w.run(2 * ms)
	if n := w.nodes[5]; n.VolumeEpoch() != 4 || n.CleanEpoch() != 3 || n.KnownVDL() != 2 || w.seg(5).SCL() != 101 {
		t.Fatalf("c2 after a Truncate two epochs ahead: epoch %d clean %d known VDL %d, %s", n.VolumeEpoch(), n.CleanEpoch(), n.KnownVDL(), w.seg(5).Describe())
	}
	// A write of epoch 3 is refused now.
	w.w.epoch = 3
	w.w.send(w.w.puts(1, 1), 5)
	w.run(2 * ms)
	if m := w.w.lastFrom(wire.WriteReject, 5); m == nil || m.N != wire.RejectStaleVolumeEpoch || m.A != 4 {
		t.Fatalf("epoch-3 write to c2: %+v", m)
	}
}

// A membership epoch bump makes the PG refuse the writes and gossip of
// older epochs; a member the new membership leaves out retires.
// Reference: SIGMOD'18 §4.1 ("every request and every gossip carries the
// membership epoch").
func TestMembershipRefusesStaleEpochs(t *testing.T) {
	cfg := quietConfig()
	cfg.GossipInterval = 5 * ms
	w := newWorld(t, worldOpts{cfg: cfg})
	w.w.send(w.w.puts(3, 1))
	w.run(2 * ms)
	q1 := w.seg(0).Membership()
	q2, err := q1.Replace(6, 7)
	if err != nil {
		t.Fatal(err)
	}
	peers2 := append(w.peers(false)[:5], wire.Peer{Seg: 7, Node: 4, Full: true})
	// Segment 6 (on c2) is not told: it is the one being replaced.
	for i := range 5 {
		w.control(i, &wire.SetMembership{Quorum: q2, Peers: append(w.peers(false), peers2[5])})
	}
	w.run(2 * ms)
	for i := range 5 {
		if e := w.w.lastFrom(wire.ControlReply, i).Body.(*wire.MembershipDone).Epoch; e != 2 || w.seg(i).MemEpoch() != 2 {
			t.Fatalf("%s membership epoch %d", nodeNames[i], e)
		}
	}
	// A write of the old membership epoch is refused.
	w.w.send(w.w.puts(1, 1), 0)
	w.run(2 * ms)
	if m := w.w.lastFrom(wire.WriteReject, 0); m == nil || m.N != wire.RejectStaleMemberEpoch || m.A != 2 {
		t.Fatalf("stale membership write: %+v", m)
	}
	// c2's segment gossips with epoch 1 and is refused.
	w.drop = func(m *wire.Msg) bool { return m.Kind == wire.Write && m.To == 5 }
	w.w.memEpoch = 2
	w.w.send(w.w.puts(2, 1))
	w.run(100 * ms)
	refused := int64(0)
	for i := range 5 {
		refused += w.nodes[i].Stats().StaleRefused
	}
	if refused == 0 || w.seg(5).SCL() != 3 {
		t.Fatalf("stale gossip: %d refusals, c2 %s", refused, w.seg(5).Describe())
	}
	if !strings.Contains(w.notesOf("epoch"), "refused a gossip of stale epoch 1 (holds 2)") {
		t.Fatalf("epoch notes:\n%s", w.notesOf("epoch"))
	}
	// Complete the change: segment 6 leaves and retires when told.
	q3, err := q2.Complete(7)
	if err != nil {
		t.Fatal(err)
	}
	w.control(5, &wire.SetMembership{Quorum: q3, Peers: peers2})
	w.run(2 * ms)
	if !w.seg(5).Retired() {
		t.Fatal("segment 6 did not retire")
	}
	w.drop = nil
	w.w.memEpoch = 3
	w.w.send(w.w.puts(1, 1), 5)
	w.run(2 * ms)
	if m := w.w.lastFrom(wire.WriteReject, 5); m == nil || m.N != wire.RejectNotMember {
		t.Fatalf("write to a retired segment: %+v", m)
	}
}

// A new full segment fills itself from a full peer; the transfer takes its
// size over the link's bandwidth. Until then it refuses reads but takes
// and acks writes with its gap-free SCL. Reference: SIGMOD'17 §2.2 (MTTR),
// SIGMOD'18 §4.1-4.2 (repair with membership epochs; a full segment
// repairs from a full peer).
func TestHydrationTimedByBandwidth(t *testing.T) {
	cfg := quietConfig()
	cfg.GossipInterval, cfg.CoalesceInterval = 5*ms, 5*ms
	const bw = 1_000_000 // bytes per second
	w := newWorld(t, worldOpts{cfg: cfg, net: sim.NetConfig{LatencySameAZ: 100 * us, LatencyCrossAZ: 500 * us, BandwidthBytesPerSec: bw}})
	w.w.vdl, w.w.pgmrpl = 150, 100
	big := strings.Repeat("x", 1000)
	var recs []redo.Record
	for k := range 200 {
		recs = append(recs, w.w.put(redo.PageID(1+k%4), "k"+string(rune('A'+k%26))+big[:k%7], big))
	}
	for k := 0; k < len(recs); k += 20 {
		w.w.send(recs[k : k+20])
	}
	w.run(2 * sim.Second)
	if s := w.seg(0); s.SCL() != 200 || s.BaseLSN() != 100 {
		t.Fatalf("a1: %s", s.Describe())
	}
	// Replace segment 6 (c2) by segment 7 on c1.
	q2, _ := w.seg(0).Membership().Replace(6, 7)
	peers2 := append(w.peers(false), wire.Peer{Seg: 7, Node: 4, Full: true})
	for i := range 6 {
		w.control(i, &wire.SetMembership{Quorum: q2, Peers: peers2})
	}
	w.run(10 * ms)
	n := w.nodes[4]
	s := n.Place(Placement{Seg: 7, PG: 1, Full: true, Quorum: q2, Peers: peers2, Hydrate: true})
	w.w.memEpoch = 2
	// Before hydration: writes are acked with SCL 0, reads refused.
	w.Send(wire.Msg{Kind: wire.Write, From: writerID, To: 4, PG: 1, Seg: 7, VolEpoch: 1, MemEpoch: 2, A: 150, B: 100,
		Batch: &redo.Batch{PG: 1, Records: []redo.Record{w.w.put(1, "new", "v")}}})
	w.Send(wire.Msg{Kind: wire.Read, From: writerID, To: 4, PG: 1, Seg: 7, A: 100, B: 1, N: 99})
	w.run(5 * ms)
	var ack, rej *wire.Msg
	for k := range w.w.got {
		m := &w.w.got[k]
		if m.Seg == 7 && m.Kind == wire.WriteAck {
			ack = m
		}
		if m.Seg == 7 && m.Kind == wire.ReadReject {
			rej = m
		}
	}
	if ack == nil || ack.A != 0 || rej == nil || rej.A != wire.RejectNotHydrated || s.Hydrated() {
		t.Fatalf("before hydration: ack %+v, read %+v", ack, rej)
	}
	if !w.runUntil(5*sim.Second, s.Hydrated) {
		t.Fatal("segment 7 never hydrated")
	}
	// The data: 4 base pages plus the 100 records above the base.
	var bytes int
	src := w.seg(0)
	for _, id := range src.Pages() {
		p, _ := src.Materialize(id, 100)
		bytes += p.Size()
	}
	for _, r := range src.Records(100, 200) {
		bytes += r.Size()
	}
	transfer := sim.Time(int64(bytes) * int64(sim.Second) / bw)
	took := w.now - s.hydrateStart
	if took < transfer || took > transfer+10*ms {
		t.Fatalf("hydration took %v for %d bytes; want about %v at %d B/s", took, bytes, transfer, bw)
	}
	if !strings.Contains(w.notesOf("hydrate"), "c1: s7 hydrated: 4 pages and 100 records") {
		t.Fatalf("hydrate notes:\n%s", w.notesOf("hydrate"))
	}
	// Gossip brings the rest, and the copy reads like the original.
	if !w.runUntil(sim.Second, func() bool { return s.SCL() == 201 }) {
		t.Fatalf("s7 after hydration: %s", s.Describe())
	}
	for _, id := range []redo.PageID{1, 2, 3, 4} {
		a, err1 := s.Materialize(id, 200)
		b, err2 := src.Materialize(id, 200)
		if err1 != nil || err2 != nil || !a.Equal(b) {
			t.Fatalf("page %v differs between s7 and s1: %v %v", id, err1, err2)
		}
	}
}

// A new tail segment fills from any peer, log only: no pages travel.
// Reference: SIGMOD'18 §4.2 (repairing a tail segment is SCL-based).
func TestTailHydration(t *testing.T) {
	cfg := quietConfig()
	cfg.GossipInterval, cfg.CoalesceInterval = 5*ms, 5*ms
	w := newWorld(t, worldOpts{cfg: cfg, fullTail: true})
	w.w.vdl, w.w.pgmrpl = 20, 20
	w.w.send(w.w.puts(20, 2))
	w.run(50 * ms)
	q2, err := w.seg(0).Membership().Replace(6, 7)
	if err != nil {
		t.Fatal(err)
	}
	peers2 := append(w.peers(true), wire.Peer{Seg: 7, Node: 3, Full: false})
	for i := range 6 {
		w.control(i, &wire.SetMembership{Quorum: q2, Peers: peers2})
	}
	s := w.nodes[3].Place(Placement{Seg: 7, PG: 1, Full: false, Quorum: q2, Peers: peers2, Hydrate: true})
	if !w.runUntil(sim.Second, s.Hydrated) {
		t.Fatal("tail segment 7 never hydrated")
	}
	if s.SCL() != 20 || s.BaseLSN() != 0 || len(s.Pages()) != 0 {
		t.Fatalf("s7: %s with %d pages", s.Describe(), len(s.Pages()))
	}
	if !strings.Contains(w.notesOf("hydrate"), "b2: s7 hydrated: 0 pages and 20 records") {
		t.Fatalf("hydrate notes:\n%s", w.notesOf("hydrate"))
	}
}

// A node that was down while its peers collected past its SCL catches up
// from a peer's copy: gossip alone can no longer bring the records.
// Reference: SIGMOD'18 §4.2 (repair from a full segment's baseline plus
// log).
func TestCatchUpAfterPeersCollected(t *testing.T) {
	cfg := quietConfig()
	cfg.GossipInterval, cfg.CoalesceInterval, cfg.StageInterval, cfg.GCInterval = 5*ms, 5*ms, 5*ms, 5*ms
	w := newWorld(t, worldOpts{cfg: cfg})
	w.w.vdl, w.w.pgmrpl = 10, 10
	w.w.send(w.w.puts(10, 2))
	w.run(50 * ms)
	w.crash(5)
	w.w.vdl, w.w.pgmrpl = 30, 30
	w.w.send(w.w.puts(20, 2))
	w.run(100 * ms)
	if s := w.seg(0); s.CollectedLSN() != 30 {
		t.Fatalf("a1: %s", s.Describe())
	}
	w.restart(5)
	s := w.seg(5)
	if s.SCL() != 10 {
		t.Fatalf("c2 after restart: %s", s.Describe())
	}
	if !w.runUntil(sim.Second, func() bool { return s.SCL() == 30 }) {
		t.Fatalf("c2 never caught up: %s", s.Describe())
	}
	if !strings.Contains(w.notesOf("hydrate"), "c2: s6 is behind its peers' GC") {
		t.Fatalf("hydrate notes:\n%s", w.notesOf("hydrate"))
	}
	for _, id := range []redo.PageID{1, 2} {
		a, err1 := s.Materialize(id, 30)
		b, err2 := w.seg(0).Materialize(id, 30)
		if err1 != nil || err2 != nil || !a.Equal(b) {
			t.Fatalf("page %v differs: %v %v", id, err1, err2)
		}
	}
}

// A crash loses what the disk had not finished — never acknowledged — and
// keeps what it had; the node comes back with its durable state alone.
// Reference: SIGMOD'17 §3.3 (persist, then ack).
func TestCrashLosesOnlyUnpersistedWrites(t *testing.T) {
	w := newWorld(t, worldOpts{cfg: quietConfig()})
	s := w.seg(0)
	w.w.send(w.w.puts(3, 1), 0)
	w.run(1 * ms)
	w.w.send(w.w.puts(2, 1), 0) // reaches a1 at 1.1ms, on disk at 1.2ms
	w.run(150 * us)
	w.crash(0)
	w.run(5 * ms)
	if got := w.w.count(wire.WriteAck, 0); got != 1 {
		t.Fatalf("%d acks from a1, want 1: the crashed batch must never be acked", got)
	}
	if s.Len() != 3 || s.SCL() != 3 || w.seg(0) != s {
		t.Fatalf("a1 after the crash: %s", s.Describe())
	}
	w.restart(0)
	w.w.send(w.w.puts(1, 1), 0) // LSN 6 waits for 4 and 5, which were lost
	w.run(2 * ms)
	if s.SCL() != 3 || s.Waiting() != 1 {
		t.Fatalf("a1 after restart: %s", s.Describe())
	}
}

// Crash and reload give back exactly the durable state: log, bases,
// watermarks, membership, epochs and truncations.
func TestCrashReloadsDurableState(t *testing.T) {
	cfg := quietConfig()
	cfg.CoalesceInterval, cfg.StageInterval, cfg.GCInterval = 5*ms, 5*ms, 5*ms
	w := newWorld(t, worldOpts{cfg: cfg})
	w.w.vdl, w.w.pgmrpl = 8, 6
	w.w.send(w.w.puts(10, 3))
	w.run(50 * ms)
	for i := range nodeNames {
		w.control(i, &wire.Truncate{Range: wire.Truncation{Epoch: 2, From: 11, To: 99}, VDL: 8})
	}
	w.run(50 * ms)
	n, s := w.nodes[0], w.seg(0)
	before := s.Describe()
	pages := map[redo.PageID]*page.Page{}
	for _, id := range s.Pages() {
		pages[id], _ = s.Materialize(id, 10)
	}
	w.crash(0)
	if s.Describe() != before || n.VolumeEpoch() != 2 || n.CleanEpoch() != 2 || n.KnownVDL() != 8 || len(n.Truncations()) != 1 {
		t.Fatalf("after reload: %s (was %s), epochs %d/%d, VDL %d", s.Describe(), before, n.VolumeEpoch(), n.CleanEpoch(), n.KnownVDL())
	}
	for id, want := range pages {
		if got, err := s.Materialize(id, 10); err != nil || !got.Equal(want) {
			t.Fatalf("page %v after reload: %v", id, err)
		}
	}
}

// A Journal passes changes on and keeps them until drained; replaying the
// drained changes into an empty store rebuilds the same state, as a
// browser does from IndexedDB.
func TestJournalReplay(t *testing.T) {
	cfg := quietConfig()
	cfg.CoalesceInterval, cfg.GCInterval, cfg.StageInterval = 5*ms, 5*ms, 5*ms
	j := NewJournal(NewMemStore())
	w := newWorld(t, worldOpts{cfg: cfg})
	cfg.Store, cfg.HasBackup, cfg.Backup = j, true, backupID
	n := NewNode(0, "a1", "a", cfg)
	n.Place(Placement{Seg: 1, PG: 1, Full: true, Peers: w.peers(false)})
	w.nodes[0] = n
	n.Start(w)
	w.w.vdl, w.w.pgmrpl = 10, 8
	w.w.send(w.w.puts(12, 3))
	w.run(50 * ms)
	if err := n.Corrupt(1); err != nil {
		t.Fatal(err)
	}
	changes := j.Drain()
	if len(changes) < 5 || j.Pending() != 0 {
		t.Fatalf("%d changes drained", len(changes))
	}
	fresh := NewMemStore()
	for k := range changes {
		fresh.Write(&changes[k])
	}
	if a, b := j.Load(), fresh.Load(); !reflect.DeepEqual(a, b) {
		t.Fatalf("replayed store differs:\n%+v\n%+v", a.Segments[0].Meta, b.Segments[0].Meta)
	}
	// A checkpoint rebuilds it too.
	ck := NewMemStore()
	for _, c := range fresh.Changes() {
		ck.Write(&c)
	}
	if !reflect.DeepEqual(ck.Load(), fresh.Load()) {
		t.Fatal("checkpoint differs")
	}
}

// The same seed gives the same run.
func TestDeterministic(t *testing.T) {
	run := func() (uint64, string) {
		cfg := DefaultConfig()
		cfg.PersistLatency = 100 * us
		w := newWorld(t, worldOpts{cfg: cfg, seed: 7, net: sim.NetConfig{LatencySameAZ: 100 * us, LatencyCrossAZ: 500 * us, JitterPercent: 30, LossPercent: 5}})
		for k := range 50 {
			w.w.vdl, w.w.pgmrpl = w.w.next, w.w.next
			w.w.send(w.w.puts(3, 4))
			w.run(2 * ms)
			if k == 20 {
				_ = w.nodes[2].Corrupt(1)
			}
		}
		w.run(sim.Second)
		var b strings.Builder
		for i := range nodeNames {
			b.WriteString(w.seg(i).Describe() + "\n")
		}
		for _, n := range w.notes {
			b.WriteString(n.Text + "\n")
		}
		return w.trace, b.String()
	}
	h1, s1 := run()
	h2, s2 := run()
	if h1 != h2 || s1 != s2 {
		t.Fatalf("two runs of one seed differ:\n%s\n---\n%s", s1, s2)
	}
	// Under loss, every segment still converges.
	for _, line := range strings.Split(strings.TrimSpace(s1), "\n")[:6] {
		if !strings.Contains(line, "scl=150") {
			t.Errorf("not converged: %s", line)
		}
	}
}

// quorumSet builds the standard membership used by the unit tests below.
func quorumSet() quorum.Membership {
	return quorum.Standard(1, [quorum.Replicas]quorum.Member{1, 2, 3, 4, 5, 6})
}

// A recovery that lands while a batch waits for the disk refuses the batch
// when the disk finishes: it is never added, never acknowledged.
// Reference: SIGMOD'17 §4.3 (stale instances are rejected).
func TestRecoveryWhileOnDisk(t *testing.T) {
	w := newWorld(t, worldOpts{cfg: quietConfig()})
	w.w.send(w.w.puts(2, 1), 0) // on a1's disk from 100us to 200us
	w.run(150 * us)
	w.nodes[0].Handle(w, &wire.Msg{Kind: wire.Control, From: writerID, To: 0, PG: 1, Seg: 1,
		Body: &wire.Truncate{Range: wire.Truncation{Epoch: 2, From: 1, To: 100}}})
	w.run(5 * ms)
	if m := w.w.lastFrom(wire.WriteReject, 0); m == nil || m.N != wire.RejectStaleVolumeEpoch || w.w.count(wire.WriteAck, 0) != 0 {
		t.Fatalf("reject %+v, %d acks", m, w.w.count(wire.WriteAck, 0))
	}
	if s := w.seg(0); s.Len() != 0 || s.SCL() != 0 {
		t.Fatalf("a1: %s", s.Describe())
	}
}

// Each writer stream has its own PG chain and SCL (multi-master keeps one
// per writer); stream 0's SCL is the segment's. Reference: SIGMOD'18 §2.1.
func TestChainsPerStream(t *testing.T) {
	s := newSegment(1, 1, true)
	add := func(lsn, prev redo.LSN, st uint8) {
		s.add(StoredRecord{Rec: redo.Record{LSN: lsn, PrevPG: prev, Stream: st, PG: 1}})
	}
	add(1, 0, 0)
	add(2, 0, 1)
	add(4, 2, 1) // stream 1: 2 → 4
	add(5, 3, 0) // stream 0 waits for 3
	if s.SCL() != 1 || s.StreamSCL(1) != 4 || s.StreamSCL(2) != 0 {
		t.Fatalf("SCLs %d %d", s.SCL(), s.StreamSCL(1))
	}
	add(3, 1, 0)
	if s.SCL() != 5 || s.Waiting() != 0 {
		t.Fatalf("stream 0 SCL %d waiting %d, want 5 and 0", s.SCL(), s.Waiting())
	}
	s.rebuildChains()
	if s.SCL() != 5 || s.StreamSCL(1) != 4 {
		t.Fatalf("after rebuild %d %d", s.SCL(), s.StreamSCL(1))
	}
}

// Coalescing changes a base page in place only while no one but the node
// and its MemStore holds it: pages handed out by Load (a disk snapshot),
// kept by a Journal, or sent to a peer by hydration never change.
func TestCoalesceInPlaceKeepsLentPages(t *testing.T) {
	cfg := quietConfig()
	cfg.CoalesceInterval = 5 * ms
	w := newWorld(t, worldOpts{cfg: cfg})
	s := w.seg(0)
	batch := func() {
		t.Helper()
		w.w.send(w.w.puts(12, 3))
		w.w.vdl, w.w.pgmrpl = w.w.next, w.w.next
		w.w.heartbeat()
		w.run(20 * ms)
		if s.BaseLSN() != w.w.next {
			t.Fatalf("a1: %s", s.Describe())
		}
	}
	owned := func() int {
		k := 0
		for _, b := range s.bases {
			if b.own {
				k++
			}
		}
		return k
	}
	batch()
	if owned() != 3 {
		t.Fatalf("%d of 3 bases owned after coalescing", owned())
	}
	was := s.bases[0].Page
	batch()
	if s.bases[0].Page != was {
		t.Fatal("an owned base was copied, not changed in place")
	}
	// A snapshot of the disk keeps the pages as they were.
	img := w.nodes[0].Store().Load()
	type kept struct {
		p   *page.Page
		sum uint32
	}
	var held []kept
	for _, b := range img.Segments[0].Pages {
		held = append(held, kept{b.Page, b.Page.Checksum()})
	}
	batch()
	if owned() != 3 || s.bases[0].Page == was {
		t.Fatalf("after a Load: %d bases owned, first base changed in place: %v", owned(), s.bases[0].Page == was)
	}
	for _, h := range held {
		if h.p.Checksum() != h.sum {
			t.Fatalf("page %v of a loaded image changed", h.p.ID)
		}
	}
	// A hydration's pages are the peer's from then on.
	sent := map[*page.Page]uint32{}
	w.seen = func(m *wire.Msg) {
		if d, ok := m.Body.(*wire.HydrateData); ok {
			for _, x := range d.Pages {
				p := x.(*page.Page)
				sent[p] = p.Checksum()
			}
		}
	}
	w.nodes[0].serveHydrate(w, &wire.Msg{Kind: wire.Control, From: 1, To: 0, PG: 1, Seg: 1, A: 1, MemEpoch: s.MemEpoch()})
	w.run(5 * ms)
	if len(sent) != 3 || owned() != 0 {
		t.Fatalf("hydration sent %d pages; %d bases still owned", len(sent), owned())
	}
	batch()
	for p, sum := range sent {
		if p.Checksum() != sum {
			t.Fatalf("page %v sent to a peer changed", p.ID)
		}
	}
	// A node in front of a Journal never owns its pages.
	j := NewJournal(NewMemStore())
	jcfg := cfg
	jcfg.Store, jcfg.HasBackup, jcfg.Backup = j, true, backupID
	w = newWorld(t, worldOpts{cfg: cfg})
	n := NewNode(0, "a1", "a", jcfg)
	n.Place(Placement{Seg: 1, PG: 1, Full: true, Peers: w.peers(false)})
	w.nodes[0] = n
	n.Start(w)
	s = n.SegmentByID(1, 1)
	batch()
	batch()
	if owned() != 0 {
		t.Fatalf("%d bases owned with a Journal", owned())
	}
	for _, c := range j.Drain() {
		for _, b := range c.Pages {
			if b.Page.Checksum() != b.Sum {
				t.Fatalf("journal's page %v changed after it was written", b.Page.ID)
			}
		}
	}
}

// TestAppendRecordsMatchesAdd checks addRecords' fast path for batches
// that land on top of the log against its general path, record by
// record: the same log, SCL, store contents and counts.
func TestAppendRecordsMatchesAdd(t *testing.T) {
	rec := func(l, prev redo.LSN) redo.Record {
		return redo.Record{LSN: l, PrevPG: prev, PG: 1, Page: 2, Op: redo.OpPut, Key: []byte{byte(l)}, Value: []byte("v")}
	}
	batches := [][]redo.Record{
		{rec(1, 0), rec(2, 1), rec(3, 2)},
		{rec(5, 4), rec(6, 5)}, // a gap below: the SCL stays at 3
		{rec(7, 6)},
		{rec(4, 3)}, // fills the gap, below the top: never the fast path
		{rec(8, 7), rec(9, 8)},
	}
	run := func(general bool) (*Segment, []int, Image) {
		n := NewNode(1, "sn1", "az1", quietConfig())
		s := n.Place(Placement{Seg: 1, PG: 1, Full: true})
		if general {
			// Claims, even empty, send every batch down the general path.
			s.claims = map[claimKey]redo.LSN{}
		}
		var added []int
		for _, b := range batches {
			added = append(added, n.addRecords(nil, s, b))
		}
		return s, added, n.store.Load()
	}
	fs, fadded, fimg := run(false)
	gs, gadded, gimg := run(true)
	if !reflect.DeepEqual(fadded, gadded) {
		t.Errorf("added: fast path %v, general %v", fadded, gadded)
	}
	if !reflect.DeepEqual(fs.log, gs.log) || !reflect.DeepEqual(fs.chains, gs.chains) {
		t.Errorf("fast path log %v chains %v, general %v %v", fs.log, fs.chains, gs.log, gs.chains)
	}
	if fs.SCL() != 9 {
		t.Errorf("SCL %v, want 9", fs.SCL())
	}
	if !reflect.DeepEqual(fimg.Segments[0].Records, gimg.Segments[0].Records) {
		t.Errorf("stored records differ: fast path %v, general %v", fimg.Segments[0].Records, gimg.Segments[0].Records)
	}
}

// A node that has heard of a recovery but not yet learned its truncation
// ranges refuses reads: it may still hold records the recovery annulled,
// and a recovered writer's read point jumps past the range, so a page
// materialised there would bring them back. Here a1 missed the recovery
// that annulled 4 and 5; the new writer reads page 1 at its VDL 11, the
// PG's last record being 3 (its new records went to other PGs). a1
// refuses until a peer has told it the range; then it serves the page
// without the annulled rows.
func TestNoReadBeforeTruncationsLearned(t *testing.T) {
	cfg := quietConfig()
	cfg.GossipInterval = ms // a node learns truncations from its peers by gossip
	w := newWorld(t, worldOpts{cfg: cfg})
	w.w.send(w.w.puts(5, 1))
	w.run(5 * ms)
	for i := 1; i < 6; i++ {
		w.control(i, &wire.TruncateAll{Truncate: wire.Truncate{Range: wire.Truncation{Epoch: 2, From: 4, To: 10}, VDL: 3}})
	}
	w.run(5 * ms)
	for i := 1; i < 6; i++ {
		w.crash(i)
	}
	read := func() *wire.Msg {
		w.w.reqs++
		w.Send(wire.Msg{Kind: wire.Read, From: writerID, To: 0, PG: 1, Seg: 1, VolEpoch: 2, A: 11, B: 1, C: 3, N: w.w.reqs})
		if !w.runUntil(10*ms, func() bool { return w.lastRead() != nil }) {
			t.Fatal("no answer from a1")
		}
		return w.lastRead()
	}
	if m := read(); m.Kind != wire.ReadReject {
		p, _ := m.Body.(*page.Page)
		t.Fatalf("a1 served page 1 at 11 before it learned the truncations: %v", p)
	}
	for i := 1; i < 6; i++ {
		w.restart(i)
	}
	w.run(20 * ms)
	m := read()
	if m.Kind != wire.ReadReply {
		t.Fatalf("a1 still refuses once its peers are back: %+v (%s)", m, w.seg(0).Describe())
	}
	p := m.Body.(*page.Page)
	for _, k := range []string{"k004", "k005"} {
		if _, ok := p.Get([]byte(k)); ok {
			t.Errorf("page 1 holds %s, which the recovery annulled", k)
		}
	}
	if _, ok := p.Get([]byte("k003")); !ok {
		t.Error("page 1 lacks k003, which is below the VDL")
	}
}
