package storage

import (
	"slices"

	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/wire"
)

// Store is a storage node's disk: the durable state that survives a crash.
// The node writes every durable change through it, one [Change] at a time,
// at the instant the simulated disk finishes the write, and reads it back
// whole with Load when it comes back from a crash.
//
// The interface is small so that the browser can keep the state in
// IndexedDB: wrap a [MemStore] in a [Journal], drain the journal once per
// flush into one IndexedDB transaction, and at reload replay the stored
// changes into a fresh MemStore with Write.
type Store interface {
	// Write makes c durable. The store must not keep c, nor any slice of
	// it, after the call: it copies what it keeps. Records and pages are
	// immutable, so the store may share their contents (keys, values,
	// *page.Page) without copying.
	Write(c *Change)
	// Load returns the durable state. The caller owns the image's slices;
	// pages in it are shared and must not be changed.
	Load() Image
}

// ChangeKind says what a Change does.
type ChangeKind uint8

// Change kinds.
const (
	// ChangeNode replaces the node's metadata (Node).
	ChangeNode ChangeKind = iota + 1
	// ChangeSegment creates segment Seg or replaces its metadata (Meta).
	ChangeSegment
	// ChangeRecords adds Records to segment Seg's log. A record whose LSN
	// the log already holds replaces the stored copy (a repair, or the
	// damage an injected fault does).
	ChangeRecords
	// ChangeDrop removes segment Seg's records with LSN in [From, To]
	// (garbage collection, truncation).
	ChangeDrop
	// ChangePages stores base pages of segment Seg (Pages), each replacing
	// the page's older base. Pages are written out of place: a page in
	// the store is never changed, only replaced.
	ChangePages
	// ChangeReset empties segment Seg's log and pages before a hydration
	// installs a peer's copy.
	ChangeReset
)

var changeNames = [...]string{"", "node", "segment", "records", "drop", "pages", "reset"}

func (k ChangeKind) String() string {
	if int(k) < len(changeNames) && k > 0 {
		return changeNames[k]
	}
	return "change?"
}

// Change is one durable change to a node's state. Which fields matter
// depends on Kind.
type Change struct {
	Kind     ChangeKind
	Seg      uint32
	Node     NodeMeta
	Meta     SegmentMeta
	Records  []StoredRecord
	Pages    []StoredPage
	From, To redo.LSN
	// OnlyStream limits a ChangeDrop to the records of writer stream
	// Stream: a truncation annuls one writer's records, and with several
	// writers the streams' LSNs interleave.
	OnlyStream bool
	Stream     uint8
}

// NodeMeta is the node-wide durable state: what it knows of the volume.
type NodeMeta struct {
	// VolEpoch is the volume epoch the node has accepted; it refuses
	// writes of older epochs (SIGMOD'17 §4.3).
	VolEpoch uint64
	// CleanEpoch is the epoch up to which Truncations is complete: the
	// node holds no record that a recovery up to it annulled.
	CleanEpoch uint64
	// KnownVDL is the highest VDL a writer of VolEpoch told the node. It is
	// written lazily, so after a crash it may be lower than it was, which
	// is always safe: every use of it is a bound.
	KnownVDL redo.LSN
	// Truncations are the truncation ranges of every epoch up to VolEpoch.
	Truncations []wire.Truncation
}

// SegmentMeta is a segment's durable metadata. Watermarks that move often
// (PGMRPL, Staged) are written lazily, with the next change that writes
// the metadata; Coalesced and Collected are written with the change that
// moves them.
type SegmentMeta struct {
	ID       uint32
	PG       redo.PGID
	Full     bool
	Quorum   quorum.Membership
	Peers    []wire.Peer
	Hydrated bool
	Retired  bool
	// Floor is, per writer stream, the LSN the PG chain continues from:
	// the last record collected, or the base a hydration installed.
	Floor []redo.LSN
	// Coalesced is the LSN up to which every record is applied to the base
	// pages (full segments only).
	Coalesced redo.LSN
	// Collected is the highest LSN dropped from the log by GC.
	Collected redo.LSN
	Staged    redo.LSN
	PGMRPL    redo.LSN
}

