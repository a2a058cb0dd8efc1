package redo

import "encoding/binary"

// Records are encoded into bytes where many are kept for long and only
// read back rarely (the backup store's log): encoded, a record takes a
// third of its in-memory size or less, and the bytes hold no pointers for
// the collector to scan or for copies to pay barriers on.

// Flags of an encoded record.
const (
	encCPL = 1 << iota
	encCommit
	encKey   // Key is not nil
	encValue // Value is not nil
)

// MaxEncodedSize bounds the bytes AppendEncoded adds for r: three bytes of
// op, stream and flags, at most ten per varint (nine of them), the key and
// the value.
func MaxEncodedSize(r *Record) int {
	return 3 + 9*binary.MaxVarintLen64 + len(r.Key) + len(r.Value)
}

// AppendEncoded appends r, encoded, to b. LSNs go as differences from the
// one they are near (the record's LSN from prev, its backlinks from its
// own LSN, its PG from pg), so most take a byte or two; DecodeRecord needs
// the same pg and prev to read it back.
func AppendEncoded(b []byte, r *Record, pg PGID, prev LSN) []byte {
	var flags byte
	if r.CPL {
		flags |= encCPL
	}
	if r.Commit {
		flags |= encCommit
	}
	if r.Key != nil {
		flags |= encKey
	}
	if r.Value != nil {
		flags |= encValue
	}
	b = append(b, byte(r.Op), r.Stream, flags)
	b = binary.AppendUvarint(b, uint64(r.LSN-prev))
	b = binary.AppendVarint(b, int64(r.PG)-int64(pg))
	b = binary.AppendUvarint(b, uint64(r.Page))
	b = binary.AppendVarint(b, int64(r.LSN-r.PrevVolume))
	b = binary.AppendVarint(b, int64(r.LSN-r.PrevPG))
	b = binary.AppendVarint(b, int64(r.LSN-r.PrevPage))
	b = binary.AppendUvarint(b, r.Txn)
	b = binary.AppendUvarint(b, uint64(len(r.Key)))
	b = append(b, r.Key...)
	b = binary.AppendUvarint(b, uint64(len(r.Value)))
	return append(b, r.Value...)
}

// DecodeRecord reads the record AppendEncoded(_, r, pg, prev) wrote at the
// start of b, and returns it with the bytes after it. The record equals r
// field for field, nil and empty keys and values included. Its Key and
// Value point into b, capped so that an append to them cannot reach the
// bytes after them: the caller must copy b first if those bytes may change.
func DecodeRecord(b []byte, pg PGID, prev LSN) (Record, []byte) {
	var r Record
	r.Op, r.Stream = Op(b[0]), b[1]
	flags := b[2]
	r.CPL, r.Commit = flags&encCPL != 0, flags&encCommit != 0
	b = b[3:]
	u := func() uint64 {
		v, n := binary.Uvarint(b)
		b = b[n:]
		return v
	}
	s := func() int64 {
		v, n := binary.Varint(b)
		b = b[n:]
		return v
	}
	r.LSN = prev + LSN(u())
	r.PG = PGID(int64(pg) + s())
	r.Page = PageID(u())
	r.PrevVolume = r.LSN - LSN(s())
	r.PrevPG = r.LSN - LSN(s())
	r.PrevPage = r.LSN - LSN(s())
	r.Txn = u()
	bytes := func(present bool) []byte {
		n := int(u())
		v := b[:n:n]
		b = b[n:]
		if !present {
			return nil
		}
		return v
	}
	r.Key = bytes(flags&encKey != 0)
	r.Value = bytes(flags&encValue != 0)
	return r, b
}
