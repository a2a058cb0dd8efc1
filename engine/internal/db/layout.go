package db

import (
	"encoding/binary"
	"errors"
	"fmt"

	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sql"
)

// The volume's fixed pages. Every other page is allocated from the counter
// kept in the catalog page's header, and never reused.
const (
	// CatalogPage holds one row per table (name → definition) and, in its
	// header, the next page to allocate.
	CatalogPage redo.PageID = 1
	// TxnPageBase is the transaction system page of writer stream 0;
	// stream s uses TxnPageBase+s. Its rows are the writer's active
	// transactions (id → the pages they changed): a transaction's first
	// change adds its row, its commit record removes it. Recovery reads it
	// to find what to undo.
	TxnPageBase redo.PageID = 2
	// FirstDataPage is the first page handed out for tables.
	FirstDataPage redo.PageID = 20
)

// TxnPage returns the transaction system page of a writer stream.
func TxnPage(stream uint8) redo.PageID { return TxnPageBase + redo.PageID(stream) }

// Geometry maps pages to protection groups: PG k holds pages
// [(k-1)·PagesPerPG+1, k·PagesPerPG]. The volume grows by a PG when a page
// beyond the last PG is allocated.
type Geometry struct {
	PagesPerPG int
}

// PGOf returns the protection group holding page p.
func (g Geometry) PGOf(p redo.PageID) redo.PGID {
	return redo.PGID((uint64(p)-1)/uint64(g.PagesPerPG) + 1)
}

// Page kinds, the first byte of a page header.
const (
	kindCatalog byte = 1
	kindTxn     byte = 2
	kindDir     byte = 3 // a table's directory: low key → leaf page
	kindLeaf    byte = 4 // rows of a table
)

// encodeKey encodes a primary key value so that byte order is value order:
// integers big-endian with the sign bit flipped, texts as their bytes.
func encodeKey(v sql.Value) []byte {
	switch v.Kind() {
	case sql.KindInt:
		var b [9]byte
		b[0] = 'i'
		binary.BigEndian.PutUint64(b[1:], uint64(v.Int())^(1<<63))
		return b[:]
	case sql.KindText:
		return append([]byte{'t'}, v.Text()...)
	}
	panic("db: a NULL primary key reached the storage layer")
}

// appendKey appends encodeKey(v) to b.
func appendKey(b []byte, v sql.Value) []byte {
	switch v.Kind() {
	case sql.KindInt:
		b = append(b, 'i')
		return binary.BigEndian.AppendUint64(b, uint64(v.Int())^(1<<63))
	case sql.KindText:
		return append(append(b, 't'), v.Text()...)
	}
	panic("db: a NULL primary key reached the storage layer")
}

// decodeKey is the inverse of encodeKey.
func decodeKey(b []byte) (sql.Value, error) {
	switch {
	case len(b) == 9 && b[0] == 'i':
		return sql.Int(int64(binary.BigEndian.Uint64(b[1:]) ^ (1 << 63))), nil
	case len(b) >= 1 && b[0] == 't':
		return sql.Text(string(b[1:])), nil
	}
	return sql.Value{}, errCorruptRow
}

var errCorruptRow = errors.New("db: corrupt row encoding")

// version is one version of a row: the transaction that wrote it, and the
// row's values (nil when the version is a deletion).
type version struct {
	txn     uint64
	deleted bool
	values  []sql.Value
}

// rowRec is a row as stored on a leaf page: its current version and, while
// the transaction that wrote the current version may still roll back, the
// version before it. This is undo kept in place: a reader that may not see
// the current version's transaction reads the previous one, and a rollback
// writes the previous version back. Row locks ensure at most one
// uncommitted version per row.
type rowRec struct {
	cur     version
	hasPrev bool
	prev    version
}

func appendVersion(b []byte, v version) []byte {
	b = binary.AppendUvarint(b, v.txn)
	if v.deleted {
		return append(b, 0)
	}
	b = append(b, 1)
	return sql.AppendRow(b, v.values)
}

func decodeVersion(b []byte) (version, int, error) {
	txn, n := binary.Uvarint(b)
	if n <= 0 || n >= len(b) {
		return version{}, 0, errCorruptRow
	}
	v := version{txn: txn}
	switch b[n] {
	case 0:
		v.deleted = true
		return v, n + 1, nil
	case 1:
		vals, m, err := sql.DecodeRow(b[n+1:])
		if err != nil {
			return version{}, 0, err
		}
		v.values = vals
		return v, n + 1 + m, nil
	}
	return version{}, 0, errCorruptRow
}

func (r rowRec) encode() []byte { return r.appendTo(nil) }

// appendTo appends the encoding of r to b.
func (r rowRec) appendTo(b []byte) []byte {
	b = appendVersion(b, r.cur)
	if r.hasPrev {
		b = append(b, 1)
		b = appendVersion(b, r.prev)
	} else {
		b = append(b, 0)
	}
	return b
}

func decodeRowRec(b []byte) (rowRec, error) {
	cur, n, err := decodeVersion(b)
	if err != nil {
		return rowRec{}, err
	}
	r := rowRec{cur: cur}
	if n >= len(b) {
		return rowRec{}, errCorruptRow
	}
	switch b[n] {
	case 0:
		if n+1 != len(b) {
			return rowRec{}, errCorruptRow
		}
	case 1:
		prev, m, err := decodeVersion(b[n+1:])
		if err != nil || n+1+m != len(b) {
			return rowRec{}, errCorruptRow
		}
		r.hasPrev, r.prev = true, prev
	default:
		return rowRec{}, errCorruptRow
	}
	return r, nil
}

