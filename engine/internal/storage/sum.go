package storage

import (
	"aurora-lab/engine/internal/crc"
	"aurora-lab/engine/internal/redo"
)

// recordSum returns r.Checksum() without allocating. Record.Checksum
// builds its header in an array that escapes to the heap (crc32 dispatches
// through a function value), which would cost one allocation per record on
// the persist path; this computes the same CRC over the same bytes, eight
// header bytes at a time, and the key and value with package crc, which is
// quicker than crc32 over a few bytes. TestRecordSumMatchesChecksum keeps
// the two equal.
func recordSum(r *redo.Record) uint32 {
	c := crc.Start
	c = crc.U64(c, uint64(r.LSN))
	c = crc.U64(c, uint64(r.PrevPG))
	c = crc.U64(c, uint64(r.PrevPage))
	c = crc.U64(c, uint64(r.Page))
	c = crc.U64(c, uint64(r.PG))
	c = crc.Byte(c, byte(r.Op))
	c = crc.Bytes(c, r.Key)
	return crc.Sum(crc.Bytes(c, r.Value))
}

// recordOK reports whether a stored record matches the checksum taken when
// it was written. Only a segment a fault damaged (taint) can hold one that
// does not, so the others skip computing it: the result is the same.
func (s *Segment) recordOK(sr *StoredRecord) bool {
	return !s.taint || sr.intact()
}

// pageOK reports whether a stored base page matches its checksum; see
// recordOK.
func (s *Segment) pageOK(b StoredPage) bool {
	return !s.taint || b.intact()
}
