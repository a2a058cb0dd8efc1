package quorum

import (
	"math/rand/v2"
	"testing"
)

// Reference: SIGMOD'17 §4.1: PGCL advances once SCL has advanced at 4 of
// 6, that is to the 4th highest SCL. The first two rows are PG1 and PG2 of
// SIGMOD'18 Fig. 3: PGCL 103 (105 lacks quorum) and 104 (106 lacks quorum).
func TestCompleteLSNStandard(t *testing.T) {
	m := standard()
	for _, tc := range []struct {
		scl  []uint64
		want uint64
	}{
		{[]uint64{105, 105, 103, 103, 103, 101}, 103},
		{[]uint64{104, 106, 104, 106, 104, 102}, 104},
		{[]uint64{1, 2, 3, 4, 5, 6}, 3},
		{[]uint64{6, 5, 4, 3, 2, 1}, 3},
		{[]uint64{7, 7, 7, 7, 7, 7}, 7},
		{[]uint64{9, 9, 9, 0, 0, 0}, 0},                // AZ+1 down: nothing completes
		{[]uint64{0, 0, 9, 9, 9, 9}, 9},                // AZ a down: the other four carry it
		{[]uint64{9, 9, 9}, 0},                         // missing slots count as 0
		{[]uint64{1, 2, 3, 4, 5, 6, 100, 100, 100}, 3}, // slots past Len() are ignored
		{nil, 0},
	} {
		if got := m.CompleteLSN(tc.scl); got != tc.want {
			t.Errorf("CompleteLSN(%v) = %d, want %d", tc.scl, got, tc.want)
		}
	}
}

// Reference: SIGMOD'18 §4.2 (write = 4/6 OR 3/3 full) and §4.1 (write =
// AND over the configurations).
func TestCompleteLSNComposite(t *testing.T) {
	ft := fullTail() // slots: a1 b1 c1 full, a2 b2 c2 tail
	dual := must(abcdef().Replace(F, G))
	nested := must(dual.Replace(E, H))
	for _, tc := range []struct {
		name string
		m    Membership
		scl  []uint64
		want uint64
	}{
		{"full/tail: the three full alone", ft, []uint64{200, 200, 200, 0, 0, 0}, 200},
		{"full/tail: 4/6 beats the slowest full", ft, []uint64{100, 100, 50, 300, 300, 300}, 100},
		{"full/tail: slowest full beats 4/6", ft, []uint64{80, 90, 70, 10, 10, 10}, 70},
		{"full/tail: tails alone", ft, []uint64{0, 0, 0, 300, 300, 300}, 0},
		{"dual: empty G, all of ABCDEF caught up", dual, []uint64{10, 10, 10, 10, 10, 10, 0}, 10},
		// ABCDEF has 4 at 10, but ABCDEG has only C D E at 10: the AND
		// holds PGCL at 5.
		{"dual: ABCDEG lags", dual, []uint64{5, 5, 10, 10, 10, 10, 0}, 5},
		{"dual: F gone, G hydrated", dual, []uint64{10, 10, 10, 10, 10, 0, 10}, 10},
		{"nested: only ABCD", nested, []uint64{8, 8, 8, 8, 0, 0, 0, 0}, 8},
		{"nested: ABCDGH lags on D", nested, []uint64{8, 8, 8, 3, 8, 8, 0, 0}, 3},
	} {
		if got := tc.m.CompleteLSN(tc.scl); got != tc.want {
			t.Errorf("%s: CompleteLSN(%v) = %d, want %d", tc.name, tc.scl, got, tc.want)
		}
	}
}

