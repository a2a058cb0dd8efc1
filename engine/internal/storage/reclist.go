package storage

import (
	"encoding/binary"
	"slices"

	"aurora-lab/engine/internal/redo"
)

// recList is MemStore's copy of a segment's log: stored records in LSN
// order, encoded into chunks of bytes that never move. A log is appended
// at its top and dropped from its bottom (garbage collection) all the
// time; as one slice of records it copied itself whenever it outgrew its
// array, and shifted everything it kept down on every drop. In chunks, an
// append fills the top chunk and a drop gives the chunks it empties to a
// free list for the next appends. Encoded (redo.AppendEncoded), a record
// takes about 30 bytes rather than 112, and the chunks hold no pointers:
// appending pays no write barriers, and the collector has nothing in them
// to scan. Each chunk indexes its records by LSN, so drops need not decode.
//
// Records are decoded only when the store is read (Load, Changes), and
// then from a copy of the chunk's bytes, which are reused once dropped.
// Anything else than an append on top or a drop from the bottom is rare:
// the list is decoded, changed as a slice, and encoded again.
type recList struct {
	chunks []*recChunk
	n      int // records in all chunks
}

// recChunk holds the records lo to hi-1 of its index: record i is
// data[start:ends[i]], where start is ends[i-1], or 0 for the first.
// Each is a stored record's extra byte (recFlags) and, if its checksum is
// not zero, the checksum in four bytes, then the record as
// redo.AppendEncoded writes it for PG 0 and prev its own LSN.
type recChunk struct {
	lsns   [chunkRecs]redo.LSN
	ends   [chunkRecs]uint32
	data   []byte
	lo, hi int
}

// A chunk holds up to chunkRecs records in chunkBytes bytes (a record too
// large for a chunk has a chunk of its own size). Records of the standard
// workload take about 30 bytes, so both fill at about the same time. A
// list leaves part of its top chunk unused, and with many segments holding
// log at once that is much of what chunks take: larger chunks (144 records
// in 4 KB) allocated a sixth more. The index (768 bytes and the rest) fits
// the allocator's 896-byte class.
const (
	chunkRecs  = 64
	chunkBytes = 2048
)

// Flags of a stored record's extra byte.
const (
	recClaimed = 1 << iota
	recLazy
	recSum // the checksum, not zero, follows
)

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
	return &recChunk{data: make([]byte, 0, chunkBytes)}
}

// put keeps c for reuse. Nothing decoded from it points into its bytes
// (reads decode from a copy), so the next appends may overwrite them.
func (p *chunkPool) put(c *recChunk) {
	c.lo, c.hi = 0, 0
	c.data = c.data[:0]
	if len(p.free) < chunkPoolMax {
		p.free = append(p.free, c)
	}
}

func (l *recList) len() int { return l.n }

// last reports the highest LSN in the list, NoLSN when it is empty.
func (l *recList) last() redo.LSN {
	if k := len(l.chunks); k > 0 {
		c := l.chunks[k-1]
		return c.lsns[c.hi-1]
	}
	return redo.NoLSN
}

// first reports the lowest LSN in the list; the list must not be empty.
func (l *recList) first() redo.LSN {
	c := l.chunks[0]
	return c.lsns[c.lo]
}

// push appends r, which must lie above every record of the list.
func (l *recList) push(p *chunkPool, r *StoredRecord) {
	most := 5 + redo.MaxEncodedSize(&r.Rec)
	k := len(l.chunks)
	if k == 0 || l.chunks[k-1].hi == chunkRecs || cap(l.chunks[k-1].data)-len(l.chunks[k-1].data) < most {
		if cap(l.chunks) == 0 {
			l.chunks = make([]*recChunk, 0, 8)
		}
		c := p.get()
		if cap(c.data) < most {
			c.data = make([]byte, 0, most)
		}
		l.chunks = append(l.chunks, c)
		k++
	}
	c := l.chunks[k-1]
	var flags byte
	if r.Claimed {
		flags |= recClaimed
	}
	if r.lazy {
		flags |= recLazy
	}
	if r.Sum != 0 {
		flags |= recSum
	}
	b := append(c.data, flags)
	if r.Sum != 0 {
		b = binary.LittleEndian.AppendUint32(b, r.Sum)
	}
	c.data = redo.AppendEncoded(b, &r.Rec, 0, r.Rec.LSN)
	c.lsns[c.hi] = r.Rec.LSN
	c.ends[c.hi] = uint32(len(c.data))
	c.hi++
	l.n++
}

// put stores recs, in the order given, as putRecord would one by one.
func (l *recList) put(p *chunkPool, recs []StoredRecord) {
	if len(recs) == 0 {
		return
	}
	if above(nil, recs) && recs[0].Rec.LSN > l.last() {
		for i := range recs {
			l.push(p, &recs[i])
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
		if c.lsns[c.hi-1] <= to {
			l.n -= c.hi - c.lo
			p.put(c)
			k++
			continue
		}
		lo := c.lo
		for c.lsns[lo] <= to {
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

// flat returns the records decoded into one new slice, nil when there are
// none. Their keys and values point into new copies of the chunks' bytes,
// which nothing changes, never into the chunks themselves.
func (l *recList) flat() []StoredRecord {
	if l.n == 0 {
		return nil
	}
	out := make([]StoredRecord, 0, l.n)
	for _, c := range l.chunks {
		start := 0
		if c.lo > 0 {
			start = int(c.ends[c.lo-1])
		}
		b := slices.Clone(c.data[start:c.ends[c.hi-1]])
		for i := c.lo; i < c.hi; i++ {
			var sr StoredRecord
			flags := b[0]
			b = b[1:]
			if flags&recSum != 0 {
				sr.Sum = binary.LittleEndian.Uint32(b)
				b = b[4:]
			}
			sr.Claimed, sr.lazy = flags&recClaimed != 0, flags&recLazy != 0
			sr.Rec, b = redo.DecodeRecord(b, 0, c.lsns[i])
			out = append(out, sr)
		}
	}
	return out
}
