package storage

import "aurora-lab/engine/internal/redo"

// recList is MemStore's own copy of a segment's log, for the segments no
// node shares its hot log of (see MemStore.share): stored records in LSN
// order, in chunks of chunkLen that never move. A log is appended at its
// top and dropped from its bottom (garbage collection) all the time; as
// one slice it copied itself whenever it outgrew its array, and shifted
// everything it kept down on every drop, records, pointers and all. In
// chunks, an append fills the top chunk and a drop gives the chunks it
// empties to a free list for the next appends. Anything else (a record
// that does not go on top, a drop that is not of the bottom) is rare:
// the list is flattened, changed as a slice, and chunked again.
type recList struct {
	chunks []*recChunk
	n      int // records in all chunks
}

// recChunk holds the records recs[lo:hi] of a recList.
type recChunk struct {
	recs   [chunkLen]StoredRecord
	lo, hi int
}

// chunkLen is the records of a chunk. A list leaves part of its top and
// bottom chunks unused, and with several of a node's segments holding log
// at once that is much of what it allocates for chunks: smaller chunks
// waste less. 36 records of 112 bytes and the bounds are 4,048 bytes, in the
// allocator's 4 KB class (64 records took 8 KB, and left 1 KB of it idle).
const chunkLen = 36

// chunkPool holds the chunks that lists emptied, for the next appends.
type chunkPool struct {
	free []*recChunk
}

// chunkPoolMax bounds the chunks a pool keeps.
const chunkPoolMax = 64

func (p *chunkPool) get() *recChunk {
	if k := len(p.free); k > 0 {
		c := p.free[k-1]
		p.free[k-1] = nil
		p.free = p.free[:k-1]
		return c
	}
	return new(recChunk)
}

// put keeps c for reuse. What it held is not cleared: the next appends
// overwrite it, and until then it only keeps records' keys and values
// reachable (which the backup store holds as well), at most a pool's
// worth.
func (p *chunkPool) put(c *recChunk) {
	c.lo, c.hi = 0, 0
	if len(p.free) < chunkPoolMax {
		p.free = append(p.free, c)
	}
}

func (l *recList) len() int { return l.n }

// last reports the highest LSN in the list, NoLSN when it is empty.
func (l *recList) last() redo.LSN {
	if k := len(l.chunks); k > 0 {
		c := l.chunks[k-1]
		return c.recs[c.hi-1].Rec.LSN
	}
	return redo.NoLSN
}

// first reports the lowest LSN in the list; the list must not be empty.
func (l *recList) first() redo.LSN {
	c := l.chunks[0]
	return c.recs[c.lo].Rec.LSN
}

// grow adds an empty chunk at the top.
func (l *recList) grow(p *chunkPool) {
	if cap(l.chunks) == 0 {
		l.chunks = make([]*recChunk, 0, 8)
	}
	l.chunks = append(l.chunks, p.get())
}

// push appends r, which must lie above every record of the list.
func (l *recList) push(p *chunkPool, r *StoredRecord) {
	k := len(l.chunks)
	if k == 0 || l.chunks[k-1].hi == chunkLen {
		l.grow(p)
		k++
	}
	c := l.chunks[k-1]
	c.recs[c.hi] = *r
	c.hi++
	l.n++
}

// put stores recs, in the order given, as putRecord would one by one.
func (l *recList) put(p *chunkPool, recs []StoredRecord) {
	if len(recs) == 0 {
		return
	}
	// Whether recs go on top, in order: one pass from the list's top.
	top, onTop := l.last(), true
	for i := range recs {
		if recs[i].Rec.LSN <= top {
			onTop = false
			break
		}
		top = recs[i].Rec.LSN
	}
	if onTop {
		for len(recs) > 0 {
			k := len(l.chunks)
			if k == 0 || l.chunks[k-1].hi == chunkLen {
				l.grow(p)
				k++
			}
			c := l.chunks[k-1]
			m := copy(c.recs[c.hi:], recs)
			c.hi += m
			l.n += m
			recs = recs[m:]
		}
		return
	}
	flat := l.flat()
	for _, r := range recs {
		flat = putRecord(flat, r)
	}
	l.reset(p)
	for i := range flat {
		l.push(p, &flat[i])
	}
}

// drop removes the records with LSN in [from, to], as dropRecords does.
func (l *recList) drop(p *chunkPool, from, to redo.LSN, only bool, stream uint8) {
	if l.n == 0 {
		return
	}
	if only || from > l.first() {
		flat := dropRecords(l.flat(), from, to, only, stream)
		l.reset(p)
		for i := range flat {
			l.push(p, &flat[i])
		}
		return
	}
	// The bottom of the log: whole chunks go to the pool, and the first
	// chunk left starts higher.
	k := 0
	for k < len(l.chunks) {
		c := l.chunks[k]
		if c.recs[c.hi-1].Rec.LSN <= to {
			l.n -= c.hi - c.lo
			p.put(c)
			k++
			continue
		}
		lo := c.lo
		for c.recs[lo].Rec.LSN <= to {
			lo++
		}
		l.n -= lo - c.lo
		c.lo = lo
		break
	}
	clear(l.chunks[:k])
	l.chunks = append(l.chunks[:0], l.chunks[k:]...)
	clear(l.chunks[len(l.chunks):cap(l.chunks)])
}

// reset empties the list.
func (l *recList) reset(p *chunkPool) {
	for _, c := range l.chunks {
		p.put(c)
	}
	clear(l.chunks)
	l.chunks = l.chunks[:0]
	l.n = 0
}

// flat returns the records in one new slice, nil when there are none.
func (l *recList) flat() []StoredRecord {
	if l.n == 0 {
		return nil
	}
	out := make([]StoredRecord, 0, l.n)
	for _, c := range l.chunks {
		out = append(out, c.recs[c.lo:c.hi]...)
	}
	return out
}