// Reference: SIGMOD'17 §4.3: recovery reaches a read quorum and learns
// anything that could have reached a write quorum.
func TestRecoveryLSN(t *testing.T) {
	m := standard()
	scl := []uint64{105, 103, 103, 101, 0, 0}
	if got, ok := m.RecoveryLSN(scl, m.SetOf(a2, b1, b2)); !ok || got != 103 {
		t.Errorf("RecoveryLSN(a2 b1 b2) = %d, %v; want 103, true", got, ok)
	}
	if got, ok := m.RecoveryLSN(scl, m.SetOf(a1, b2, c1)); !ok || got != 105 {
		t.Errorf("RecoveryLSN(a1 b2 c1) = %d, %v; want 105, true", got, ok)
	}
	if _, ok := m.RecoveryLSN(scl, m.SetOf(a1, a2)); ok {
		t.Error("RecoveryLSN(a1 a2) reported a read quorum")
	}
	ft := fullTail()
	if _, ok := ft.RecoveryLSN([]uint64{0, 0, 0, 9, 9, 9}, ft.SetOf(a2, b2, c2)); ok {
		t.Error("full/tail: three tails reported a read quorum (Reference: SIGMOD'18 §4.2)")
	}
	// Every LSN a write quorum completed is at most what any read quorum
	// recovers, for every read quorum. Reference: SIGMOD'17 §2.1, §4.3.
	r := rand.New(rand.NewPCG(17, 18))
	for _, m := range []Membership{standard(), fullTail(), must(abcdef().Replace(F, G))} {
		for range 500 {
			scl := randomSCL(r, m)
			complete := m.CompleteLSN(scl)
			for s := Set(0); s <= m.All(); s++ {
				if !m.ReadOK(s &^ m.Added()) {
					continue
				}
				if got, _ := m.RecoveryLSN(scl, s&^m.Added()); got < complete {
					t.Fatalf("%v: SCLs %v complete to %d but read quorum %s recovers %d",
						m, scl, complete, m.DescribeSet(s, nil), got)
				}
			}
		}
	}
}

// randomMembership returns a membership reached from a standard or
// full/tail start by up to eight random transitions.
func randomMembership(r *rand.Rand) Membership {
	var start [6]Member
	for i, p := range r.Perm(6) {
		start[i] = Member(p + 1)
	}
	var m Membership
	if r.IntN(2) == 0 {
		m = Standard(r.Uint64N(100), start)
	} else {
		m = FullTail(r.Uint64N(100), [3]Member(start[:3]), [3]Member(start[3:]))
	}
	next := Member(100)
	for range r.IntN(9) {
		changes := m.Changes()
		switch op := r.IntN(3); {
		case op == 0 || len(changes) == 0:
			var stable []Member
			for _, x := range m.Members() {
				if m.Added()&m.SetOf(x) == 0 && !leaving(changes, x) {
					stable = append(stable, x)
				}
			}
			if got, err := m.Replace(stable[r.IntN(len(stable))], next); err == nil {
				m = got
			}
			next++
		case op == 1:
			m = must(m.Complete(changes[r.IntN(len(changes))].New))
		default:
			m = must(m.Revert(changes[r.IntN(len(changes))].New))
		}
	}
	return m
}

func leaving(changes []Change, x Member) bool {
	for _, c := range changes {
		if c.Old == x {
			return true
		}
	}
	return false
}

// randomSCL draws SCLs from a small range, so ties and zeros are common.
func randomSCL(r *rand.Rand, m Membership) []uint64 {
	scl := make([]uint64, m.Len())
	for i := range scl {
		scl[i] = r.Uint64N(8)
	}
	return scl
}

// dumbWriteOK evaluates the write rule from its definition, member by
// member.
func dumbWriteOK(m Membership, s Set) bool {
	cfgs := m.Configurations()
	for _, c := range cfgs {
		in, fullIn, full := 0, 0, 0
		for i := range m.Len() {
			if !c.Has(i) {
				continue
			}
			if m.Full().Has(i) {
				full++
			}
			if s.Has(i) {
				in++
				if m.Full().Has(i) {
					fullIn++
				}
			}
		}
		if in < WriteQuorum && (full == 0 || fullIn < full) {
			return false
		}
	}
	return len(cfgs) > 0
}

// dumbReadOK evaluates the read rule from its definition.
func dumbReadOK(m Membership, s Set) bool {
	for _, c := range m.Configurations() {
		in, fullIn := 0, 0
		for i := range m.Len() {
			if c.Has(i) && s.Has(i) {
				in++
				if m.Full().Has(i) {
					fullIn++
				}
			}
		}
		if in >= ReadQuorum && (m.Full() == 0 || fullIn >= FullReadQuorum) {
			return true
		}
	}
	return false
}

