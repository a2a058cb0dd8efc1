package db

import (
	"testing"

	"aurora-lab/engine/internal/redo"
)

// A flush's batch from the writer's pool is never refilled while the
// stream may still read its records — kept for a follower that has not
// acknowledged it (one partitioned away, to which it is resent), or above
// the VDL for a follower that starts afresh — and is refilled once both
// let go.
func TestStreamBatchOutlivesItsHolders(t *testing.T) {
	var pool redo.Pool
	var o streamOut
	lsn := redo.LSN(0)
	// flush streams n records in a batch of the pool at VDL vdl, as
	// flushStream does, and returns the batch and the flush's number.
	flush := func(n int, vdl redo.LSN) (*redo.Batch, uint64) {
		b := pool.Get(0, n)
		for range n {
			lsn++
			b.Records = append(b.Records, redo.Record{LSN: lsn, PG: 1, Page: 5})
		}
		_, seq := o.next(1000, b, vdl)
		return b, seq
	}
	// churn takes batches of n records from the pool and fills them with
	// records of no one, as other flushes would, letting each go at once.
	churn := func(n int) {
		for range 40 {
			b := pool.Get(0, n)
			for range n {
				b.Records = append(b.Records, redo.Record{LSN: 1 << 40, PG: 9, Page: 9})
			}
			b.Release()
		}
	}
	// recycled checks that churn refilled b: no one held it.
	recycled := func(what string, b *redo.Batch, n int) {
		t.Helper()
		churn(n)
		if len(b.Records) == 0 || b.Records[0].PG != 9 {
			t.Fatalf("%s: the batch was not recycled", what)
		}
	}
	// intact checks that recs are the records first to last.
	intact := func(what string, recs []redo.Record, first, last redo.LSN) {
		t.Helper()
		if len(recs) != int(last-first+1) {
			t.Fatalf("%s: %d records, want %d", what, len(recs), last-first+1)
		}
		for i := range recs {
			if recs[i].LSN != first+redo.LSN(i) || recs[i].PG != 1 {
				t.Fatalf("%s: record %d is LSN %d of %v, want LSN %d of pg1", what, i, recs[i].LSN, recs[i].PG, first+redo.LSN(i))
			}
		}
	}

	// LSNs 1-3 go out; a message to a follower holds the batch until it
	// is delivered. Once the VDL passes them, only kept holds them, for a
	// follower that has not acknowledged the flush: they are resent.
	a, seqA := flush(3, 0)
	a.Hold()
	a.Release() // delivered
	o.next(1000, nil, 3)
	churn(3)
	intact("kept for a resend", a.Records, 1, 3)
	recs, ok := o.since(seqA - 1)
	if !ok {
		t.Fatal("the flush is no longer kept")
	}
	intact("resent", recs, 1, 3)

	// Every follower has acknowledged LSNs 4-6, but the VDL is short of
	// them, and then short of 5-6: above holds them for a follower that
	// starts afresh, kept has let go.
	b, seqB := flush(3, 3)
	o.trim(seqB)
	churn(3)
	intact("above the VDL", b.Records, 4, 6)
	o.next(1000, nil, 4)
	churn(3)
	intact("partly above the VDL", b.Records, 4, 6)
	intact("for a fresh start", o.aboveRecords(), 5, 6)

	// The VDL passes them: no one holds the batch, and the pool refills
	// it.
	o.next(1000, nil, 6)
	recycled("a flush's batch no one holds", b, 3)

	// Records released late by several writers come out of LSN order;
	// above copies those it keeps when the VDL passes some between them,
	// and lets the batch go.
	c := pool.Get(0, 3)
	c.Records = append(c.Records, redo.Record{LSN: 10, PG: 1}, redo.Record{LSN: 12, PG: 1}, redo.Record{LSN: 11, PG: 1})
	_, seqC := o.next(1000, c, 9)
	o.trim(seqC)
	o.next(1000, nil, 11)
	if got := o.aboveRecords(); len(got) != 1 || got[0].LSN != 12 {
		t.Fatalf("above keeps %v, want LSN 12", got)
	}
	recycled("a batch above copied", c, 3)

	// A crash drops the stream with its holds.
	d, _ := flush(2, 11)
	o.drop()
	recycled("a batch of a dropped stream", d, 2)
	if o.kept != nil || o.above != nil {
		t.Fatal("drop left records")
	}
}
