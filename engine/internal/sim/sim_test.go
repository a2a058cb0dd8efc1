package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestQueueOrdersByTimeThenSequence(t *testing.T) {
	var q Queue[string]
	q.Push(30, "c")
	q.Push(10, "a1")
	q.Push(20, "b")
	q.Push(10, "a2")
	q.Push(10, "a3")
	var got []string
	for q.Len() > 0 {
		_, e, _ := q.Pop()
		got = append(got, e)
	}
	want := []string{"a1", "a2", "a3", "b", "c"}
	if !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	if _, _, ok := q.Pop(); ok {
		t.Fatal("Pop on empty queue reported an event")
	}
}

func TestQueueMatchesSortedOrderUnderRandomUse(t *testing.T) {
	r := NewRand(7)
	var q Queue[int]
	type ev struct {
		at  Time
		seq int
	}
	var ref []ev
	seq := 0
	var popped, want []ev
	for range 5000 {
		if r.IntN(3) > 0 || len(ref) == 0 {
			at := Time(r.IntN(100))
			if len(popped) > 0 {
				at += popped[len(popped)-1].at // never schedule in the past
			}
			seq++
			q.Push(at, seq)
			ref = append(ref, ev{at, seq})
			continue
		}
		slices.SortFunc(ref, func(a, b ev) int {
			if a.at != b.at {
				return int(a.at - b.at)
			}
			return a.seq - b.seq
		})
		want = append(want, ref[0])
		ref = ref[1:]
		at, s, _ := q.Pop()
		popped = append(popped, ev{at, s})
	}
	if !slices.Equal(popped, want) {
		t.Fatal("queue order differs from a sorted reference")
	}
}

func TestQueueFilter(t *testing.T) {
	var q Queue[int]
	for i := range 20 {
		q.Push(Time(20-i), i)
	}
	q.Filter(func(e *int) bool { return *e%2 == 0 })
	var got []int
	for q.Len() > 0 {
		_, e, _ := q.Pop()
		got = append(got, e)
	}
	want := []int{19, 17, 15, 13, 11, 9, 7, 5, 3, 1}
	if !slices.Equal(got, want) {
		t.Fatalf("after filter = %v, want %v", got, want)
	}
}

func TestQueuePushPopDoesNotAllocate(t *testing.T) {
	var q Queue[[4]uint64]
	for i := range 64 {
		q.Push(Time(i), [4]uint64{uint64(i)})
	}
	allocs := testing.AllocsPerRun(1000, func() {
		at, e, _ := q.Pop()
		q.Push(at+64, e)
	})
	if allocs != 0 {
		t.Fatalf("steady-state push/pop allocates %.1f times", allocs)
	}
}

func TestTimeStringAndParse(t *testing.T) {
	cases := []struct {
		in   string
		want Time
		out  string
	}{
		{"500us", 500 * Microsecond, "500us"},
		{"20ms", 20 * Millisecond, "20ms"},
		{"1.5ms", 1500 * Microsecond, "1.5ms"},
		{"3s", 3 * Second, "3s"},
		{"2m", 2 * Minute, "120s"},
		{"0.25s", 250 * Millisecond, "250ms"},
		{"7ns", 7, "7ns"},
		{"1.0625s", 1062500 * Microsecond, "1.062s"},
	}
	for _, c := range cases {
		got, err := ParseDuration(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
			continue
		}
		if s := got.String(); s != c.out {
			t.Errorf("%v.String() = %q, want %q", c.in, s, c.out)
		}
	}
	for _, bad := range []string{"", "ms", "20", "00", "20xs", "-5ms", "1..2s", ".s", "1.s", "99999999999999999999s"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded, want an error", bad)
		}
	}
}

func TestNetworkFaults(t *testing.T) {
	cfg := NetConfig{LatencySameAZ: 100 * Microsecond, LatencyCrossAZ: 500 * Microsecond}
	nw := NewNetwork(cfg, []uint8{0, 0, 1})
	r := NewRand(1)
	if at, ok := nw.Route(0, 0, 1, 100, r); !ok || at != 100*Microsecond {
		t.Fatalf("same-AZ route = %v %v", at, ok)
	}
	if at, ok := nw.Route(0, 0, 2, 100, r); !ok || at != 500*Microsecond {
		t.Fatalf("cross-AZ route = %v %v", at, ok)
	}
	nw.Block(0, 2, true)
	if _, ok := nw.Route(0, 2, 0, 100, r); ok {
		t.Fatal("a cut link delivered a message")
	}
	nw.HealAll()
	nw.SetUp(1, false)
	if _, ok := nw.Route(0, 0, 1, 100, r); ok {
		t.Fatal("a crashed node received a message")
	}
	nw.SetUp(1, true)
	nw.SetSlow(1, Millisecond)
	if at, _ := nw.Route(0, 0, 1, 100, r); at != 1100*Microsecond {
		t.Fatalf("slow node route = %v, want 1.1ms", at)
	}
}

