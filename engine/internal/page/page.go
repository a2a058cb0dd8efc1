// Package page holds page images and the one function that changes them:
// Apply, which plays a redo record onto a page. Storage nodes use it to
// materialise pages from the log; database instances use it to keep their
// buffer caches current. Because both use the same function, a page a
// segment materialises equals the page the writer holds.
package page

import (
	"bytes"
	"fmt"
	"slices"

	"aurora-lab/engine/internal/crc"
	"aurora-lab/engine/internal/redo"
)

// Row is one key and its value on a page.
type Row struct {
	Key   []byte
	Value []byte
}

// Page is an image of one page at one version: the LSN of the last record
// applied to it. Rows are sorted by key.
type Page struct {
	ID     redo.PageID
	LSN    redo.LSN
	Header []byte
	Rows   []Row
}

// New returns an empty page that no record has touched yet (LSN NoLSN).
// Its first rows go in an array allocated with it: most pages are leaves
// of a few rows, and one allocation costs less than two.
func New(id redo.PageID) *Page {
	x := &newPage{p: Page{ID: id}}
	x.p.Rows = x.rows[:0]
	return &x.p
}

// newPage is a page allocated together with room for its first rows.
type newPage struct {
	p    Page
	rows [firstRows]Row
}

// Clone returns a copy of p that shares no row slice with it. Keys and
// values are immutable and may be shared. A clone is made to apply records
// to (coalescing, materialising a read), so its row slice has room for a
// few more rows: the first insert then does not copy the page again.
func (p *Page) Clone() *Page {
	q := *p
	if p.Rows != nil {
		q.Rows = make([]Row, len(p.Rows), len(p.Rows)+len(p.Rows)/4+4)
		copy(q.Rows, p.Rows)
	}
	return &q
}

// ErrChain is returned by Apply when a record does not follow the page's
// version: its page backlink names another version.
type ErrChain struct {
	Page      redo.PageID
	Have      redo.LSN
	RecordLSN redo.LSN
	PrevPage  redo.LSN
}

func (e *ErrChain) Error() string {
	return fmt.Sprintf("page %v at lsn %v cannot take record %v based on lsn %v", e.Page, e.Have, e.RecordLSN, e.PrevPage)
}

// Apply plays r onto p. The record must be based on p's version (r.PrevPage
// equals p.LSN); otherwise Apply changes nothing and returns *ErrChain.
func (p *Page) Apply(r *redo.Record) error {
	if r.Page != p.ID {
		panic(fmt.Sprintf("page: record %v for %v applied to %v", r.LSN, r.Page, p.ID))
	}
	if r.PrevPage != p.LSN {
		return &ErrChain{Page: p.ID, Have: p.LSN, RecordLSN: r.LSN, PrevPage: r.PrevPage}
	}
	switch r.Op {
	case redo.OpPut:
		// Put's common case written out: a key above every row, with
		// room for it, as the writer, its replicas and the storage nodes
		// all apply most records. One comparison and no call.
		n := len(p.Rows)
		if n < cap(p.Rows) && (n == 0 || bytes.Compare(p.Rows[n-1].Key, r.Key) < 0) {
			p.Rows = p.Rows[:n+1]
			row := &p.Rows[n]
			row.Key, row.Value = r.Key, r.Value
			break
		}
		p.Put(r.Key, r.Value)
	case redo.OpFormat:
		p.Rows = p.Rows[:0]
		p.Header = r.Value
	case redo.OpHeader:
		p.Header = r.Value
	case redo.OpDelete:
		p.Delete(r.Key)
	case redo.OpDeletePrefix:
		i, _ := p.Search(r.Key)
		j := i
		for j < len(p.Rows) && bytes.HasPrefix(p.Rows[j].Key, r.Key) {
			j++
		}
		p.Rows = slices.Delete(p.Rows, i, j)
	}
	p.LSN = r.LSN
	return nil
}

// Search returns the index of the first row whose key is not below key,
// and whether that row's key is key.
func (p *Page) Search(key []byte) (int, bool) {
	hi := len(p.Rows) - 1
	if hi < 0 {
		return 0, false
	}
	// Keys mostly come in order (a table's new rows, a directory's new
	// leaves), so the last row is tried first: a key at or above it is
	// placed with one comparison. Rows are unique, so an equal last row
	// is the one.
	switch c := bytes.Compare(p.Rows[hi].Key, key); {
	case c < 0:
		return hi + 1, false
	case c == 0:
		return hi, true
	}
	// The last row is above key: the first row not below key is at or
	// before it. Written out: slices.BinarySearchFunc copies a row into
	// the comparison at every step.
	lo := 0
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bytes.Compare(p.Rows[m].Key, key) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, bytes.Equal(p.Rows[lo].Key, key)
}

