package storage

import (
	"fmt"
	"reflect"
	"testing"

	"aurora-lab/engine/internal/redo"
)

// checkShared reports how a shared segment's log differs from the copy of
// its records a verifying store keeps besides (see MemStore.verify): the
// copy is what the store held before logs were shared, so the two must
// agree record for record, checksums and votes included.
func (s *MemStore) checkShared() error {
	if s == nil || !s.verify {
		return nil
	}
	for i := range s.segs {
		m := &s.segs[i]
		if m.log == nil {
			continue
		}
		mine, log := m.recs.flat(), *m.log
		if len(mine) != len(log) {
			return fmt.Errorf("s%d: the shared log holds %d records, the disk %d", m.meta.ID, len(log), len(mine))
		}
		for j := range mine {
			a, b := &mine[j], &log[j]
			if a.sum() != b.sum() || a.Claimed != b.Claimed || !reflect.DeepEqual(a.Rec, b.Rec) {
				return fmt.Errorf("s%d: record %d of the shared log is %+v, on disk %+v", m.meta.ID, j, *b, *a)
			}
		}
	}
	return nil
}

// The checker above is only worth what it catches: a node that changes
// its log without telling the store, or tells the store of a change its
// log does not make, is found out.
func TestCheckSharedCatchesDivergence(t *testing.T) {
	w := newWorld(t, worldOpts{cfg: quietConfig()})
	w.w.send(w.w.puts(6, 2), 0, 1, 2, 3, 4, 5)
	w.run(10 * ms)
	n, s := w.nodes[0], w.seg(0)
	if s.Len() != 6 {
		t.Fatalf("segment holds %d records, want 6", s.Len())
	}
	if err := n.mem.checkShared(); err != nil {
		t.Fatalf("before any change: %v", err)
	}

	// The log loses its top record behind the store's back.
	saved := s.log
	s.log = s.log[:5]
	if err := n.mem.checkShared(); err == nil {
		t.Fatal("a record dropped from the log alone went unnoticed")
	}
	s.log = saved

	// The store is told of a drop the log does not make.
	n.store.Write(&Change{Kind: ChangeDrop, Seg: s.ID, From: redo.NoLSN, To: s.log[0].Rec.LSN})
	if err := n.mem.checkShared(); err == nil {
		t.Fatal("a drop written to the store alone went unnoticed")
	}
}

// A shared log stands for the disk: a crash reloads the node from it, and
// the reloaded log is a copy that the store then shares in its place.
func TestSharedLogSurvivesCrash(t *testing.T) {
	w := newWorld(t, worldOpts{cfg: quietConfig()})
	w.w.send(w.w.puts(40, 4), 0, 1, 2, 3, 4, 5)
	w.run(20 * ms)
	s := w.seg(2)
	before := s.log
	want := w.nodes[2].Store().Load().Segments[0].Records
	if len(want) == 0 {
		t.Fatal("nothing on disk to survive the crash")
	}
	w.crash(2)
	if &s.log[0] == &before[0] {
		t.Fatal("the reloaded log shares the crashed incarnation's array")
	}
	if got := w.nodes[2].Store().Load().Segments[0].Records; !reflect.DeepEqual(got, want) {
		t.Fatalf("disk after the crash holds %d records, before %d", len(got), len(want))
	}
	w.restart(2)
	w.w.send(w.w.puts(5, 4), 0, 1, 2, 3, 4, 5)
	w.run(20 * ms)
	if got := len(w.nodes[2].Store().Load().Segments[0].Records); got != len(want)+5 {
		t.Fatalf("disk after the restart and five more records holds %d records, want %d", got, len(want)+5)
	}
}