func TestNetworkBandwidthQueuesTransfers(t *testing.T) {
	cfg := NetConfig{LatencySameAZ: Millisecond, BandwidthBytesPerSec: 1_000_000}
	nw := NewNetwork(cfg, []uint8{0, 0})
	r := NewRand(1)
	a1, _ := nw.Route(0, 0, 1, 1000, r) // 1ms on the wire + 1ms latency
	a2, _ := nw.Route(0, 0, 1, 1000, r) // waits for the first
	if a1 != 2*Millisecond || a2 != 3*Millisecond {
		t.Fatalf("arrivals = %v, %v; want 2ms, 3ms", a1, a2)
	}
}

// Removing the top must leave the heap's entries exactly where the
// textbook sift-down from the root would. (The events are all near, so
// none waits on the line.)
func TestQueueLayoutMatchesTextbookSiftDown(t *testing.T) {
	type refEntry struct {
		at  Time
		seq uint64
		id  int
	}
	less := func(a, b refEntry) bool { return a.at < b.at || a.at == b.at && a.seq < b.seq }
	r := NewRand(11)
	var q Queue[int]
	var ref []refEntry
	var seq uint64
	for i := range 20000 {
		if r.IntN(5) < 3 || len(ref) == 0 {
			at := Time(r.IntN(50)) // many ties in time
			q.Push(at, i)
			seq++
			ref = append(ref, refEntry{at: at, seq: seq, id: i})
			for j := len(ref) - 1; j > 0; {
				p := (j - 1) / 2
				if !less(ref[j], ref[p]) {
					break
				}
				ref[j], ref[p] = ref[p], ref[j]
				j = p
			}
		} else {
			if r.IntN(2) == 0 {
				q.Pop()
			} else {
				q.Take()
			}
			n := len(ref) - 1
			ref[0] = ref[n]
			ref = ref[:n]
			for j := 0; ; {
				c := 2*j + 1
				if c >= n {
					break
				}
				if c+1 < n && less(ref[c+1], ref[c]) {
					c++
				}
				if !less(ref[c], ref[j]) {
					break
				}
				ref[j], ref[c] = ref[c], ref[j]
				j = c
			}
		}
		if len(q.heap) != len(ref) {
			t.Fatalf("step %d: %d entries, want %d", i, len(q.heap), len(ref))
		}
		for j := range ref {
			h := q.heap[j]
			if h.at != ref[j].at || *q.event(h.slot) != ref[j].id {
				t.Fatalf("step %d: entry %d is %d at %d, want %d at %d", i, j, *q.event(h.slot), h.at, ref[j].id, ref[j].at)
			}
		}
	}
}

func TestQueueTakeKeepsTheEventUntilRelease(t *testing.T) {
	var q Queue[int]
	q.Push(1, 10)
	q.Push(2, 20)
	_, e, ok := q.Take()
	if !ok || *e != 10 {
		t.Fatalf("Take = %v, %v", *e, ok)
	}
	for i := range 100 { // grows the slab under the taken event
		q.Push(Time(3+i), 30+i)
	}
	if *e != 10 {
		t.Fatalf("the taken event changed to %d", *e)
	}
	q.Release()
	at, v, _ := q.Pop()
	if at != 2 || v != 20 {
		t.Fatalf("next = %v at %v, want 20 at 2", v, at)
	}
}

// Rand draws floats from its source directly; the stream must stay the
// one math/rand/v2 gives.
func TestRandMatchesMathRand(t *testing.T) {
	r := NewRand(42)
	ref := rand.New(rand.NewPCG(42, 42^0x9e3779b97f4a7c15))
	for i := range 1000 {
		switch i % 3 {
		case 0:
			if a, b := r.Float64(), ref.Float64(); a != b {
				t.Fatalf("draw %d: Float64 %v, want %v", i, a, b)
			}
		case 1:
			if a, b := r.Uint64(), ref.Uint64(); a != b {
				t.Fatalf("draw %d: Uint64 %v, want %v", i, a, b)
			}
		default:
			if a, b := r.IntN(1000), ref.IntN(1000); a != b {
				t.Fatalf("draw %d: IntN %v, want %v", i, a, b)
			}
		}
	}
}