// dumbCompleteLSN tries every SCL as a candidate and keeps the highest at
// which the slots that reached it form a write quorum.
func dumbCompleteLSN(m Membership, scl []uint64) uint64 {
	var best uint64
	for _, l := range scl {
		var s Set
		for i, x := range scl {
			if x >= l {
				s |= 1 << i
			}
		}
		if dumbWriteOK(m, s) && l > best {
			best = l
		}
	}
	return best
}

// The optimised rules and CompleteLSN against deliberately dumb versions,
// over random composite memberships (raft's quorum/quick_test.go, done as a
// seeded loop so a failure replays).
func TestAgainstDumb(t *testing.T) {
	const seed = 1
	r := rand.New(rand.NewPCG(seed, seed))
	shapes := map[int]int{} // configurations → count, to show coverage
	for iter := range 20000 {
		m := randomMembership(r)
		shapes[len(m.Configurations())]++
		scl := randomSCL(r, m)
		if got, want := m.CompleteLSN(scl), dumbCompleteLSN(m, scl); got != want {
			t.Fatalf("seed %d iteration %d: %v: CompleteLSN(%v) = %d, dumb %d", seed, iter, m, scl, got, want)
		}
		s := Set(r.Uint32N(1 << m.Len()))
		if got, want := m.WriteOK(s), dumbWriteOK(m, s); got != want {
			t.Fatalf("seed %d iteration %d: %v: WriteOK(%s) = %v, dumb %v", seed, iter, m, m.DescribeSet(s, nil), got, want)
		}
		if got, want := m.ReadOK(s), dumbReadOK(m, s); got != want {
			t.Fatalf("seed %d iteration %d: %v: ReadOK(%s) = %v, dumb %v", seed, iter, m, m.DescribeSet(s, nil), got, want)
		}
	}
	for _, n := range []int{1, 2, 4, 8} {
		if shapes[n] == 0 {
			t.Errorf("no membership with %d configurations was generated", n)
		}
	}
}

var (
	sinkBool  bool
	sinkLSN   uint64
	sinkState State
)

// The hot path does not allocate: PGCL is recomputed on every ack.
func TestHotPathAllocs(t *testing.T) {
	var scl [MaxMembers]uint64
	for i := range scl {
		scl[i] = uint64(100 + i%5)
	}
	for _, m := range []Membership{standard(), fullTail(), must(must(abcdef().Replace(F, G)).Replace(E, H))} {
		up := m.SetOf(A, B, C, D, a1, a2, b1, b2)
		for _, f := range []struct {
			name string
			fn   func()
		}{
			{"WriteOK", func() { sinkBool = m.WriteOK(up) }},
			{"ReadOK", func() { sinkBool = m.ReadOK(up) }},
			{"State", func() { sinkState = m.State(up) }},
			{"CompleteLSN", func() { sinkLSN = m.CompleteLSN(scl[:]) }},
			{"RecoveryLSN", func() { sinkLSN, sinkBool = m.RecoveryLSN(scl[:], up) }},
		} {
			if n := testing.AllocsPerRun(100, f.fn); n != 0 {
				t.Errorf("%v: %s allocates %.1f times per run", m, f.name, n)
			}
		}
	}
}

func BenchmarkCompleteLSN(b *testing.B) {
	dual := must(abcdef().Replace(F, G))
	for _, bc := range []struct {
		name string
		m    Membership
	}{
		{"standard", standard()},
		{"fulltail", fullTail()},
		{"dual", dual},
		{"nested", must(dual.Replace(E, H))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var scl [MaxMembers]uint64
			for i := range scl {
				scl[i] = uint64(1000 + (i*7)%11)
			}
			for i := 0; b.Loop(); i++ {
				scl[i%bc.m.Len()]++ // an ack advances one SCL
				sinkLSN = bc.m.CompleteLSN(scl[:])
			}
		})
	}
}

func BenchmarkWriteOK(b *testing.B) {
	m := must(must(abcdef().Replace(F, G)).Replace(E, H))
	for i := 0; b.Loop(); i++ {
		sinkBool = m.WriteOK(Set(i) & m.All())
	}
}
