package cluster

import (
	"slices"
	"testing"

	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/wire"
)

// need is how far a newcomer's log must reach before a membership change
// completes: the highest LSN that the accepting old members at or above
// it, with the members that never answered, make a write quorum of. It
// is checked here against the cases that matter: a stale peer among the
// acceptors, a member that never answered, and a recovery that annulled
// records an acceptor still counted.
func TestChangeNeed(t *testing.T) {
	from := quorum.Standard(1, [quorum.Replicas]quorum.Member{1, 2, 3, 4, 5, 6})
	accept := func(ch *change, slot int, clean uint64, scls ...redo.LSN) {
		ch.accepted |= 1 << slot
		ch.accSCLs[slot], ch.accClean[slot] = scls, clean
	}
	for _, tc := range []struct {
		name  string
		setup func(ch *change)
		want  []redo.LSN
	}{{
		// a1 and a2 missed 13..18 while down; b1 (slot 2) is the one being
		// replaced and never answered. Any write quorum holding 18 has at
		// least two of b2, c1, c2.
		name: "stale peers and a silent member",
		setup: func(ch *change) {
			accept(ch, 0, 1, 12)
			accept(ch, 1, 1, 12)
			accept(ch, 3, 1, 18)
			accept(ch, 4, 1, 18)
			accept(ch, 5, 1, 18)
		},
		want: []redo.LSN{18},
	}, {
		// Only one member reached 30: no write quorum can hold 30 (the
		// two silent ones and it are three), but b2 and c1 with the two
		// silent ones may hold 20.
		name: "a lone member ahead",
		setup: func(ch *change) {
			accept(ch, 0, 1, 10)
			accept(ch, 3, 1, 20)
			accept(ch, 4, 1, 20)
			accept(ch, 5, 1, 30)
		},
		want: []redo.LSN{20},
	}, {
		// c1 and c2 counted records 21..25 that a recovery at epoch 2,
		// which they had not heard of, annulled: the newcomer needs only
		// what survives below the range. b2 knew of it.
		name: "annulled records",
		setup: func(ch *change) {
			accept(ch, 0, 1, 10)
			accept(ch, 3, 2, 20)
			accept(ch, 4, 1, 25)
			accept(ch, 5, 1, 25)
			ch.truncs = []wire.Truncation{{Epoch: 2, From: 21, To: 1020}}
		},
		want: []redo.LSN{20},
	}, {
		// Each writer stream of a multi-master volume has its own chain.
		name: "streams",
		setup: func(ch *change) {
			accept(ch, 0, 1, 10, 7)
			accept(ch, 1, 1, 10, 9)
			accept(ch, 3, 1, 12, 9)
			accept(ch, 4, 1, 12)
		},
		want: []redo.LSN{12, 9},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ch := &change{from: from}
			tc.setup(ch)
			if got := ch.need(); !slices.Equal(got, tc.want) {
				t.Fatalf("need %v, want %v", got, tc.want)
			}
		})
	}
}
