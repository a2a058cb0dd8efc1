package sim

import "slices"

// Queue is the event queue, ordered by (time, sequence), so events due at
// the same instant leave in the order they were scheduled.
//
// Pending entries are in one of two places: a binary min-heap, and the
// line, a run of far-off entries already in order. A statement's deadline
// is set seconds ahead, a thousand of them wait at a time, and they come in
// the order they fall due: on the line they cost nothing to add or take,
// and the heap keeps only the near events, a few levels deep. The earliest
// event is the lesser of the heap's top and the line's head, so the order
// events leave in does not depend on where they waited.
//
// Events live in a slab and the heap moves only small (time, seq, slot)
// entries, so pushing and popping allocate nothing once the slab has grown
// to the run's peak. That keeps the hot loop fast natively and, above all,
// in WebAssembly, where allocation is dear.
//
// The slab is a list of fixed-size chunks: it grows by a chunk at a time
// and never copies the events it holds (they hold pointers, so a copy is
// a bulk write under barriers), and a slot's event never moves.
type Queue[E any] struct {
	heap []entry
	// line holds far entries in (time, seq) order from line[head] on;
	// the entries before head have left.
	line []entry
	head int
	// now is the time of the event last taken: an entry is far when it
	// is due lineHorizon or more after it.
	now    Time
	chunks []*[queueChunk]E
	// slots counts the slots ever handed out, in use or free.
	slots int32
	free  []int32
	seq   uint32
	// held is one more than the slot of the event Take handed out, 0 when
	// none is out: that slot stays in use until Release.
	held int32
	// forget, when set, drops the references of an event whose slot is
	// freed (see SetForget); otherwise the whole event is zeroed.
	forget func(e *E)
}

// SetForget makes the queue call f on an event whose slot it frees, in
// place of zeroing the event, so the collector may have what it pointed
// to. f must clear every pointer the event holds; its other fields may
// stay, as the slot's next event overwrites them all. A large event with
// few pointers is cleared with a store or two rather than a typed clear
// of all its bytes (under write barriers while the collector marks).
func (q *Queue[E]) SetForget(f func(e *E)) { q.forget = f }

// clearSlot clears the event in slot, which is being freed.
func (q *Queue[E]) clearSlot(slot int32) {
	p := q.event(slot)
	if q.forget != nil {
		q.forget(p)
		return
	}
	var zero E
	*p = zero
}

// queueChunk is how many events a chunk of the slab holds: a power of
// two, so a slot splits into chunk and index with a shift and a mask.
const (
	queueChunkShift = 7
	queueChunk      = 1 << queueChunkShift
)

// lineHorizon is how far ahead of the last event taken an event must be
// due to wait on the line: timeouts and keepalives, not messages.
const lineHorizon = 100 * Millisecond

// entry is one pending event in the heap: 16 bytes, so a sift moves
// little and four entries share a cache line.
type entry struct {
	at   Time
	seq  uint32
	slot int32
}

func (a entry) less(b entry) bool {
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

// event returns the event in slot.
func (q *Queue[E]) event(slot int32) *E {
	return &q.chunks[slot>>queueChunkShift][slot&(queueChunk-1)]
}

// Len reports the number of pending events.
func (q *Queue[E]) Len() int { return len(q.heap) + len(q.line) - q.head }

// Push schedules e at time at.
func (q *Queue[E]) Push(at Time, e E) { q.PushRef(at, &e) }

// PushRef schedules a copy of *e at time at: a large event is copied once,
// straight into its slot, rather than passed by value first.
func (q *Queue[E]) PushRef(at Time, e *E) { *q.Schedule(at) = *e }

// Schedule schedules an event at time at and returns its slot, for the
// caller to fill in rather than have PushRef copy the event whole (a copy
// of a type with pointers goes through the runtime's bulk write barrier
// while the collector marks; stores field by field take one barrier per
// pointer). The slot still holds what its last event left there, beyond
// the references forgotten, so the caller must set every field, and do
// so before it uses the queue again.
func (q *Queue[E]) Schedule(at Time) *E {
	var slot int32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		slot = q.slots
		if slot&(queueChunk-1) == 0 {
			q.chunks = append(q.chunks, new([queueChunk]E))
		}
		q.slots++
	}
	if q.seq == ^uint32(0) {
		q.renumber()
	}
	q.seq++
	en := entry{at: at, seq: q.seq, slot: slot}
	// The line takes an entry that is far and due no earlier than its
	// last (its sequence is the latest), so the line stays in order.
	if at-q.now >= lineHorizon && (q.head == len(q.line) || at >= q.line[len(q.line)-1].at) {
		if q.head == len(q.line) {
			q.line, q.head = q.line[:0], 0
		} else if q.head >= 64 && q.head*2 >= len(q.line) {
			// Half of it gone: move the rest down rather than grow.
			n := copy(q.line, q.line[q.head:])
			q.line, q.head = q.line[:n], 0
		}
		q.line = append(q.line, en)
		return q.event(slot)
	}
	q.heap = append(q.heap, en)
	q.up(len(q.heap) - 1)
	return q.event(slot)
}

