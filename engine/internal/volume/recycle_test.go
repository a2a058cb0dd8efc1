package volume

import (
	"testing"

	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// queueEnv holds the messages the driver sends as the cluster does: each
// one queued holds its batch until it is forgotten.
type queueEnv struct {
	env
	queued []wire.Msg
}

func (e *queueEnv) Send(m wire.Msg) {
	if m.Batch != nil {
		m.Batch.Hold()
	}
	e.queued = append(e.queued, m)
}

// take removes the queued messages for which keep is false, forgetting
// them, as a delivery or a drop does.
func (e *queueEnv) take(keep func(m *wire.Msg) bool) {
	kept := e.queued[:0]
	for i := range e.queued {
		if m := &e.queued[i]; keep(m) {
			kept = append(kept, *m)
		} else {
			m.Forget()
		}
	}
	e.queued = kept
}

// A recycled boxcar is never refilled while anyone holds it — the driver
// until PGCL passes it, a message still on its way to a member that is
// down, a view of it resent, a node's disk queue — and is refilled once
// the last of them lets go.
func TestRecycledBatchOutlivesItsHolders(t *testing.T) {
	e := &queueEnv{env: env{rand: sim.NewRand(1)}}
	v := New(Config{LAL: 1 << 40, Recycle: true}, 0, 0, 1, redo.NoLSN)
	for pg := 1; pg <= 2; pg++ {
		var ids [6]quorum.Member
		var members []Member
		for i := range ids {
			ids[i] = quorum.Member(pg*10 + i)
			members = append(members, Member{Seg: uint32(pg*10 + i), Node: sim.NodeID(i + 1), Full: true})
		}
		v.AddPG(redo.PGID(pg), quorum.Standard(1, ids), members, redo.NoLSN)
	}
	// mtr sends a boxcar of n records to PG pg and returns it.
	mtr := func(pg redo.PGID, n int) *redo.Batch {
		recs := make([]redo.Record, n)
		for i := range recs {
			recs[i] = redo.Record{PG: pg, Page: 3, Op: redo.OpPut, Key: []byte{byte(i)}}
		}
		if _, err := v.Append(e, recs); err != nil {
			t.Fatal(err)
		}
		k := len(e.queued)
		v.flush(e, v.PG(pg))
		return e.queued[k].Batch
	}
	ack := func(pg redo.PGID, slots int, scl redo.LSN) {
		for i := range slots {
			v.Handle(e, &wire.Msg{Kind: wire.WriteAck, PG: pg, Seg: uint32(int(pg)*10 + i), VolEpoch: v.Epoch(), A: scl})
		}
	}
	// intact checks that b still holds the records it was sent with.
	intact := func(what string, b *redo.Batch, first, last redo.LSN) {
		t.Helper()
		if len(b.Records) == 0 || b.First() != first || b.Last() != last {
			t.Fatalf("%s: the batch was refilled while held: %d records", what, len(b.Records))
		}
		for i := range b.Records {
			if b.Records[i].LSN != first+redo.LSN(i) {
				t.Fatalf("%s: record %d is LSN %d, want %d", what, i, b.Records[i].LSN, first+redo.LSN(i))
			}
		}
	}
	// churn sends many boxcars of n records, the size of the one held,
	// to PG 2, delivers them to all and makes them complete. The
	// messages queued before stay queued.
	churn := func(n int) {
		for range 20 {
			k := len(e.queued)
			mtr(2, n)
			for i := k; i < len(e.queued); i++ {
				e.queued[i].Forget()
			}
			e.queued = e.queued[:k]
			ack(2, 6, v.NextLSN()-1)
		}
	}
	deliverAll := func() { e.take(func(*wire.Msg) bool { return false }) }

	// LSNs 1-2 go to six members and are delivered; slot 1 has acked
	// them, short of a quorum: the driver still holds the batch.
	b := mtr(1, 2)
	deliverAll()
	ack(1, 1, 2)
	churn(2)
	intact("held by the driver", b, 1, 2)

	// The message to slot 6 (a node that is down) stays queued, and slot
	// 5's disk queue holds the batch too, when PGCL passes it.
	b = mtr(1, 2)
	lo := b.First()
	b.Hold()
	e.take(func(m *wire.Msg) bool { return m.To == 6 })
	ack(1, 4, lo+1)
	churn(2)
	intact("held by a queued message and a disk queue", b, lo, lo+1)

	// The disk queue is done; the message is still queued.
	b.Release()
	churn(2)
	intact("held by a queued message", b, lo, lo+1)
	deliverAll()

	// A resend is a view of a sent boxcar: the view in flight holds the
	// boxcar after PGCL passed it and every message of the boxcar itself
	// is gone.
	base := mtr(1, 3)
	lo = base.First()
	deliverAll()
	ack(1, 1, lo) // slot 1 has the first record only
	v.retry(e, v.PG(1))
	var view *redo.Batch
	for i := range e.queued {
		if m := &e.queued[i]; m.To == 1 && m.Batch != nil {
			view = m.Batch
		}
	}
	if view == nil || view == base || &view.Records[0] != &base.Records[1] {
		t.Fatal("the resend is not a view of the boxcar")
	}
	e.take(func(m *wire.Msg) bool { return m.Batch == view })
	ack(1, 6, lo+2)
	churn(3)
	intact("held through a view", base, lo, lo+2)

	// Once the last holder lets go, the boxcar is recycled.
	deliverAll()
	if got := mtr(2, 3); got != base {
		t.Fatal("a boxcar no one holds was not recycled")
	}
}
