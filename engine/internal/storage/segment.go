// Package storage models an Aurora storage node and the segments it holds.
//
// A storage node's foreground work is only to receive redo records, persist
// them and acknowledge (SIGMOD'17 §3.3, steps 1 and 2). Everything else —
// finding gaps, gossiping with peers to fill them, coalescing records into
// pages, staging to backup, garbage collection and scrubbing — is background
// work that never delays an acknowledgement.
package storage

import (
	"slices"

	"aurora-lab/engine/internal/redo"
)

// Segment is one protection group's copy of its log and pages on one node.
type Segment struct {
	ID       uint32
	PG       redo.PGID
	Full     bool   // holds pages as well as log (false: a tail segment)
	MemEpoch uint64 // the membership epoch this segment last accepted

	// log is the hot log: durable records in LSN order.
	log []redo.Record
	// chains track, per writer stream, the longest gap-free prefix of the
	// PG backlink chain. With one writer there is one stream.
	chains []chain
}

// chain finds gaps in one stream's PG backlink chain. SCL is the last LSN of
// the longest prefix with no gap; records above it wait, keyed by their
// backlink, until the gap below them is filled.
type chain struct {
	scl     redo.LSN
	waiting map[redo.LSN]redo.LSN // PrevPG → LSN, for records above scl
}

func newSegment(id uint32, pg redo.PGID, full bool) *Segment {
	return &Segment{ID: id, PG: pg, Full: full, chains: make([]chain, 1)}
}

// SCL reports the segment complete LSN of stream 0: every record of the PG
// up to it is on this segment. It is sent with every acknowledgement.
func (s *Segment) SCL() redo.LSN { return s.chains[0].scl }

// Len reports the number of records in the hot log.
func (s *Segment) Len() int { return len(s.log) }

// Has reports whether the segment holds the record with LSN l.
func (s *Segment) Has(l redo.LSN) bool {
	_, ok := s.find(l)
	return ok
}

func (s *Segment) find(l redo.LSN) (int, bool) {
	return slices.BinarySearchFunc(s.log, l, func(r redo.Record, l redo.LSN) int {
		switch {
		case r.LSN < l:
			return -1
		case r.LSN > l:
			return 1
		}
		return 0
	})
}

// add stores a durable record and advances the SCL through any gap it fills.
// It reports false for a record the segment already had.
func (s *Segment) add(r redo.Record) bool {
	i, ok := s.find(r.LSN)
	if ok {
		return false
	}
	if i == len(s.log) {
		s.log = append(s.log, r)
	} else {
		s.log = slices.Insert(s.log, i, r)
	}
	for int(r.Stream) >= len(s.chains) {
		s.chains = append(s.chains, chain{})
	}
	c := &s.chains[r.Stream]
	if r.LSN <= c.scl {
		return true
	}
	if r.PrevPG != c.scl {
		if c.waiting == nil {
			c.waiting = make(map[redo.LSN]redo.LSN)
		}
		c.waiting[r.PrevPG] = r.LSN
		return true
	}
	c.scl = r.LSN
	for {
		next, ok := c.waiting[c.scl]
		if !ok {
			break
		}
		delete(c.waiting, c.scl)
		c.scl = next
	}
	return true
}

// Records returns the records with LSN in (after, upto], in LSN order. The
// slice is the caller's; the records must not be changed.
func (s *Segment) Records(after, upto redo.LSN) []redo.Record {
	i, _ := s.find(after + 1)
	var out []redo.Record
	for ; i < len(s.log) && s.log[i].LSN <= upto; i++ {
		out = append(out, s.log[i])
	}
	return out
}
