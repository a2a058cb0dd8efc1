// Package redo defines what the database tier sends to storage: log records
// named by LSN, each carrying the three backlinks of SIGMOD'18 §2.1, grouped
// into mini-transactions whose last record is a consistency point (CPL).
//
// In Aurora the log is the database: storage nodes never receive a page from
// the database tier, only these records, and materialise pages from them.
package redo

import (
	"hash/crc32"
	"slices"
	"strconv"
)

// LSN is a log sequence number. LSNs are allocated by a writer in increasing
// order; the LSN space is volume-wide, so an LSN names exactly one record of
// the volume. NoLSN (zero) means "none": the first record's backlinks are
// NoLSN.
type LSN uint64

// NoLSN is the zero LSN, before every record.
const NoLSN LSN = 0

func (l LSN) String() string { return strconv.FormatUint(uint64(l), 10) }

// PGID names a protection group of the volume, from 1.
type PGID uint32

func (p PGID) String() string { return "pg" + strconv.FormatUint(uint64(p), 10) }

// PageID names a page of the volume. Pages are spread over protection groups
// by the volume's geometry.
type PageID uint64

func (p PageID) String() string { return "p" + strconv.FormatUint(uint64(p), 10) }

// Op is what a record does to its page.
type Op uint8

// Record ops. A page is a small sorted set of rows; records are physical
// changes to one page.
const (
	OpNone   Op = iota
	OpFormat    // (re)initialise the page: Key is the table id, Value the header
	OpPut       // insert or overwrite the row with key Key
	OpDelete    // remove the row with key Key
	OpHeader    // replace the page header with Value (links, bounds)
	OpNoop      // a record with no page effect
	// OpDeletePrefix removes every row whose key starts with Key: a
	// transaction's entries on the transaction page, in its commit record.
	OpDeletePrefix
	// OpVoid annuls records of its own writer stream that lost a write
	// conflict (multi-master): Key holds their LSNs (see VoidLSNs). It has
	// no page; it is a PG record of the loser's stream, so it travels,
	// persists and becomes durable like any other.
	OpVoid
)

var opNames = [...]string{"none", "format", "put", "delete", "header", "noop", "delete-prefix", "void"}

// VoidKey encodes the LSNs a void record annuls.
func VoidKey(lsns []LSN) []byte {
	b := make([]byte, 0, 8*len(lsns))
	for _, l := range lsns {
		b = append(b, byte(l>>56), byte(l>>48), byte(l>>40), byte(l>>32), byte(l>>24), byte(l>>16), byte(l>>8), byte(l))
	}
	return b
}

// VoidLSNs decodes the Key of a void record.
func VoidLSNs(key []byte) []LSN {
	out := make([]LSN, 0, len(key)/8)
	for i := 0; i+8 <= len(key); i += 8 {
		var l LSN
		for _, c := range key[i : i+8] {
			l = l<<8 | LSN(c)
		}
		out = append(out, l)
	}
	return out
}

// MaxStreams is how many writer streams a volume can have: an LSN's low
// four bits name its stream when there are several writers.
const MaxStreams = 16

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op" + strconv.Itoa(int(o))
}

// Record is one redo log record. Records are immutable once allocated: the
// writer shares one copy with every segment it sends it to.
type Record struct {
	// The one-byte fields sit together after LSN, sharing a word with PG:
	// every segment's log and store hold their own copy of a record, so
	// the padding a looser order leaves (16 bytes) is copied many times.
	LSN    LSN
	Stream uint8 // the writer that allocated the LSN (always 0 with one writer)
	Op     Op
	// CPL marks the last record of a mini-transaction (MTR): a consistency
	// point. A reader never sees part of an MTR; VDL is the highest CPL
	// whose records are all complete.
	CPL bool
	// Commit marks the commit record of a transaction (a CPL).
	Commit bool
	PG     PGID
	Page   PageID
	// The three backlinks (SIGMOD'18 §2.1): the previous record of this
	// writer in the volume, in this protection group, and on this page. The
	// page chain drives materialisation; the PG chain lets a segment find
	// gaps (its SCL is the end of the longest gap-free prefix); the volume
	// chain rebuilds metadata in recovery.
	PrevVolume LSN
	PrevPG     LSN
	PrevPage   LSN
	Txn        uint64 // the transaction that wrote it, 0 for none
	Key        []byte
	Value      []byte
}

