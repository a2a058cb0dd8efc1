package storage

import (
	"testing"

	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
)

// A recList holds what a plain slice changed by putRecord and dropRecords
// holds, whatever the order of appends, inserts, drops and resets.
func TestRecListMatchesSlice(t *testing.T) {
	r := sim.NewRand(7)
	var pool chunkPool
	for run := range 40 {
		var l recList
		var want []StoredRecord
		top := redo.LSN(0)
		rec := func(lsn redo.LSN) StoredRecord {
			return StoredRecord{Rec: redo.Record{LSN: lsn, Stream: uint8(lsn % 2), Value: []byte{byte(lsn)}}, Sum: uint32(run)}
		}
		for range 150 {
			switch op := r.IntN(10); {
			case op < 6: // a batch on top, the common case
				var recs []StoredRecord
				for range 1 + r.IntN(100) {
					top += redo.LSN(1 + r.IntN(3))
					recs = append(recs, rec(top))
				}
				l.put(&pool, recs)
				for _, x := range recs {
					want = putRecord(want, x)
				}
			case op < 7: // records anywhere, some already held
				var recs []StoredRecord
				for range 1 + r.IntN(5) {
					recs = append(recs, rec(redo.LSN(1+r.IntN(int(top)+5))))
				}
				l.put(&pool, recs)
				for _, x := range recs {
					want = putRecord(want, x)
				}
			case op < 9: // garbage collection: the bottom
				to := redo.LSN(r.IntN(int(top) + 2))
				l.drop(&pool, redo.NoLSN, to, false, 0)
				want = dropRecords(want, redo.NoLSN, to, false, 0)
			default: // truncation: a range of one stream, or a reset
				if r.IntN(4) == 0 {
					l.reset(&pool)
					want = want[:0]
					break
				}
				from := redo.LSN(r.IntN(int(top) + 2))
				to := from + redo.LSN(r.IntN(20))
				only, st := r.IntN(3) > 0, uint8(r.IntN(2))
				l.drop(&pool, from, to, only, st)
				want = dropRecords(want, from, to, only, st)
			}
			got := l.flat()
			if len(got) != len(want) || l.len() != len(want) {
				t.Fatalf("run %d: %d records, want %d", run, len(got), len(want))
			}
			for i := range got {
				if got[i].Rec.LSN != want[i].Rec.LSN || got[i].Rec.Value[0] != want[i].Rec.Value[0] {
					t.Fatalf("run %d: record %d is %d, want %d", run, i, got[i].Rec.LSN, want[i].Rec.LSN)
				}
			}
		}
	}
}
