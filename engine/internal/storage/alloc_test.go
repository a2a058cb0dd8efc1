package storage

import (
	"testing"

	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// hotEnv is the least a node needs to run its foreground path: a clock, a
// random source, and sends and alarms that go nowhere. The test drives the
// disk's alarm itself.
type hotEnv struct {
	now   sim.Time
	rand  *sim.Rand
	sends int
}

func (e *hotEnv) Now() sim.Time            { return e.now }
func (e *hotEnv) Rand() *sim.Rand          { return e.rand }
func (e *hotEnv) Send(wire.Msg)            { e.sends++ }
func (e *hotEnv) After(sim.Time, wire.Msg) {}
func (e *hotEnv) Note(wire.Note)           {}

// hotPath returns a node with one segment, quiet background, and a
// function that sends it one Write batch of four records and lets the disk
// finish it: the write → persist → ack path.
func hotPath() (*Node, *hotEnv, func()) {
	cfg := quietConfig()
	n := NewNode(0, "a1", "a", cfg)
	n.Place(Placement{Seg: 1, PG: 1, Full: true, Quorum: quorumSet()})
	env := &hotEnv{rand: sim.NewRand(1)}
	n.Start(env)
	// One batch, as the writer builds it, renumbered for each write: the
	// node keeps copies of the records, never the batch.
	b := &redo.Batch{PG: 1}
	for k := range 4 {
		b.Add(redo.Record{LSN: redo.LSN(k + 1), PG: 1, Op: redo.OpPut, Key: []byte("key"), Value: []byte("value")})
	}
	var last redo.LSN
	timer := wire.Msg{Kind: wire.Timer, From: 0, To: 0, N: alarmPersist}
	s := n.Segment(1)
	k := 0
	return n, env, func() {
		for i := range b.Records {
			r := &b.Records[i]
			r.PrevPG, r.PrevVolume = last, last
			last++
			r.LSN, r.Page = last, redo.PageID(1+last%8)
		}
		m := wire.Msg{Kind: wire.Write, From: 6, To: 0, PG: 1, Seg: 1, VolEpoch: 1, MemEpoch: 1, A: last - 4, Batch: b}
		n.Handle(env, &m)
		env.now += cfg.PersistLatency
		n.Handle(env, &timer)
		if k++; k%256 == 0 {
			// GC keeps the hot log short, as it would once the records
			// are coalesced and staged.
			s.coalesced, s.staged = s.SCL(), s.SCL()
			n.collect(env, s)
		}
	}
}

// recordSum is Record.Checksum without the allocation.
func TestRecordSumMatchesChecksum(t *testing.T) {
	r := sim.NewRand(3)
	for range 2000 {
		rec := redo.Record{
			LSN: redo.LSN(r.Uint64()), PrevPG: redo.LSN(r.Uint64()), PrevPage: redo.LSN(r.Uint64()), PrevVolume: redo.LSN(r.Uint64()),
			Page: redo.PageID(r.Uint64()), PG: redo.PGID(r.Uint64()), Op: redo.Op(r.IntN(256)),
		}
		for range r.IntN(20) {
			rec.Key = append(rec.Key, byte(r.IntN(256)))
		}
		for range r.IntN(40) {
			rec.Value = append(rec.Value, byte(r.IntN(256)))
		}
		if got, want := recordSum(&rec), rec.Checksum(); got != want {
			t.Fatalf("recordSum %08x, Checksum %08x for %s", got, want, rec.Describe())
		}
	}
}

// The write → persist → ack path (with GC keeping the log short) does not
// allocate: measured 0 allocations per batch of four records.
func TestPersistAckAllocs(t *testing.T) {
	const runs = 2000
	n, env, write := hotPath()
	for range 100 {
		write()
	}
	allocs := testing.AllocsPerRun(runs, write)
	if allocs != 0 {
		t.Fatalf("write → persist → ack allocates %.3f times per batch, want 0", allocs)
	}
	if s := n.Segment(1); s.SCL() != s.log[len(s.log)-1].Rec.LSN || env.sends == 0 {
		t.Fatalf("the path did not run: %s", s.Describe())
	}
	t.Logf("%.3f allocations per batch", allocs)
}

// BenchmarkWritePersistAck measures the foreground path of one node: a
// Write of four records handled, persisted and acknowledged.
func BenchmarkWritePersistAck(b *testing.B) {
	_, _, write := hotPath()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		write()
	}
}

// BenchmarkWorld measures whole-world message throughput: one writer
// sending batches to six segments with every background step on, through
// the simulated network and event queue. It reports messages delivered per
// second of wall time.
func BenchmarkWorld(b *testing.B) {
	cfg := DefaultConfig()
	w := newWorld(&testing.T{}, worldOpts{cfg: cfg})
	w.w.discard, w.w.keys = true, 128
	delivered := 0
	w.seen = func(*wire.Msg) { delivered++ }
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.w.vdl, w.w.pgmrpl = w.w.next, w.w.next
		w.w.send(w.w.puts(4, 16))
		w.run(200 * sim.Microsecond)
	}
	b.ReportMetric(float64(delivered)/b.Elapsed().Seconds(), "msgs/s")
}

// A log that outgrows its array leaves it in the pool, and the next log
// that grows takes it rather than a new one.
func TestRecordPoolKeepsOutgrownArrays(t *testing.T) {
	var p recordPool
	rec := func(l int) StoredRecord { return StoredRecord{Rec: redo.Record{LSN: redo.LSN(l)}} }
	var a []StoredRecord
	for l := 1; l <= 4*firstLog; l++ {
		a = append(p.room(a, 1), rec(l))
	}
	for i := range a {
		if a[i].Rec.LSN != redo.LSN(i+1) {
			t.Fatalf("record %d is %v after growing", i, a[i].Rec.LSN)
		}
	}
	if len(p.free) == 0 {
		t.Fatal("no outgrown array kept")
	}
	for _, f := range p.free {
		if len(f) != 0 {
			t.Fatalf("kept array not empty: len %d", len(f))
		}
	}
	// A second log climbs through the kept arrays: each array it grows
	// into is one a log left before.
	kept := map[*StoredRecord]bool{}
	for _, f := range p.free {
		kept[&f[:1][0]] = true
	}
	var b []StoredRecord
	for l := 1; l <= 2*firstLog; l++ {
		was := cap(b)
		b = append(p.room(b, 1), rec(l))
		if cap(b) != was && !kept[&b[0]] {
			t.Fatalf("record %d: the log grew into a new array of %d", l, cap(b))
		}
	}
}
