package storage

import "aurora-lab/engine/internal/redo"

// Record returns the stored record with LSN l, and reports whether the
// segment holds it. It does not allocate; the record's Key and Value are
// shared and must not be changed. For checkers.
func (s *Segment) Record(l redo.LSN) (redo.Record, bool) {
	i, ok := s.find(l)
	if !ok {
		return redo.Record{}, false
	}
	return s.log[i].Rec, true
}