// Copy sets *d to *r: d.Copy(r) is *d = *r written out field by field.
// The plain copy of a struct this large that holds pointers is a call to
// the runtime, which while the collector marks walks the type's pointer
// map to put each pointer through the write barrier; field by field, the
// compiler stores the two slices' pointers through the barrier itself and
// the rest plainly. Records are copied into batches and logs six times
// over per write. TestCopyIsAssignment keeps Copy in step with the struct.
func (d *Record) Copy(r *Record) {
	d.LSN = r.LSN
	d.Stream = r.Stream
	d.Op = r.Op
	d.CPL = r.CPL
	d.Commit = r.Commit
	d.PG = r.PG
	d.Page = r.Page
	d.PrevVolume = r.PrevVolume
	d.PrevPG = r.PrevPG
	d.PrevPage = r.PrevPage
	d.Txn = r.Txn
	d.Key = r.Key
	d.Value = r.Value
}

// Size reports the record's size on the wire, in bytes, as the model counts
// it: a fixed header plus key and value.
func (r *Record) Size() int { return 48 + len(r.Key) + len(r.Value) }

// Checksum returns a CRC of the record's content, for scrub.
func (r *Record) Checksum() uint32 {
	var hdr [41]byte
	putU64(hdr[0:], uint64(r.LSN))
	putU64(hdr[8:], uint64(r.PrevPG))
	putU64(hdr[16:], uint64(r.PrevPage))
	putU64(hdr[24:], uint64(r.Page))
	putU64(hdr[32:], uint64(r.PG))
	hdr[40] = byte(r.Op)
	c := crc32.ChecksumIEEE(hdr[:])
	c = crc32.Update(c, crc32.IEEETable, r.Key)
	return crc32.Update(c, crc32.IEEETable, r.Value)
}

func putU64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (8 * i))
	}
}

// Describe prints a record in one canonical line, used by logs, the page
// and golden files: `lsn 12 pg1 p3 put k=... cpl`.
func (r *Record) Describe() string {
	b := make([]byte, 0, 64)
	b = append(b, "lsn "...)
	b = strconv.AppendUint(b, uint64(r.LSN), 10)
	b = append(b, ' ')
	b = append(b, r.PG.String()...)
	if r.Page != 0 {
		b = append(b, ' ')
		b = append(b, r.Page.String()...)
	}
	b = append(b, ' ')
	b = append(b, r.Op.String()...)
	b = append(b, " back="...)
	b = strconv.AppendUint(b, uint64(r.PrevVolume), 10)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(r.PrevPG), 10)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(r.PrevPage), 10)
	if r.Commit {
		b = append(b, " commit"...)
	} else if r.CPL {
		b = append(b, " cpl"...)
	}
	return string(b)
}

// Batch is the records of one protection group sent together (boxcarring):
// the writer submits the network operation on the first record and keeps
// filling the buffer until the send happens (SIGMOD'18 §2.2). Records are in
// LSN order.
type Batch struct {
	PG PGID
	// A batch of a Pool is recycled once no one holds it: refs counts
	// its holders (it shares a word with PG), and the pool hands it out
	// again once it is 0. counted is the batch whose count a hold on
	// this one goes to: the batch itself for a batch of a pool, the
	// batch viewed for a view over one (see View), nil for every other
	// batch, whose Hold and Release do nothing.
	refs    int32
	Records []Record
	size    int
	counted *Batch
}