// StoredRecord is a record as it lies on disk, with the checksum taken
// when it was persisted. Scrub compares the two.
//
// A node stores the records it receives without their checksum (lazy):
// until a fault damages a copy, which first takes the checksum, the
// record is as it was persisted, so its checksum is that of its content,
// and is computed when asked for. Load, Changes and a Journal's changes
// carry every checksum.
type StoredRecord struct {
	Rec redo.Record
	Sum uint32
	// Claimed is the segment's vote on the record's page version, cast
	// when it arrived (multi-master): whether it was the first change to
	// claim that version here. A vote cast is durable.
	Claimed bool
	lazy    bool // Sum not taken yet: it is recordSum(&Rec)
}

// sum returns the checksum taken when the record was persisted.
func (sr *StoredRecord) sum() uint32 {
	if sr.lazy {
		return recordSum(&sr.Rec)
	}
	return sr.Sum
}

// intact reports whether the record matches its checksum.
func (sr *StoredRecord) intact() bool { return sr.lazy || recordSum(&sr.Rec) == sr.Sum }

// StoredPage is a base page as it lies on disk, with its checksum. Like a
// record's, the checksum of a page the node built itself is taken only
// when asked for.
type StoredPage struct {
	Page *page.Page
	Sum  uint32
	lazy bool // Sum not taken yet: it is Page.Checksum()
	// own says, on a segment's base, that nothing outside the node holds
	// the page but its MemStore, so coalescing may apply records to it in
	// place rather than to a copy (see Node.checkLent). Stores never keep it.
	own bool
}

// sum returns the page's checksum as stored.
func (b *StoredPage) sum() uint32 {
	if b.lazy {
		return b.Page.Checksum()
	}
	return b.Sum
}

// intact reports whether the page matches its checksum.
func (b *StoredPage) intact() bool { return b.lazy || b.Page.Checksum() == b.Sum }

// takeSums fills in the checksums not yet taken.
func takeSums(recs []StoredRecord, pages []StoredPage) {
	for i := range recs {
		if r := &recs[i]; r.lazy {
			r.Sum, r.lazy = recordSum(&r.Rec), false
		}
	}
	for i := range pages {
		if p := &pages[i]; p.lazy {
			p.Sum, p.lazy = p.Page.Checksum(), false
		}
	}
}

// Image is the whole durable state of a node, as Load returns it.
type Image struct {
	Node     NodeMeta
	Segments []SegmentImage // by segment ID
}

// SegmentImage is one segment's durable state.
type SegmentImage struct {
	Meta    SegmentMeta
	Records []StoredRecord // in LSN order
	Pages   []StoredPage   // in page order
}

// MemStore is a Store in memory: the model's disk. The zero MemStore is
// empty and ready to use.
//
// A node shares its hot logs with its MemStore (see share): the records
// on disk and in memory are one copy. Likewise the store keeps the
// *page.Page of a ChangePages as given. Its node may go on to change such
// a page in place, but only while no Load or Changes has handed the page
// out since, and it writes the page again in the same step, so the
// store's state is always what was written last; pages that Load and
// Changes return never change.
type MemStore struct {
	node NodeMeta
	segs []memSeg // by ID
	// ids holds the ID of each of segs, in the same order, for seg to
	// search without reading a whole memSeg per step.
	ids    []uint32
	chunks chunkPool
	// lent counts the calls that handed out the stored pages (Load,
	// Changes). Their callers may keep the pages and expect them never to
	// change, so a node stops changing its bases in place once it moves.
	lent uint64
	// verify, set by tests, makes the store keep its own copy of shared
	// segments' records as well, for them to check that the node's log
	// holds the same at every step.
	verify bool
}

type memSeg struct {
	meta SegmentMeta
	recs recList
	// log, once the node shares its hot log of the segment (see share),
	// is that log, and the segment's records on disk are what it holds;
	// recs is then empty.
	log   *[]StoredRecord
	pages []StoredPage
}