// Get returns the value stored under key.
func (p *Page) Get(key []byte) ([]byte, bool) {
	i, ok := p.Search(key)
	if !ok {
		return nil, false
	}
	return p.Rows[i].Value, true
}

// Floor returns the row with the greatest key at or below key, if any.
func (p *Page) Floor(key []byte) (Row, bool) {
	i, ok := p.Search(key)
	if !ok {
		if i == 0 {
			return Row{}, false
		}
		i--
	}
	return p.Rows[i], true
}

// Put stores value under key. It changes the image without a record: use it
// only to build images, never to change a page of the volume.
func (p *Page) Put(key, value []byte) {
	i, ok := p.Search(key)
	if ok {
		p.Rows[i].Value = value
		return
	}
	if cap(p.Rows) == 0 {
		// A page's first row: room for a few, rather than growing the
		// slice one, two, four rows at a time.
		p.Rows = make([]Row, 0, firstRows)
	}
	n := len(p.Rows)
	if i == n {
		// Above every key, as rows usually come. With room, the row's
		// two fields are stored in place: a Row is too big to be built
		// in registers, so append would build it on the stack and copy
		// it in whole, with a bulk write barrier.
		if n < cap(p.Rows) {
			p.Rows = p.Rows[:n+1]
			row := &p.Rows[n]
			row.Key, row.Value = key, value
			return
		}
		p.Rows = append(p.Rows, Row{Key: key, Value: value})
		return
	}
	if n-i <= shiftRows {
		// Near the end (leaves are small, and a leaf's rows come in key
		// order): the rows above move up one by one, cheaper than the
		// bulk copy of Insert.
		p.Rows = append(p.Rows, p.Rows[n-1])
		for j := n - 1; j > i; j-- {
			p.Rows[j] = p.Rows[j-1]
		}
		p.Rows[i] = Row{Key: key, Value: value}
		return
	}
	p.Rows = slices.Insert(p.Rows, i, Row{Key: key, Value: value})
}

// shiftRows is how many rows Put moves one at a time rather than with a
// bulk copy.
const shiftRows = 8

// firstRows is the room a page's row slice starts with: a leaf of the
// default four rows, and the fifth that splits it. A new page with room
// for five is 304 bytes, in the allocator's 320-byte class; room for
// eight took 448.
const firstRows = 5

// Delete removes key. Like Put, it bypasses the log.
func (p *Page) Delete(key []byte) {
	i, ok := p.Search(key)
	if !ok {
		return
	}
	n := len(p.Rows)
	if n-i > shiftRows {
		p.Rows = slices.Delete(p.Rows, i, i+1)
		return
	}
	// Near the end, as a split deletes the upper half of a leaf: the
	// rows above move down one by one, cheaper than the bulk copy and
	// clearing of slices.Delete. The row left past the end is cleared as
	// it would: it no longer keeps its key and value reachable.
	for j := i; j < n-1; j++ {
		p.Rows[j] = p.Rows[j+1]
	}
	p.Rows[n-1] = Row{}
	p.Rows = p.Rows[:n-1]
}

// Size reports the page's size in bytes as the model counts it.
func (p *Page) Size() int {
	n := 32 + len(p.Header)
	for _, r := range p.Rows {
		n += 4 + len(r.Key) + len(r.Value)
	}
	return n
}

// Checksum returns a CRC of the page's content and version, for scrub and
// for comparing a materialised page with the replay of its log: the IEEE
// CRC-32 of the ID and LSN (eight little-endian bytes each), the header,
// then each row's key, a 0 byte, its value and a 1 byte. Package crc feeds
// the fixed bytes to the register directly (a slice of them handed to
// crc32 would escape to the heap) and the short keys and values faster
// than crc32 does.
func (p *Page) Checksum() uint32 {
	c := crc.U64(crc.Start, uint64(p.ID))
	c = crc.U64(c, uint64(p.LSN))
	c = crc.Bytes(c, p.Header)
	for _, r := range p.Rows {
		c = crc.Byte(crc.Bytes(c, r.Key), 0)
		c = crc.Byte(crc.Bytes(c, r.Value), 1)
	}
	return crc.Sum(c)
}

// Equal reports whether p and q hold the same version and content.
func (p *Page) Equal(q *Page) bool {
	if p.ID != q.ID || p.LSN != q.LSN || !bytes.Equal(p.Header, q.Header) || len(p.Rows) != len(q.Rows) {
		return false
	}
	for i := range p.Rows {
		if !bytes.Equal(p.Rows[i].Key, q.Rows[i].Key) || !bytes.Equal(p.Rows[i].Value, q.Rows[i].Value) {
			return false
		}
	}
	return true
}
