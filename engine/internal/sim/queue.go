package sim

// Queue is the event queue: a binary min-heap ordered by (time, sequence),
// so events due at the same instant leave in the order they were scheduled.
//
// Events live in a slab and the heap moves only small (time, seq, slot)
// entries, so pushing and popping allocate nothing once the slab has grown
// to the run's peak. That keeps the hot loop fast natively and, above all,
// in WebAssembly, where allocation is dear.
type Queue[E any] struct {
	heap []entry
	slab []E
	free []int32
	seq  uint64
}

type entry struct {
	at   Time
	seq  uint64
	slot int32
}

func (a entry) less(b entry) bool {
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

// Len reports the number of pending events.
func (q *Queue[E]) Len() int { return len(q.heap) }

// Push schedules e at time at.
func (q *Queue[E]) Push(at Time, e E) {
	var slot int32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
		q.slab[slot] = e
	} else {
		slot = int32(len(q.slab))
		q.slab = append(q.slab, e)
	}
	q.seq++
	q.heap = append(q.heap, entry{at: at, seq: q.seq, slot: slot})
	q.up(len(q.heap) - 1)
}

// Next reports the time of the earliest event, or Never when there is none.
func (q *Queue[E]) Next() Time {
	if len(q.heap) == 0 {
		return Never
	}
	return q.heap[0].at
}

// Pop removes the earliest event and returns it with its time. It returns
// false when the queue is empty.
func (q *Queue[E]) Pop() (Time, E, bool) {
	var zero E
	n := len(q.heap)
	if n == 0 {
		return 0, zero, false
	}
	top := q.heap[0]
	last := n - 1
	q.heap[0] = q.heap[last]
	q.heap = q.heap[:last]
	if last > 0 {
		q.down(0)
	}
	e := q.slab[top.slot]
	q.slab[top.slot] = zero // let the collector have what e points to
	q.free = append(q.free, top.slot)
	return top.at, e, true
}

// Each calls f for every pending event, in no particular order, until f
// returns false. f must not change the queue.
func (q *Queue[E]) Each(f func(at Time, e *E) bool) {
	for _, h := range q.heap {
		if !f(h.at, &q.slab[h.slot]) {
			return
		}
	}
}

// Filter removes every pending event for which drop returns true.
func (q *Queue[E]) Filter(drop func(e *E) bool) {
	var zero E
	kept := q.heap[:0]
	for _, h := range q.heap {
		if drop(&q.slab[h.slot]) {
			q.slab[h.slot] = zero
			q.free = append(q.free, h.slot)
			continue
		}
		kept = append(kept, h)
	}
	q.heap = kept
	for i := len(q.heap)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
}

func (q *Queue[E]) up(i int) {
	h := q.heap
	e := h[i]
	for i > 0 {
		p := (i - 1) / 2
		if !e.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

func (q *Queue[E]) down(i int) {
	h := q.heap
	n := len(h)
	e := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h[r].less(h[c]) {
			c = r
		}
		if !h[c].less(e) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = e
}