// share makes the store keep segment id's records in its node's hot log
// of the segment, *log, rather than in a copy of its own. The node makes
// every change to its log in the same step as it writes the change here,
// with no Load between, so the two always hold the same records; the copy
// cost a bulk copy of every record persisted (under write barriers while
// the collector marks) and 0.9 KB of the 6.1 KB an insert allocated. *log must
// hold what the store holds for the segment when it is shared.
//
// The log then stands for the disk: the node may grow it, shrink it or
// move it to another array (the store reads *log afresh each time), but
// only with a change it writes here, and a crash must not clear it. A
// crash reloads the node from Load, which copies the log, and the node
// shares its new log in place of the old one. Tests set verify to check
// all this at every step.
func (s *MemStore) share(id uint32, log *[]StoredRecord) {
	m := s.seg(id, true)
	if !s.verify {
		m.recs.reset(&s.chunks)
	}
	m.log = log
}

// records returns the segment's records in one new slice, checksums
// taken, nil when there are none. The checksums are taken where the
// records lie, in the shared log too, so that each is taken once however
// often the disk is read (the page snapshots it every few seconds): a
// record's checksum is that of its content until a fault damages it, so
// taking it early changes nothing but when the work is done.
func (m *memSeg) records() []StoredRecord {
	if m.log == nil {
		for _, c := range m.recs.chunks {
			takeSums(c.recs[c.lo:c.hi], nil)
		}
		return m.recs.flat()
	}
	if len(*m.log) == 0 {
		return nil
	}
	takeSums(*m.log, nil)
	return slices.Clone(*m.log)
}

// count reports how many records the segment holds.
func (m *memSeg) count() int {
	if m.log != nil {
		return len(*m.log)
	}
	return m.recs.len()
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{} }

