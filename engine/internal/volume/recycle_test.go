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

// A recycled boxcar is never refilled while anyone holds it — a message
// still on its way to a member that is down, a view of it resent, a
// node's disk queue — and is refilled once the last of them lets go.
func TestRecycledBatchOutlivesItsHolders(t *testing.T) {
	e := &queueEnv{env: env{rand: sim.NewRand(1)}}
	v := New(Config{LAL: 1 << 40, Recycle: true}, 0, 0, 1, redo.NoLSN)
	var ids [6]quorum.Member
	var members []Member
	for i := range ids {
		ids[i] = quorum.Member(i + 1)
		members = append(members, Member{Seg: uint32(i + 1), Node: sim.NodeID(i + 1), Full: true})
	}
	v.AddPG(1, quorum.Standard(1, ids), members, redo.NoLSN)
	p := v.PG(1)
	mtr := func(n int) {
		recs := make([]redo.Record, n)
		for i := range recs {
			recs[i] = redo.Record{PG: 1, Page: 3, Op: redo.OpPut, Key: []byte{byte(i)}}
		}
		if _, err := v.Append(e, recs); err != nil {
			t.Fatal(err)
		}
		v.flush(e, p)
	}
	ack := func(slots int, scl redo.LSN) {
		for i := range slots {
			v.Handle(e, &wire.Msg{Kind: wire.WriteAck, PG: 1, Seg: uint32(i + 1), A: scl})
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
	churn := func(n int) {
		// Many boxcars of n records, the size of the one held, sent,
		// delivered to all and made complete.
		// The messages queued before stay queued.
		for range 20 {
			k := len(e.queued)
			mtr(n)
			for i := k; i < len(e.queued); i++ {
				e.queued[i].Forget()
			}
			e.queued = e.queued[:k]
			ack(6, v.NextLSN()-1)
		}
	}

	// LSNs 1-2 go to six members; the one to slot 6 (a node that is down)
	// stays queued, and slot 5's disk queue holds the batch too.
	mtr(2)
	b := e.queued[0].Batch
	b.Hold()
	e.take(func(m *wire.Msg) bool { return m.To == 6 })
	ack(4, 2) // PGCL passes 2: the driver lets the batch go
	churn(2)
	intact("held by a queued message and a disk queue", b, 1, 2)

	// The disk queue is done; the message is still queued.
	b.Release()
	churn(2)
	intact("held by a queued message", b, 1, 2)

	// A resend is a view of a sent boxcar: the view in flight holds the
	// boxcar after PGCL passed it and every message of the boxcar itself
	// is gone.
	e.take(func(*wire.Msg) bool { return false })
	mtr(3)
	lo := v.NextLSN() - 3
	base := e.queued[0].Batch
	e.take(func(*wire.Msg) bool { return false })
	ack(1, lo) // slot 1 has the first record only
	v.retry(e, p)
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
	ack(6, lo+2)
	churn(3)
	intact("held through a view", base, lo, lo+2)

	// Once the last holder lets go, the boxcar is recycled.
	e.take(func(*wire.Msg) bool { return false })
	mtr(3)
	if got := e.queued[0].Batch; got != base {
		t.Fatal("a boxcar no one holds was not recycled")
	}
}
