package volume

import (
	"testing"

	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// A recovery that begins during a membership change follows the change:
// when the membership moves on, it counts quorums of the new one. Here
// the PG is replacing s6 by s7, and s4, s5 and s6 are down: the old
// membership has no write quorum, so the truncation can never be recorded
// on one. Once the change completes (s7 is full), the four members left
// up are a write quorum of the new membership, and the recovery finishes.
func TestRecoveryFollowsMembership(t *testing.T) {
	e := &env{rand: sim.NewRand(1)}
	members := []Member{}
	var ids [quorum.Replicas]quorum.Member
	for i := range 6 {
		ids[i] = quorum.Member(i + 1)
		members = append(members, Member{Seg: uint32(i + 1), Node: sim.NodeID(i), Full: true})
	}
	old := quorum.Standard(1, ids)
	dual, err := old.Replace(6, 7)
	if err != nil {
		t.Fatal(err)
	}
	g := Member{Seg: 7, Node: 6, Full: true}
	// membersOf lists the segments of q in its slot order.
	membersOf := func(q quorum.Membership) []Member {
		var out []Member
		for _, id := range q.Members() {
			if id == 7 {
				out = append(out, g)
			} else {
				out = append(out, members[id-1])
			}
		}
		return out
	}
	r := StartRecovery(e, 9, 0, 1, 0, []PGSpec{{ID: 1, Quorum: dual, Members: membersOf(dual)}}, 2, 100, sim.Millisecond)
	reply := func(seg uint32, body any) bool {
		return r.Handle(e, &wire.Msg{Kind: wire.ControlReply, PG: 1, Seg: seg, VolEpoch: 2, Body: body})
	}
	// The newcomer s7, then s1, s2 and s3 answer the read: a read quorum
	// of both halves of the dual membership.
	for _, seg := range []uint32{7, 1, 2, 3} {
		reply(seg, &wire.RecoverInfo{SCL: 10, KnownVDL: 10, Floor: 10, FloorHead: 10})
	}
	if r.Phase() == "" || r.VDL() != 10 {
		t.Fatalf("after the read: phase %q, VDL %d", r.Phase(), r.VDL())
	}
	for _, seg := range []uint32{1, 2, 3, 7} {
		if reply(seg, &wire.TruncateDone{SCL: 10, Epoch: 2}) {
			t.Fatalf("finished on s%d without a write quorum of the old membership", seg)
		}
	}
	final, err := dual.Complete(7)
	if err != nil {
		t.Fatal(err)
	}
	if !r.SetMembership(e, 1, final, membersOf(final)) {
		t.Fatalf("the recovery did not finish with the new membership: %s", r.Phase())
	}
	v := r.Open(Config{LAL: 100}, 0)
	if p := v.PG(redo.PGID(1)); p.Quorum.Epoch() != final.Epoch() || len(p.Members) != 6 || p.Members[5].Seg != 7 {
		t.Fatalf("the volume opened with membership %v, %v", p.Quorum, p.Members)
	}
}