// Add appends r, which must be for the batch's PG and above its last LSN.
func (b *Batch) Add(r Record) {
	if r.PG != b.PG {
		panic("redo: record of " + r.PG.String() + " added to a batch of " + b.PG.String())
	}
	if n := len(b.Records); n > 0 && b.Records[n-1].LSN >= r.LSN {
		panic("redo: batch LSNs out of order: " + b.Records[n-1].LSN.String() + " then " + r.LSN.String())
	}
	b.Records = append(b.Records, r)
	b.size += r.Size()
}

// AddRef appends *r as Add appends r, without copying the record to pass
// it: the batch keeps a copy of *r, not r itself.
func (b *Batch) AddRef(r *Record) {
	if r.PG != b.PG {
		panic("redo: record of " + r.PG.String() + " added to a batch of " + b.PG.String())
	}
	if n := len(b.Records); n > 0 && b.Records[n-1].LSN >= r.LSN {
		panic("redo: batch LSNs out of order: " + b.Records[n-1].LSN.String() + " then " + r.LSN.String())
	}
	n := len(b.Records)
	if n == cap(b.Records) {
		b.Records = slices.Grow(b.Records, 1)
	}
	b.Records = b.Records[:n+1]
	b.Records[n].Copy(r) // sets every field of what the array held
	b.size += r.Size()
}

// Reset empties b to be filled again as a batch of pg, keeping its array.
// The records it held stay in the array, unreachable, until overwritten.
func (b *Batch) Reset(pg PGID) { b.PG, b.Records, b.size = pg, b.Records[:0], 0 }

// Size reports the batch's wire size in bytes.
func (b *Batch) Size() int { return 16 + b.size }

// First and Last report the batch's LSN range.
func (b *Batch) First() LSN { return b.Records[0].LSN }

// Last reports the highest LSN in the batch.
func (b *Batch) Last() LSN { return b.Records[len(b.Records)-1].LSN }

// NewBatch returns an empty batch of pg with room for n records. Up to
// twelve records, the room is allocated together with the batch: one
// allocation rather than two, sized to the records, for a batch whose
// size is known before it is filled.
func NewBatch(pg PGID, n int) *Batch {
	switch n {
	case 0, 1:
		return roomy(pg, func(a *[1]Record) []Record { return a[:0] })
	case 2:
		return roomy(pg, func(a *[2]Record) []Record { return a[:0] })
	case 3:
		return roomy(pg, func(a *[3]Record) []Record { return a[:0] })
	case 4:
		return roomy(pg, func(a *[4]Record) []Record { return a[:0] })
	case 5:
		return roomy(pg, func(a *[5]Record) []Record { return a[:0] })
	case 6:
		return roomy(pg, func(a *[6]Record) []Record { return a[:0] })
	case 7:
		return roomy(pg, func(a *[7]Record) []Record { return a[:0] })
	case 8:
		return roomy(pg, func(a *[8]Record) []Record { return a[:0] })
	case 9:
		return roomy(pg, func(a *[9]Record) []Record { return a[:0] })
	case 10:
		return roomy(pg, func(a *[10]Record) []Record { return a[:0] })
	case 11:
		return roomy(pg, func(a *[11]Record) []Record { return a[:0] })
	case 12:
		return roomy(pg, func(a *[12]Record) []Record { return a[:0] })
	}
	return &Batch{PG: pg, Records: make([]Record, 0, n)}
}

// roomy allocates a batch of pg together with the array room, whose
// records it starts with.
func roomy[A any](pg PGID, room func(*A) []Record) *Batch {
	x := &struct {
		b Batch
		a A
	}{b: Batch{PG: pg}}
	x.b.Records = room(&x.a)
	return &x.b
}

// Over returns a batch of pg over recs itself, not a copy: for records no
// one changes any more, such as those of a batch already sent, which may
// then go out again without being copied. Its capacity is cut to its
// length, so a record added later goes to an array of the batch's own and
// never into recs' array. recs must be as Add would take them one by one:
// of pg, in LSN order.
func Over(pg PGID, recs []Record) *Batch {
	b := &Batch{PG: pg}
	b.check(recs)
	b.Records = recs[:len(recs):len(recs)]
	return b
}