// When the sequence counter is about to wrap, the pending entries are
// numbered again from 1; events must still leave in (time, seq) order,
// ties in the order they were scheduled.
func TestQueueSequenceWrapKeepsOrder(t *testing.T) {
	var q Queue[int]
	q.seq = ^uint32(0) - 50
	r := NewRand(3)
	type ev struct {
		at Time
		id int
	}
	var ref []ev
	var got []ev
	var now Time
	for i := range 400 {
		if r.IntN(3) > 0 || q.Len() == 0 {
			at := now + Time(r.IntN(10))
			q.Push(at, i)
			ref = append(ref, ev{at, i})
			continue
		}
		at, id, _ := q.Pop()
		now = at
		got = append(got, ev{at, id})
	}
	for q.Len() > 0 {
		at, id, _ := q.Pop()
		got = append(got, ev{at, id})
	}
	if q.seq > 1000 {
		t.Fatalf("the sequence did not start again: %d", q.seq)
	}
	slices.SortStableFunc(ref, func(a, b ev) int { return int(a.at - b.at) })
	if !slices.Equal(got, ref) {
		t.Fatal("order across the sequence wrap differs from a stable sort by time")
	}
}

// BenchmarkQueueTimers is the queue as a busy cluster holds it: a thousand
// alarms far ahead (statement deadlines) under a hundred events due soon.
func BenchmarkQueueTimers(b *testing.B) {
	var q Queue[[13]uint64]
	r := NewRand(1)
	for i := range 1000 {
		q.Push(Time(2*Second+Time(i)*Millisecond), [13]uint64{uint64(i)})
	}
	for i := range 100 {
		q.Push(Time(r.IntN(1_000_000)), [13]uint64{uint64(i)})
	}
	b.ResetTimer()
	for range b.N {
		at, e, _ := q.Take()
		q.PushRef(at+Time(1+r.IntN(1_000_000)), e)
		q.Release()
	}
}

// With SetForget, a freed slot is handed to the forget function (Pop,
// Release and Filter alike) rather than zeroed.
func TestQueueForget(t *testing.T) {
	type ev struct {
		p *int
		n int
	}
	var q Queue[ev]
	forgot := 0
	q.SetForget(func(e *ev) { e.p = nil; forgot++ })
	x := 1
	for i := range 4 {
		q.Push(Time(i), ev{p: &x, n: i})
	}
	q.Pop()
	_, e, _ := q.Take()
	q.Release()
	if e.p != nil || e.n != 1 || forgot != 2 {
		t.Fatalf("after Release the slot holds %+v, forget called %d times", *e, forgot)
	}
	q.Filter(func(e *ev) bool { return e.n == 3 })
	if forgot != 3 || q.Len() != 1 {
		t.Fatalf("Filter: forget called %d times, %d left", forgot, q.Len())
	}
	// ReleaseForgotten leaves the forgetting to the caller, and the slot
	// is used again.
	_, e, _ = q.Take()
	e.p = nil
	q.ReleaseForgotten()
	q.ReleaseForgotten() // nothing held: no slot handed back twice
	if forgot != 3 || len(q.free) != 4 {
		t.Fatalf("ReleaseForgotten: forget called %d times, %d slots free", forgot, len(q.free))
	}
	q.Push(9, ev{n: 9})
	if _, e2, _ := q.Take(); e2 != e || e2.n != 9 {
		t.Fatal("the slot ReleaseForgotten handed back was not used again")
	}
}