func (s *MemStore) seg(id uint32, create bool) *memSeg {
	// A written-out search over the IDs alone.
	lo, hi := 0, len(s.ids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.ids[m] < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	i := lo
	if i < len(s.ids) && s.ids[i] == id {
		return &s.segs[i]
	}
	if !create {
		return nil
	}
	s.segs = slices.Insert(s.segs, i, memSeg{meta: SegmentMeta{ID: id}})
	if cap(s.ids) == 0 {
		s.ids = make([]uint32, 0, firstSegs)
	}
	s.ids = slices.Insert(s.ids, i, id)
	return &s.segs[i]
}

// Write implements Store.
func (s *MemStore) Write(c *Change) {
	switch c.Kind {
	case ChangeNode:
		s.node = cloneNodeMeta(c.Node)
	case ChangeSegment:
		m := s.seg(c.Seg, true)
		// The metadata is rewritten often, its lists seldom change
		// length: keep them in the arrays of the last copy, which
		// nothing else holds (Load and Changes hand out clones).
		peers, floor := m.meta.Peers, m.meta.Floor
		m.meta = c.Meta
		m.meta.Peers = copyInto(peers, c.Meta.Peers)
		m.meta.Floor = copyInto(floor, c.Meta.Floor)
		m.meta.ID = c.Seg
	case ChangeRecords:
		m := s.seg(c.Seg, true)
		if m.log == nil || s.verify {
			m.recs.put(&s.chunks, c.Records)
		}
	case ChangeDrop:
		if m := s.seg(c.Seg, false); m != nil && (m.log == nil || s.verify) {
			m.recs.drop(&s.chunks, c.From, c.To, c.OnlyStream, c.Stream)
		}
	case ChangePages:
		m := s.seg(c.Seg, true)
		for _, p := range c.Pages {
			p.own = false
			i, ok := findPage(m.pages, p.Page.ID)
			if ok {
				m.pages[i] = p
			} else {
				m.pages = insertPage(m.pages, i, p)
			}
		}
	case ChangeReset:
		if m := s.seg(c.Seg, false); m != nil {
			m.recs.reset(&s.chunks) // empty for a shared segment unless verifying
			m.pages = m.pages[:0]
		}
	default:
		panic("storage: unknown change kind " + c.Kind.String())
	}
}

// Load implements Store.
func (s *MemStore) Load() Image {
	s.lent++
	img := Image{Node: cloneNodeMeta(s.node)}
	for i := range s.segs {
		m := &s.segs[i]
		takeSums(nil, m.pages)
		img.Segments = append(img.Segments, SegmentImage{
			Meta:    cloneSegmentMeta(m.meta),
			Records: m.records(),
			Pages:   slices.Clone(m.pages),
		})
	}
	return img
}

// Changes returns the changes that rebuild the store's state from empty:
// a compacted journal, for a browser to write as a checkpoint.
func (s *MemStore) Changes() []Change {
	s.lent++
	out := []Change{{Kind: ChangeNode, Node: cloneNodeMeta(s.node)}}
	for i := range s.segs {
		m := &s.segs[i]
		takeSums(nil, m.pages)
		out = append(out, Change{Kind: ChangeSegment, Seg: m.meta.ID, Meta: cloneSegmentMeta(m.meta)})
		if m.count() > 0 {
			out = append(out, Change{Kind: ChangeRecords, Seg: m.meta.ID, Records: m.records()})
		}
		if len(m.pages) > 0 {
			out = append(out, Change{Kind: ChangePages, Seg: m.meta.ID, Pages: slices.Clone(m.pages)})
		}
	}
	return out
}

// Journal is a Store that passes every change on to another store and also
// keeps a copy of it until drained: a browser drains it once per flush and
// writes the changes to IndexedDB in one transaction.
type Journal struct {
	Store   Store
	pending []Change
}

// NewJournal returns a journal in front of s.
func NewJournal(s Store) *Journal { return &Journal{Store: s} }

// Write implements Store.
func (j *Journal) Write(c *Change) {
	j.Store.Write(c)
	j.pending = append(j.pending, cloneChange(c))
}

// Load implements Store.
func (j *Journal) Load() Image { return j.Store.Load() }

// Pending reports the number of changes not yet drained.
func (j *Journal) Pending() int { return len(j.pending) }

// Drain returns the changes written since the last Drain, oldest first, and
// forgets them. The caller owns the slice.
func (j *Journal) Drain() []Change {
	out := j.pending
	j.pending = nil
	return out
}

func cloneChange(c *Change) Change {
	d := *c
	d.Node = cloneNodeMeta(c.Node)
	d.Meta = cloneSegmentMeta(c.Meta)
	d.Records = slices.Clone(c.Records)
	d.Pages = slices.Clone(c.Pages)
	takeSums(d.Records, d.Pages)
	return d
}

// copyInto returns what slices.Clone(src) returns, in dst's array if it
// has room.
func copyInto[T any](dst, src []T) []T {
	if src == nil || dst == nil || cap(dst) < len(src) {
		return slices.Clone(src)
	}
	return append(dst[:0], src...)
}

func cloneNodeMeta(m NodeMeta) NodeMeta {
	m.Truncations = slices.Clone(m.Truncations)
	return m
}

func cloneSegmentMeta(m SegmentMeta) SegmentMeta {
	m.Peers = slices.Clone(m.Peers)
	m.Floor = slices.Clone(m.Floor)
	return m
}

// recordPool keeps the arrays of hot logs that emptied — once garbage
// collection dropped everything in them — or that a log outgrew, for the
// next log that outgrows its own (the store's copy of a log is in chunks,
// see recList). A node's protection groups fill and go idle one after the
// other as the volume grows, so without it every new segment's log grows
// from nothing again, copying itself at each step; with it, a new log
// climbs through the arrays the logs before it left behind. Only memory
// is reused: what the lists hold is the same either way.
type recordPool struct {
	free [][]StoredRecord
}

// recordPoolMax bounds the arrays a pool keeps.
const recordPoolMax = 4

// put keeps the array of b, which is empty and referenced nowhere else,
// in place of the smallest kept array when the pool is full.
func (p *recordPool) put(b []StoredRecord) {
	if cap(b) == 0 {
		return
	}
	if len(p.free) < recordPoolMax {
		p.free = append(p.free, b[:0])
		return
	}
	small := 0
	for i, f := range p.free {
		if cap(f) < cap(p.free[small]) {
			small = i
		}
	}
	if cap(b) > cap(p.free[small]) {
		p.free[small] = b[:0]
	}
}

// room returns b with room for more records: b itself if it has it, else
// b copied into the smallest kept array that does, else into a new array
// of twice b's room (or what it needs). b's own array is then kept in the
// pool: it must be referenced nowhere else.
func (p *recordPool) room(b []StoredRecord, more int) []StoredRecord {
	need := len(b) + more
	if need <= cap(b) {
		return b
	}
	best := -1
	for i, f := range p.free {
		if cap(f) >= need && (best < 0 || cap(f) < cap(p.free[best])) {
			best = i
		}
	}
	var f []StoredRecord
	if best < 0 {
		// Doubling, further than append would (append grows large slices
		// by a quarter): the outgrown arrays are not lost but kept, for
		// the logs that come after. A log starts at firstLog records, not
		// at its first batch: a busy segment's log soon holds more, and
		// the small arrays on the way there were each allocated, copied
		// and dropped.
		f = slices.Grow(f, max(need, 2*cap(b), firstLog))
	} else {
		f = p.free[best]
		p.free[best] = p.free[len(p.free)-1]
		p.free[len(p.free)-1] = nil
		p.free = p.free[:len(p.free)-1]
	}
	f = append(f, b...)
	// b is not cleared: like the array past a log's end (see
	// Node.collect), what it holds is overwritten by the next log that
	// takes it, and until then keeps only records' keys and values
	// reachable, at most a pool's worth of arrays.
	p.put(b)
	return f
}

// firstLog is the room a hot log starts with.
const firstLog = 128

// putRecord inserts r into recs (in LSN order), replacing a record with the
// same LSN. The common case, a record above every other, is an append.
func putRecord(recs []StoredRecord, r StoredRecord) []StoredRecord {
	if n := len(recs); n == 0 || recs[n-1].Rec.LSN < r.Rec.LSN {
		return append(recs, r)
	}
	i, ok := findStored(recs, r.Rec.LSN)
	if ok {
		recs[i] = r
		return recs
	}
	return slices.Insert(recs, i, r)
}

// dropRecords removes the records with LSN in [from, to].
func dropRecords(recs []StoredRecord, from, to redo.LSN, only bool, stream uint8) []StoredRecord {
	i, _ := findStored(recs, from)
	j := i
	for j < len(recs) && recs[j].Rec.LSN <= to {
		j++
	}
	if !only {
		return slices.Delete(recs, i, j)
	}
	kept := i
	for k := i; k < j; k++ {
		if recs[k].Rec.Stream != stream {
			recs[kept] = recs[k]
			kept++
		}
	}
	return slices.Delete(recs, kept, j)
}

// findStored returns the index of the first record of recs (in LSN order)
// at or above l, and whether it is l. A record above every other, the
// common case on the write path, is answered without searching. The search
// is written out: slices.BinarySearchFunc would copy a whole record into
// the comparison at every step.
func findStored(recs []StoredRecord, l redo.LSN) (int, bool) {
	n := len(recs)
	if n == 0 || recs[n-1].Rec.LSN < l {
		return n, false
	}
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if recs[m].Rec.LSN < l {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, recs[lo].Rec.LSN == l
}

// findPage returns the index of the first page of pages (in ID order) at
// or above id, and whether it is id. A page above every other, as new
// pages come, is answered without searching.
func findPage(pages []StoredPage, id redo.PageID) (int, bool) {
	n := len(pages)
	if n == 0 || pages[n-1].Page.ID < id {
		return n, false
	}
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if pages[m].Page.ID < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, pages[lo].Page.ID == id
}

// insertPage inserts p into pages at index i. A new page is usually the
// highest yet: then it is appended in place, which slices.Insert does by
// copying from a one-element slice.
func insertPage(pages []StoredPage, i int, p StoredPage) []StoredPage {
	if cap(pages) == 0 {
		// A segment's first page: room for the many more a protection
		// group soon holds, rather than growing one, two, four at a time.
		pages = make([]StoredPage, 0, firstPages)
	}
	if i == len(pages) {
		return append(pages, p)
	}
	return slices.Insert(pages, i, p)
}

// firstPages is the room a segment's list of pages starts with.
const firstPages = 32

// findRecord is findStored over a batch's records.
func findRecord(recs []redo.Record, l redo.LSN) (int, bool) {
	n := len(recs)
	if n == 0 || recs[n-1].LSN < l {
		return n, false
	}
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if recs[m].LSN < l {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, recs[lo].LSN == l
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpU32(a, b uint32) int { return cmpU64(uint64(a), uint64(b)) }