// check panics as Add would if rs, added one by one, broke the batch's
// rules, and adds their sizes to the batch's.
func (b *Batch) check(rs []Record) {
	last := NoLSN
	if n := len(b.Records); n > 0 {
		last = b.Records[n-1].LSN
	}
	for i := range rs {
		r := &rs[i]
		if r.PG != b.PG {
			panic("redo: record of " + r.PG.String() + " added to a batch of " + b.PG.String())
		}
		if (i > 0 || len(b.Records) > 0) && last >= r.LSN {
			panic("redo: batch LSNs out of order: " + last.String() + " then " + r.LSN.String())
		}
		last = r.LSN
		b.size += r.Size()
	}
}

// AddAll appends rs, as Add would one by one.
func (b *Batch) AddAll(rs []Record) {
	b.check(rs)
	b.Records = append(b.Records, rs...)
}

// Pool recycles the batches of one owner (a writer's volume driver): a
// batch Get hands out may be handed out again, its array refilled, once
// its last holder has released it, so boxcars stop costing an allocation
// each once the pool has made as many as are alive at a time.
//
// Every holder of a batch of a pool takes a hold (Hold) for as long as it
// may read the batch or its Records, and releases it (Release) exactly
// once when done; one that never releases only keeps the batch from being
// recycled. Get's caller holds the batch it returns. The records of a
// batch held are never changed by the pool.
//
// A release only counts down: the pool finds the batches no one holds
// when it looks for one to hand out, so releasing costs no call, which
// matters where every message the world frees releases its batch.
type Pool struct {
	// made are the batches the pool made, by the room they were made
	// with (1 to maxPooled), each list at most maxMade long: free when
	// their count is 0. next is where the next search of each list
	// starts, past the batch last handed out: batches are mostly let go
	// in the order they were handed out, so the search is short.
	made [maxPooled + 1][]*Batch
	next [maxPooled + 1]int
}

// A pool makes at most maxMade batches of each room up to maxPooled
// records: enough for the boxcars alive at a time. Past that, and for a
// larger room, Get returns a batch no one counts, left to the collector.
const (
	maxPooled = 32
	maxMade   = 32
)

// Get returns an empty batch of pg with room for n records, held once by
// the caller: one released by every holder before, or else a new one.
func (p *Pool) Get(pg PGID, n int) *Batch {
	n = max(n, 1)
	if n > maxPooled {
		return NewBatch(pg, n)
	}
	made := p.made[n]
	i := p.next[n]
	for range made {
		if i >= len(made) {
			i = 0
		}
		b := made[i]
		i++
		if b.refs == 0 {
			p.next[n] = i
			b.Reset(pg)
			b.refs = 1
			return b
		}
		if b.refs < 0 {
			panic("redo: batch released more often than held")
		}
	}
	b := NewBatch(pg, n)
	if len(made) < maxMade {
		b.counted, b.refs = b, 1
		p.made[n] = append(made, b)
	}
	return b
}

// Hold takes a hold on b (on the batch it views, for a view) for a holder
// that may read it after its taker's own hold ends. It does nothing for a
// batch of no pool.
func (b *Batch) Hold() {
	if c := b.counted; c != nil {
		c.refs++
	}
}

// Release ends a hold Hold or Get took; after it, the holder must not
// read b or its Records again. Once every hold is released, the pool may
// hand the batch out again.
func (b *Batch) Release() {
	if c := b.counted; c != nil {
		c.refs--
	}
}

// View returns a batch over recs, records of b's array, as Over does; a
// hold on the view is a hold on b. The view itself takes no hold: its
// maker must hold b until the view is held by whoever it hands it to.
func (b *Batch) View(recs []Record) *Batch {
	v := Over(b.PG, recs)
	v.counted = b.counted
	return v
}