// Far events wait on the line while they come in order and in the heap
// otherwise; events must leave in (time, seq) order all the same, across
// a sequence wrap and a Filter, and Each must list them in that order.
func TestQueueLineKeepsOrder(t *testing.T) {
	var q Queue[int]
	q.seq = ^uint32(0) - 3000
	r := NewRand(5)
	type ev struct {
		at Time
		id int
	}
	var ref []ev
	var now Time
	sortRef := func() {
		slices.SortStableFunc(ref, func(a, b ev) int { return int(a.at - b.at) })
	}
	for i := range 20000 {
		switch k := r.IntN(10); {
		case k < 3 || q.Len() == 0:
			at := now + Time(r.IntN(int(Millisecond)))
			q.Push(at, i)
			ref = append(ref, ev{at, i})
		case k < 5:
			// Deadlines mostly in order, some out of it or tied.
			at := now + 2*Second - Time(r.IntN(3))*Time(r.IntN(int(200*Millisecond)))
			q.Push(at, i)
			ref = append(ref, ev{at, i})
		case k == 5:
			if i%500 == 0 {
				drop := func(id int) bool { return id%7 == 0 }
				q.Filter(func(e *int) bool { return drop(*e) })
				ref = slices.DeleteFunc(ref, func(e ev) bool { return drop(e.id) })
			}
			sortRef()
			var listed []ev
			q.Each(func(at Time, e *int) bool {
				listed = append(listed, ev{at, *e})
				return true
			})
			if !slices.Equal(listed, ref) {
				t.Fatalf("step %d: Each lists the events out of order", i)
			}
		default:
			at, id, _ := q.Pop()
			now = at
			sortRef()
			if len(ref) == 0 || ref[0] != (ev{at, id}) {
				t.Fatalf("step %d: popped %d at %v, want %v", i, id, at, ref[0])
			}
			ref = ref[1:]
		}
	}
	if len(q.line) == q.head || len(q.heap) == 0 {
		t.Fatalf("the test never used both places: %d on the line, %d in the heap", len(q.line)-q.head, len(q.heap))
	}
	if q.seq > 100000 {
		t.Fatalf("the sequence did not start again: %d", q.seq)
	}
}

// Route works from figures it keeps per link; under any sequence of knob
// changes its arrivals and losses, and the draws it makes, must stay those
// of the knobs read afresh for each message.
func TestRouteMatchesKnobsReadAfresh(t *testing.T) {
	azs := []uint8{0, 0, 1, 1, 2, 2, 3}
	n := len(azs)
	cfg := NetConfig{LatencySameAZ: 100 * Microsecond, LatencyCrossAZ: 500 * Microsecond, JitterPercent: 20, BandwidthBytesPerSec: 1_250_000_000}
	nw := NewNetwork(cfg, azs)
	r, ref := NewRand(7), NewRand(7)
	knobs := NewRand(8)
	busy := make([]Time, n*n)
	var now Time
	for i := range 20000 {
		switch knobs.IntN(40) {
		case 0:
			nw.SetSlow(NodeID(knobs.IntN(n)), Time(knobs.IntN(3))*Millisecond)
		case 1:
			nw.SetLinkLatency(NodeID(knobs.IntN(n)), NodeID(knobs.IntN(n)), Time(knobs.IntN(1000))*Microsecond)
		case 2:
			nw.SetLinkLoss(NodeID(knobs.IntN(n)), NodeID(knobs.IntN(n)), float64(knobs.IntN(3))*10)
		case 3:
			c := nw.Config()
			c.JitterPercent = float64(knobs.IntN(3)) * 12.5
			c.LossPercent = float64(knobs.IntN(2)) * 5
			c.LatencySameAZ = Time(knobs.IntN(3)) * 50 * Microsecond
			nw.SetConfig(c)
		}
		now += Time(knobs.IntN(20)) * Microsecond
		a, b := NodeID(knobs.IntN(n)), NodeID(knobs.IntN(n))
		size := 64 + knobs.IntN(5000)
		got, gotOK := nw.Route(now, a, b, size, r)
		// The same decision, the knobs read afresh.
		want, wantOK := now, true
		c := nw.Config()
		l := int(a)*n + int(b)
		switch {
		case a == b:
		case ref.Chance(c.LossPercent + nw.LinkLoss(a, b)):
			want, wantOK = 0, false
		default:
			start := max(now, busy[l]) + Time(int64(size)*int64(Second)/c.BandwidthBytesPerSec)
			busy[l] = start
			d := nw.BaseLatency(a, b)
			if c.JitterPercent > 0 {
				d = ref.Jitter(d, c.JitterPercent)
			}
			want = start + d
		}
		if got != want || gotOK != wantOK {
			t.Fatalf("message %d from %d to %d: Route = %v %v, want %v %v", i, a, b, got, gotOK, want, wantOK)
		}
	}
	if r.Uint64() != ref.Uint64() {
		t.Fatal("Route drew from the random source differently")
	}
}