// tableDef is a table's catalog entry.
type tableDef struct {
	ID      uint32
	Name    string
	Columns []sql.Column
	PK      int // index of the primary key column
	Dir     redo.PageID
	// ReadOnlyUntil is set while DDL on the table runs on a multi-master
	// cluster: the table is read-only on every writer but the one doing it.

	sch *sql.Schema // the schema, once asked for
}

// encode writes the definition as a catalog row value.
func (t *tableDef) encode() []byte {
	b := binary.AppendUvarint(nil, uint64(t.ID))
	b = binary.AppendUvarint(b, uint64(t.Dir))
	b = binary.AppendUvarint(b, uint64(t.PK))
	b = binary.AppendUvarint(b, uint64(len(t.Columns)))
	for _, c := range t.Columns {
		b = appendString(b, c.Name)
		b = append(b, byte(c.Type))
		b = binary.AppendUvarint(b, uint64(c.Width))
		var flags byte
		if c.NotNull {
			flags |= 1
		}
		if c.PrimaryKey {
			flags |= 2
		}
		if c.AutoIncrement {
			flags |= 4
		}
		b = append(b, flags)
		b = sql.AppendValue(b, c.Default)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorruptRow
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorruptRow
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorruptRow
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) value() sql.Value {
	if d.err != nil {
		return sql.Value{}
	}
	v, n, err := sql.DecodeValue(d.b)
	if err != nil {
		d.err = err
		return sql.Value{}
	}
	d.b = d.b[n:]
	return v
}

func decodeTableDef(name string, b []byte) (*tableDef, error) {
	d := &decoder{b: b}
	t := &tableDef{Name: name}
	t.ID = uint32(d.uvarint())
	t.Dir = redo.PageID(d.uvarint())
	t.PK = int(d.uvarint())
	n := d.uvarint()
	if n > 1024 {
		return nil, errCorruptRow
	}
	for range n {
		var c sql.Column
		c.Name = d.string()
		c.Type = sql.Type(d.byte())
		c.Width = int(d.uvarint())
		flags := d.byte()
		c.NotNull = flags&1 != 0
		c.PrimaryKey = flags&2 != 0
		c.AutoIncrement = flags&4 != 0
		c.Default = d.value()
		t.Columns = append(t.Columns, c)
	}
	if d.err != nil || len(d.b) != 0 || t.PK >= len(t.Columns) {
		return nil, fmt.Errorf("db: corrupt catalog entry for %q", name)
	}
	return t, nil
}

// catalogHeader is the catalog page's header: the next table id. (NextPage
// is kept for the format; pages are allocated by each writer from its own
// transaction page, see txnHeader.)
type catalogHeader struct {
	NextPage  redo.PageID
	NextTable uint32
}

func (h catalogHeader) encode() []byte {
	b := []byte{kindCatalog}
	b = binary.AppendUvarint(b, uint64(h.NextPage))
	return binary.AppendUvarint(b, uint64(h.NextTable))
}

func decodeCatalogHeader(b []byte) (catalogHeader, error) {
	if len(b) == 0 {
		// A volume no writer has formatted yet.
		return catalogHeader{NextPage: FirstDataPage, NextTable: 1}, nil
	}
	d := &decoder{b: b}
	if d.byte() != kindCatalog {
		return catalogHeader{}, errCorruptRow
	}
	h := catalogHeader{NextPage: redo.PageID(d.uvarint()), NextTable: uint32(d.uvarint())}
	if d.err != nil {
		return catalogHeader{}, d.err
	}
	return h, nil
}

// pageHeader is the header of a table page: its kind and its table.
func pageHeader(kind byte, table uint32) []byte {
	// Room for the longest table number up front: one allocation, where
	// a one-byte slice would be outgrown by the uvarint at once.
	b := append(make([]byte, 0, 1+binary.MaxVarintLen32), kind)
	return binary.AppendUvarint(b, uint64(table))
}

// encodePageID and decodePageID store a page id as a directory value.
func encodePageID(p redo.PageID) []byte { return binary.AppendUvarint(nil, uint64(p)) }

func decodePageID(b []byte) (redo.PageID, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 || n != len(b) {
		return 0, errCorruptRow
	}
	return redo.PageID(v), nil
}

// txnKey encodes a transaction id as a key of the transaction page.
func txnKey(id uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], id)
	return b[:]
}

func decodeTxnKey(b []byte) (uint64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// txnHeader is a transaction page's header: the next page its writer
// allocates. Each writer allocates pages from its own counter, on its own
// page, so two writers of a multi-master cluster never conflict over the
// allocator: writer s takes FirstDataPage+s, then every Stride-th page.
type txnHeader struct {
	NextPage redo.PageID
}

func (h txnHeader) encode() []byte {
	return binary.AppendUvarint([]byte{kindTxn}, uint64(h.NextPage))
}

func decodeTxnHeader(b []byte) (txnHeader, error) {
	d := &decoder{b: b}
	if d.byte() != kindTxn {
		return txnHeader{}, errCorruptRow
	}
	h := txnHeader{NextPage: redo.PageID(d.uvarint())}
	return h, d.err
}
