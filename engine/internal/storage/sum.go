package storage

import (
	"hash/crc32"

	"aurora-lab/engine/internal/redo"
)

// recordSum returns r.Checksum() without allocating. Record.Checksum
// builds its header in an array that escapes to the heap (crc32 dispatches
// through a function value), which would cost one allocation per record on
// the persist path; this computes the same CRC over the same bytes, eight
// header bytes at a time. TestRecordSumMatchesChecksum keeps the two
// equal.
func recordSum(r *redo.Record) uint32 {
	c := ^uint32(0)
	c = crcU64(c, uint64(r.LSN))
	c = crcU64(c, uint64(r.PrevPG))
	c = crcU64(c, uint64(r.PrevPage))
	c = crcU64(c, uint64(r.Page))
	c = crcU64(c, uint64(r.PG))
	c = crc32.IEEETable[byte(c)^byte(r.Op)] ^ c>>8
	c = crc32.Update(^c, crc32.IEEETable, r.Key)
	return crc32.Update(c, crc32.IEEETable, r.Value)
}

// slicing8 holds the tables of the slicing-by-8 CRC-32 (IEEE), built as
// hash/crc32 builds its own.
var slicing8 = func() *[8][256]uint32 {
	t := new([8][256]uint32)
	t[0] = *crc32.IEEETable
	for i := range 256 {
		c := t[0][i]
		for j := 1; j < 8; j++ {
			c = t[0][c&0xff] ^ c>>8
			t[j][i] = c
		}
	}
	return t
}()

// crcU64 feeds the eight little-endian bytes of v to a running CRC-32
// (IEEE) register c.
func crcU64(c uint32, v uint64) uint32 {
	t := slicing8
	c ^= uint32(v)
	hi := uint32(v >> 32)
	return t[0][hi>>24] ^ t[1][hi>>16&0xff] ^ t[2][hi>>8&0xff] ^ t[3][hi&0xff] ^
		t[4][c>>24] ^ t[5][c>>16&0xff] ^ t[6][c>>8&0xff] ^ t[7][c&0xff]
}

// recordOK reports whether a stored record matches the checksum taken when
// it was written. Only a segment a fault damaged (taint) can hold one that
// does not, so the others skip computing it: the result is the same.
func (s *Segment) recordOK(sr *StoredRecord) bool {
	return !s.taint || recordSum(&sr.Rec) == sr.Sum
}

// pageOK reports whether a stored base page matches its checksum; see
// recordOK.
func (s *Segment) pageOK(b StoredPage) bool {
	return !s.taint || b.Page.Checksum() == b.Sum
}
