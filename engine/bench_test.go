package engine

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// Benchmarks of the model's speed: how many simulated messages it
// delivers, and how many transactions it commits, per second of wall
// time. They are measured here and reported in BENCHMARKS.md, never
// asserted in a test.
//
//	go test ./engine -run '^$' -bench . -benchmem
//	GOOS=js GOARCH=wasm go test ./engine -run '^$' -bench . -benchmem -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec"
//
// The standard workload runs on the default cluster: one writer, one
// replica, six storage nodes in three AZs, one protection group to start
// with.

// benchLabRows bounds the rows one Lab takes before the benchmark starts
// a fresh one (outside the timer), so that every iteration meets a table
// of the same size and a long run measures the same thing as a short one.
const benchLabRows = 1000

// workload runs a stream of statements against the standard cluster and
// reports deliveries/s, txns/s and events/s.
type workload struct {
	b       *testing.B
	l       *Lab
	n       int // statements run on the current Lab
	deliv   uint64
	events  uint64
	commits int64
}

func newWorkload(b *testing.B) *workload {
	w := &workload{b: b}
	w.fresh()
	return w
}

// fresh replaces the Lab with a new one holding an empty table, outside
// the timer.
func (w *workload) fresh() {
	w.b.StopTimer()
	if w.l != nil {
		w.account()
	}
	l, err := New(DefaultConfig())
	if err != nil {
		w.b.Fatal(err)
	}
	w.l, w.n = l, 0
	w.run("CREATE TABLE t (id INT PRIMARY KEY, v TEXT);")
	st := l.c.Stats()
	w.deliv -= st.Delivered
	w.events -= st.Events
	w.commits -= w.writerCommits()
	w.b.StartTimer()
}

func (w *workload) writerCommits() int64 {
	var n int64
	for _, in := range w.l.c.Instances {
		n += in.Stats().Commits
	}
	return n
}

func (w *workload) account() {
	st := w.l.c.Stats()
	w.deliv += st.Delivered
	w.events += st.Events
	w.commits += w.writerCommits()
}

// run submits one console input and runs the Lab until it is done.
func (w *workload) run(src string) {
	if err := w.l.Submit("w1", src); err != nil {
		w.b.Fatal(err)
	}
	if err := w.l.RunUntilIdle(); err != nil {
		w.b.Fatal(err)
	}
	w.n++
}

func (w *workload) report() {
	w.account()
	s := w.b.Elapsed().Seconds()
	if s <= 0 {
		return
	}
	w.b.ReportMetric(float64(w.deliv)/s, "deliveries/s")
	w.b.ReportMetric(float64(w.commits)/s, "txns/s")
	w.b.ReportMetric(float64(w.events)/s, "events/s")
	w.b.ReportMetric(float64(w.deliv)/float64(w.b.N), "deliveries/op")
}

// BenchmarkInsertStream is the standard workload: single-row INSERT
// autocommits, one after the other, each acknowledged once durable.
func BenchmarkInsertStream(b *testing.B) {
	b.ReportAllocs()
	w := newWorkload(b)
	for range b.N {
		if w.n >= benchLabRows {
			w.fresh()
		}
		// w.n counts the CREATE TABLE, so the keys run 1, 2, 3, ... in
		// every Lab: each one appends to the table, whatever b.N is.
		w.run("INSERT INTO t VALUES (" + strconv.Itoa(w.n) + ", 'v');")
	}
	w.report()
}

// BenchmarkMixed is the mixed workload over 200 keys: autocommit
// INSERT, UPDATE and DELETE, point and range SELECTs, and explicit
// transactions of three statements. Each iteration is one console input.
func BenchmarkMixed(b *testing.B) {
	b.ReportAllocs()
	w := newWorkload(b)
	r := rand.New(rand.NewPCG(1, 2))
	for range b.N {
		if w.n >= benchLabRows {
			w.fresh()
		}
		k := strconv.Itoa(1 + r.IntN(200))
		var src string
		switch x := r.IntN(10); {
		case x < 3:
			src = "INSERT INTO t VALUES (" + k + ", 'v" + k + "');"
		case x < 5:
			src = "UPDATE t SET v = 'u" + k + "' WHERE id = " + k + ";"
		case x < 6:
			src = "DELETE FROM t WHERE id = " + k + ";"
		case x < 8:
			src = "SELECT v FROM t WHERE id = " + k + ";"
		case x < 9:
			src = "SELECT COUNT(*) FROM t WHERE id BETWEEN " + k + " AND " + k + " + 20;"
		default:
			src = "BEGIN;\nUPDATE t SET v = 'x' WHERE id = " + k + ";\nINSERT INTO t VALUES (" + strconv.Itoa(200+r.IntN(1000)) + ", 'y');\nCOMMIT;"
		}
		w.run(src)
	}
	w.report()
}

// BenchmarkIdleCluster runs the standard cluster with no client work:
// heartbeats, gossip, coalescing, staging, scrub and replica keepalives.
// One op is one second of simulated time.
func BenchmarkIdleCluster(b *testing.B) {
	b.ReportAllocs()
	w := newWorkload(b)
	for range b.N {
		w.l.RunFor(Second)
	}
	w.report()
}

// --- the event loop -----------------------------------------------------

// BenchmarkQueue pushes and pops wire messages through the event queue, a
// heap ordered by (time, seq) over a slab: the bare event loop. The queue
// holds about 1,000 events, as a busy cluster does.
func BenchmarkQueue(b *testing.B) {
	b.ReportAllocs()
	var q sim.Queue[wire.Msg]
	r := sim.NewRand(1)
	for i := range 1000 {
		q.Push(sim.Time(r.IntN(1_000_000)), wire.Msg{Kind: wire.Write, N: int64(i)})
	}
	b.ResetTimer()
	for range b.N {
		at, m, _ := q.Pop()
		q.Push(at+sim.Time(1+r.IntN(1_000_000)), m)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRoute sends messages through the network model and the queue
// and delivers them: Route (latency, jitter, bandwidth) plus Push and Pop,
// with 20 nodes in three AZs.
func BenchmarkRoute(b *testing.B) {
	b.ReportAllocs()
	az := make([]uint8, 20)
	for i := range az {
		az[i] = uint8(i % 3)
	}
	nw := sim.NewNetwork(sim.NetConfig{LatencySameAZ: 100 * sim.Microsecond, LatencyCrossAZ: 500 * sim.Microsecond,
		JitterPercent: 20, BandwidthBytesPerSec: 10_000 * 1_000_000 / 8}, az)
	var q sim.Queue[wire.Msg]
	r := sim.NewRand(1)
	batch := &redo.Batch{PG: 1}
	batch.Add(redo.Record{LSN: 1, PG: 1, Page: 3, Op: redo.OpPut, Key: []byte("k"), Value: []byte("value")})
	var now sim.Time
	for i := range 200 {
		m := wire.Msg{Kind: wire.Write, From: sim.NodeID(i % 20), To: sim.NodeID((i + 7) % 20), Batch: batch}
		if at, ok := nw.Route(now, m.From, m.To, m.Size(), r); ok {
			q.Push(at, m)
		}
	}
	b.ResetTimer()
	for range b.N {
		at, m, ok := q.Pop()
		if !ok {
			b.Fatal("the queue ran dry")
		}
		now = at
		m.From, m.To = m.To, sim.NodeID((int(m.To)+7)%20)
		if at, ok := nw.Route(now, m.From, m.To, m.Size(), r); ok {
			q.Push(at, m)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
