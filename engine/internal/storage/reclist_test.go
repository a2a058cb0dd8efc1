package storage

import (
	"slices"
	"testing"

	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
)

// A recList holds what a plain slice changed by putRecord and dropRecords
// holds, whatever the order of appends, inserts, drops and resets.
func TestRecListMatchesSlice(t *testing.T) {
	r := sim.NewRand(7)
	var pool chunkPool
	type heldRec struct {
		sr    StoredRecord
		value []byte
	}
	var held []heldRec
	defer func() {
		for _, h := range held {
			if !slices.Equal(h.sr.Rec.Value, h.value) {
				t.Fatalf("a record read from the list changed later: value %v, was %v", h.sr.Rec.Value, h.value)
			}
		}
	}()
	for run := range 40 {
		var l recList
		var want []StoredRecord
		top := redo.LSN(0)
		// Records of every shape: nil, empty and large keys and values,
		// with a checksum or without (lazy), claimed or not.
		rec := func(lsn redo.LSN) StoredRecord {
			sr := StoredRecord{Rec: redo.Record{
				LSN: lsn, Stream: uint8(lsn % 2), Op: redo.Op(r.IntN(8)), CPL: r.IntN(2) == 0, Commit: r.IntN(5) == 0,
				PG: redo.PGID(1 + r.IntN(3)), Page: redo.PageID(r.IntN(1000)), PrevVolume: lsn - redo.LSN(r.IntN(3)),
				PrevPG: lsn - redo.LSN(r.IntN(30)), PrevPage: redo.LSN(r.IntN(int(lsn) + 2)), Txn: uint64(r.IntN(100)),
				Value: []byte{byte(lsn)},
			}, Sum: uint32(run), Claimed: r.IntN(3) == 0, lazy: r.IntN(2) == 0}
			switch r.IntN(6) {
			case 0:
				sr.Rec.Key = []byte{}
			case 1:
				sr.Rec.Key = []byte("key")
			case 2:
				if r.IntN(10) == 0 {
					sr.Rec.Value = append(make([]byte, r.IntN(2*chunkBytes)), byte(lsn))
				}
			}
			if r.IntN(4) == 0 {
				sr.Sum = 0
			}
			return sr
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
				if !sameStored(&got[i], &want[i]) {
					t.Fatalf("run %d: record %d is %+v, want %+v", run, i, got[i], want[i])
				}
				if cap(got[i].Rec.Value) != len(got[i].Rec.Value) {
					t.Fatalf("run %d: record %d's value is not capped", run, i)
				}
			}
			// Nothing read from the list changes when the list does.
			if len(got) > 0 {
				held = append(held, heldRec{got[0], slices.Clone(got[0].Rec.Value)})
			}
		}
	}
}

// sameStored reports whether a and b are equal field for field, telling
// nil from empty keys and values.
func sameStored(a, b *StoredRecord) bool {
	x, y := a.Rec, b.Rec
	bytesSame := func(p, q []byte) bool { return (p == nil) == (q == nil) && slices.Equal(p, q) }
	if !bytesSame(x.Key, y.Key) || !bytesSame(x.Value, y.Value) {
		return false
	}
	return x.LSN == y.LSN && x.Stream == y.Stream && x.Op == y.Op && x.CPL == y.CPL && x.Commit == y.Commit &&
		x.PG == y.PG && x.Page == y.Page && x.PrevVolume == y.PrevVolume && x.PrevPG == y.PrevPG &&
		x.PrevPage == y.PrevPage && x.Txn == y.Txn && a.Sum == b.Sum && a.Claimed == b.Claimed && a.lazy == b.lazy
}