// renumber gives the pending entries the sequence numbers 1, 2, ... in
// the order of their old ones, so the counter can start again after them
// without wrapping. Every comparison between two entries, pending or yet
// to come, comes out as before, so the heap stays valid as it lies and
// events leave in the same order.
func (q *Queue[E]) renumber() {
	byOrder := make([]*entry, 0, q.Len())
	for i := range q.heap {
		byOrder = append(byOrder, &q.heap[i])
	}
	for i := q.head; i < len(q.line); i++ {
		byOrder = append(byOrder, &q.line[i])
	}
	slices.SortFunc(byOrder, func(a, b *entry) int {
		if a.seq < b.seq {
			return -1
		}
		return 1
	})
	for i, e := range byOrder {
		e.seq = uint32(i + 1)
	}
	q.seq = uint32(len(byOrder))
}

// Next reports the time of the earliest event, or Never when there is none.
func (q *Queue[E]) Next() Time {
	if q.head < len(q.line) && (len(q.heap) == 0 || q.line[q.head].less(q.heap[0])) {
		return q.line[q.head].at
	}
	if len(q.heap) == 0 {
		return Never
	}
	return q.heap[0].at
}

// removeFirst takes the earliest entry off the heap or the line; the
// queue must not be empty.
func (q *Queue[E]) removeFirst() entry {
	var top entry
	if q.head < len(q.line) && (len(q.heap) == 0 || q.line[q.head].less(q.heap[0])) {
		top = q.line[q.head]
		q.head++
	} else {
		top = q.removeTop()
	}
	q.now = top.at
	return top
}

// Pop removes the earliest event and returns it with its time. It returns
// false when the queue is empty.
func (q *Queue[E]) Pop() (Time, E, bool) {
	var zero E
	if q.Len() == 0 {
		return 0, zero, false
	}
	top := q.removeFirst()
	e := *q.event(top.slot)
	q.clearSlot(top.slot) // let the collector have what e points to
	q.free = append(q.free, top.slot)
	return top.at, e, true
}

// Take removes the earliest event and returns it where it lies, with its
// time, so a large event is not copied out. The event stays valid, and its
// slot out of use, until Release; the queue may be pushed to meanwhile,
// which never moves it under the caller (a slot's event stays where it
// is). It returns false when the queue is empty.
func (q *Queue[E]) Take() (Time, *E, bool) {
	if q.held != 0 {
		q.Release()
	}
	if q.Len() == 0 {
		return 0, nil, false
	}
	top := q.removeFirst()
	q.held = top.slot + 1
	return top.at, q.event(top.slot), true
}

// Release hands back the slot of the event Take returned; the caller must
// not use that event afterwards.
func (q *Queue[E]) Release() {
	if q.held == 0 {
		return
	}
	slot := q.held - 1
	q.held = 0
	q.clearSlot(slot) // let the collector have what the event points to
	q.free = append(q.free, slot)
}

// ReleaseForgotten is Release for an event whose references the caller
// has already dropped, as the forget function of SetForget would: the
// slot is handed back without a call to clear it. (Were a reference left,
// it would only be kept alive until the slot's next event overwrites it.)
func (q *Queue[E]) ReleaseForgotten() {
	if q.held == 0 {
		return
	}
	q.free = append(q.free, q.held-1)
	q.held = 0
}

// removeTop takes the earliest entry off the heap. The hole it leaves goes
// down to a leaf along the smaller children, and the last entry then comes
// up from there to its place. With keys all distinct (the sequence makes
// them so) that is the very place the textbook sift-down from the root
// finds, so the heap's layout is the same, but it takes about half the
// comparisons: the last entry is among the latest and belongs near the
// bottom anyway.
func (q *Queue[E]) removeTop() entry {
	h := q.heap
	top := h[0]
	n := len(h) - 1
	e := h[n]
	h = h[:n]
	q.heap = h
	if n == 0 {
		return top
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n {
			// The smaller child, chosen without a branch: which one it
			// is is a coin toss the processor cannot learn.
			c += h[c+1].lessBit(h[c])
		}
		h[i] = h[c]
		i = c
	}
	for i > 0 {
		p := (i - 1) / 2
		if !e.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
	return top
}

// Each calls f for every pending event, in the order they fall due, until
// f returns false. f must not change the queue. It lists the events for a
// display, not on the hot path: the heap's entries are sorted afresh each
// call and merged with the line, which is in order already.
func (q *Queue[E]) Each(f func(at Time, e *E) bool) {
	near := slices.Clone(q.heap)
	slices.SortFunc(near, func(a, b entry) int {
		if a.less(b) {
			return -1
		}
		return 1
	})
	far := q.line[q.head:]
	for len(near) > 0 || len(far) > 0 {
		var h entry
		if len(far) == 0 || len(near) > 0 && near[0].less(far[0]) {
			h, near = near[0], near[1:]
		} else {
			h, far = far[0], far[1:]
		}
		if !f(h.at, q.event(h.slot)) {
			return
		}
	}
}

// Filter removes every pending event for which drop returns true.
func (q *Queue[E]) Filter(drop func(e *E) bool) {
	kept := q.heap[:0]
	for _, h := range q.heap {
		if drop(q.event(h.slot)) {
			q.clearSlot(h.slot)
			q.free = append(q.free, h.slot)
			continue
		}
		kept = append(kept, h)
	}
	q.heap = kept
	for i := len(q.heap)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
	// The line keeps its order: what stays is still sorted.
	line := q.line[:0]
	for _, h := range q.line[q.head:] {
		if drop(q.event(h.slot)) {
			q.clearSlot(h.slot)
			q.free = append(q.free, h.slot)
			continue
		}
		line = append(line, h)
	}
	q.line, q.head = line, 0
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
