package quorum

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Segment IDs for the standard tests, named by AZ letter and index as the
// UI names nodes.
const (
	a1 Member = iota + 1
	a2
	b1
	b2
	c1
	c2
	g1 // a replacement
	h1 // another replacement
)

// Segment IDs for the SIGMOD'18 §4.1 walk-through, named by its letters.
const (
	A Member = iota + 101
	B
	C
	D
	E
	F
	G
	H
	I
	J
)

func name(m Member) string {
	switch {
	case m >= a1 && m <= h1:
		return [...]string{"a1", "a2", "b1", "b2", "c1", "c2", "g1", "h1"}[m-a1]
	case m >= A && m <= J:
		return string(rune('A' + m - A))
	}
	return m.String()
}

func standard() Membership { return Standard(1, [6]Member{a1, a2, b1, b2, c1, c2}) }

func abcdef() Membership { return Standard(1, [6]Member{A, B, C, D, E, F}) }

// fullTail has one full and one tail segment in each AZ.
func fullTail() Membership { return FullTail(1, [3]Member{a1, b1, c1}, [3]Member{a2, b2, c2}) }

// must returns m, panicking on err: for transitions a test expects to work.
func must(m Membership, err error) Membership {
	if err != nil {
		panic(err)
	}
	return m
}

// upExcept returns the set of every member of m but down.
func upExcept(m Membership, down ...Member) Set { return m.All() &^ m.SetOf(down...) }

type stateCase struct {
	name      string
	down      []Member
	write     bool
	read      bool
	wantState State
}

func runStateCases(t *testing.T, m Membership, cases []stateCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := upExcept(m, tc.down...)
			if got := m.WriteOK(up); got != tc.write {
				t.Errorf("WriteOK(%s) = %v, want %v", m.DescribeSet(up, name), got, tc.write)
			}
			if got := m.ReadOK(up); got != tc.read {
				t.Errorf("ReadOK(%s) = %v, want %v", m.DescribeSet(up, name), got, tc.read)
			}
			if got := m.State(up); got != tc.wantState {
				t.Errorf("State(%s) = %v, want %v", m.DescribeSet(up, name), got, tc.wantState)
			}
		})
	}
}

// Reference: SIGMOD'17 §2.1. Losing any two segments, a whole AZ included,
// keeps writes; losing an AZ and one more keeps reads; a fourth loss leaves
// no read quorum.
func TestStandardStates(t *testing.T) {
	runStateCases(t, standard(), []stateCase{
		{"all up", nil, true, true, ReadWrite},
		{"one segment down", []Member{b2}, true, true, ReadWrite},
		{"AZ a down", []Member{a1, a2}, true, true, ReadWrite},
		{"two segments in different AZs down", []Member{a1, c2}, true, true, ReadWrite},
		{"AZ a plus one down", []Member{a1, a2, b1}, false, true, ReadOnly},
		{"one per AZ down", []Member{a1, b1, c1}, false, true, ReadOnly},
		{"four down", []Member{a1, a2, b1, c1}, false, false, Unavailable},
		{"all down", []Member{a1, a2, b1, b2, c1, c2}, false, false, Unavailable},
	})
}

// Reference: SIGMOD'17 §2.1 (Vw = 4, Vr = 3 of V = 6), checked over every
// subset.
func TestStandardCounts(t *testing.T) {
	m := standard()
	for s := Set(0); s <= m.All(); s++ {
		if got, want := m.WriteOK(s), s.Count() >= 4; got != want {
			t.Errorf("WriteOK(%s) = %v, want %v", m.DescribeSet(s, name), got, want)
		}
		if got, want := m.ReadOK(s), s.Count() >= 3; got != want {
			t.Errorf("ReadOK(%s) = %v, want %v", m.DescribeSet(s, name), got, want)
		}
	}
}

// Reference: SIGMOD'18 §4.2. Write = 4/6 OR 3/3 full; read = 3/6 AND 1/3
// full.
func TestFullTailStates(t *testing.T) {
	m := fullTail()
	if got, want := m.DescribeSet(m.Full(), name), "a1 b1 c1"; got != want {
		t.Fatalf("Full() = %s, want %s", got, want)
	}
	runStateCases(t, m, []stateCase{
		{"all up", nil, true, true, ReadWrite},
		{"AZ a down", []Member{a1, a2}, true, true, ReadWrite},
		{"only the three full up: 3/3 full writes", []Member{a2, b2, c2}, true, true, ReadWrite},
		{"only the three tails up: no full to read", []Member{a1, b1, c1}, false, false, Unavailable},
		{"two full and two tails up", []Member{a1, a2}, true, true, ReadWrite},
		{"one full and three tails up", []Member{a1, b1}, true, true, ReadWrite},
		{"AZ a plus a full down", []Member{a1, a2, b1}, false, true, ReadOnly},
		{"AZ a plus a tail down", []Member{a1, a2, b2}, false, true, ReadOnly},
		{"two full up", []Member{a1, a2, b2, c2}, false, false, Unavailable},
		{"one full and one tail up", []Member{a1, a2, b1, b2}, false, false, Unavailable},
	})
}

// Reference: SIGMOD'18 §4.1, Fig. 5. While F is replaced by G, a write needs
// 4/6 of ABCDEF and 4/6 of ABCDEG, a read 3/6 of either.
func TestDualStates(t *testing.T) {
	m := must(abcdef().Replace(F, G))
	runStateCases(t, m, []stateCase{
		{"all up", nil, true, true, ReadWrite},
		{"F down", []Member{F}, true, true, ReadWrite},
		{"F and G down: ABCDE", []Member{F, G}, true, true, ReadWrite},
		{"ABCD alone", []Member{E, F, G}, true, true, ReadWrite},
		{"CDEF: 4/6 of ABCDEF only", []Member{A, B, G}, false, true, ReadOnly},
		{"ABCG: 3/6 of ABCDEG reads", []Member{D, E, F}, false, true, ReadOnly},
		{"ABG: 3/6 of ABCDEG reads", []Member{C, D, E, F}, false, true, ReadOnly},
		{"AB", []Member{C, D, E, F, G}, false, false, Unavailable},
		{"EFG", []Member{A, B, C, D}, false, false, Unavailable},
	})
}

// Reference: SIGMOD'18 §4.1: with E replaced by H during F→G, "writing to
// ABCD alone satisfies all of them".
func TestNestedStates(t *testing.T) {
	m := must(must(abcdef().Replace(F, G)).Replace(E, H))
	runStateCases(t, m, []stateCase{
		{"all up", nil, true, true, ReadWrite},
		{"ABCD alone", []Member{E, F, G, H}, true, true, ReadWrite},
		{"ABCGH: misses 4/6 of ABCDEF", []Member{D, E, F}, false, true, ReadOnly},
		{"ABCEF: misses 4/6 of ABCDGH", []Member{D, G, H}, false, true, ReadOnly},
		{"AGH: 3/6 of ABCDGH reads", []Member{B, C, D, E, F}, false, true, ReadOnly},
		{"EFGH", []Member{A, B, C, D}, false, false, Unavailable},
	})
}

func TestStateString(t *testing.T) {
	for _, tc := range []struct {
		s    State
		want string
	}{
		{Unavailable, "unavailable"},
		{ReadOnly, "read-only"},
		{ReadWrite, "read-write"},
		{State(9), "state(9)"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("State(%d).String() = %q, want %q", tc.s, got, tc.want)
		}
	}
	var zero State
	if zero != Unavailable {
		t.Errorf("zero State = %v, want unavailable", zero)
	}
}

func TestDescribe(t *testing.T) {
	m := Standard(3, [6]Member{a1, a2, b1, b2, c1, c2})
	dual := must(m.Replace(c2, g1))
	nested := must(dual.Replace(c1, h1))
	ft := FullTail(1, [3]Member{a1, b1, c1}, [3]Member{a2, b2, c2})
	for _, tc := range []struct {
		got, want string
	}{
		{m.Describe(name), "epoch 3: 4/6 of a1 a2 b1 b2 c1 c2"},
		{dual.Describe(name), "epoch 4: 4/6 of a1 a2 b1 b2 c1 c2 AND 4/6 of a1 a2 b1 b2 c1 g1; replacing c2 with g1"},
		{nested.Describe(name), "epoch 5: 4/6 of a1 a2 b1 b2 c1 c2 AND 4/6 of a1 a2 b1 b2 c1 g1" +
			" AND 4/6 of a1 a2 b1 b2 c2 h1 AND 4/6 of a1 a2 b1 b2 g1 h1; replacing c2 with g1, c1 with h1"},
		{ft.Describe(name), "epoch 1: (4/6 of a1 b1 c1 a2 b2 c2 OR 3/3 of a1 b1 c1)"},
		{must(ft.Replace(a1, g1)).Describe(name), "epoch 2: (4/6 of a1 b1 c1 a2 b2 c2 OR 3/3 of a1 b1 c1)" +
			" AND (4/6 of b1 c1 a2 b2 c2 g1 OR 3/3 of b1 c1 g1); replacing a1 with g1"},
		{m.String(), "epoch 3: 4/6 of s1 s2 s3 s4 s5 s6"},
		{Membership{}.String(), "epoch 0: no members"},
		{m.DescribeSet(m.SetOf(a2, c1), name), "a2 c1"},
		{m.DescribeSet(0, name), "none"},
		{m.DescribeSet(m.SetOf(a1), nil), "s1"},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %q\nwant %q", tc.got, tc.want)
		}
	}
}

// configs renders m's configurations, one string each.
func configs(m Membership) []string {
	var out []string
	for _, c := range m.Configurations() {
		out = append(out, strings.ReplaceAll(m.DescribeSet(c, name), " ", ""))
	}
	return out
}

// Reference: SIGMOD'18 §4.1, Fig. 5: ABCDEF → {ABCDEF, ABCDEG} → either
// ABCDEG (complete) or ABCDEF (revert, F came back); with E also replaced
// by H, {ABCDEF, ABCDEG, ABCDFH, ABCDGH}. Every transition bumps the epoch.
func TestTransitions(t *testing.T) {
	m := abcdef()
	dual := must(m.Replace(F, G))
	nested := must(dual.Replace(E, H))
	for _, tc := range []struct {
		name    string
		got     Membership
		epoch   uint64
		configs []string
		members string
		added   string
		changes []Change
	}{
		{"start", m, 1, []string{"ABCDEF"}, "A B C D E F", "none", nil},
		{"replace F by G", dual, 2, []string{"ABCDEF", "ABCDEG"}, "A B C D E F G", "G", []Change{{F, G}}},
		{"complete G", must(dual.Complete(G)), 3, []string{"ABCDEG"}, "A B C D E G", "none", nil},
		{"revert G", must(dual.Revert(G)), 3, []string{"ABCDEF"}, "A B C D E F", "none", nil},
		{"replace E by H too", nested, 3, []string{"ABCDEF", "ABCDEG", "ABCDFH", "ABCDGH"},
			"A B C D E F G H", "G H", []Change{{F, G}, {E, H}}},
		{"nested, complete G", must(nested.Complete(G)), 4, []string{"ABCDEG", "ABCDGH"},
			"A B C D E G H", "H", []Change{{E, H}}},
		{"nested, revert G", must(nested.Revert(G)), 4, []string{"ABCDEF", "ABCDFH"},
			"A B C D E F H", "H", []Change{{E, H}}},
		{"nested, complete H", must(nested.Complete(H)), 4, []string{"ABCDFH", "ABCDGH"},
			"A B C D F G H", "G", []Change{{F, G}}},
		{"nested, complete G then H", must(must(nested.Complete(G)).Complete(H)), 5,
			[]string{"ABCDGH"}, "A B C D G H", "none", nil},
		{"nested, revert H then complete G", must(must(nested.Revert(H)).Complete(G)), 5,
			[]string{"ABCDEG"}, "A B C D E G", "none", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.got
			if m.Epoch() != tc.epoch {
				t.Errorf("epoch = %d, want %d", m.Epoch(), tc.epoch)
			}
			if got := configs(m); !slices.Equal(got, tc.configs) {
				t.Errorf("configurations = %v, want %v", got, tc.configs)
			}
			if got := m.DescribeSet(m.All(), name); got != tc.members {
				t.Errorf("members = %s, want %s", got, tc.members)
			}
			if got := m.DescribeSet(m.Added(), name); got != tc.added {
				t.Errorf("Added() = %s, want %s", got, tc.added)
			}
			if got := m.Changes(); !slices.Equal(got, tc.changes) {
				t.Errorf("Changes() = %v, want %v", got, tc.changes)
			}
		})
	}
}

// A change that has run its course leaves the same membership as one built
// directly, so == sees no leftovers in unused slots.
func TestTransitionsAreCanonical(t *testing.T) {
	m := abcdef()
	dual := must(m.Replace(F, G))
	if got, want := must(dual.Revert(G)), Standard(3, [6]Member{A, B, C, D, E, F}); got != want {
		t.Errorf("replace then revert = %v, want %v", got, want)
	}
	if got, want := must(dual.Complete(G)), Standard(3, [6]Member{A, B, C, D, E, G}); got != want {
		t.Errorf("replace then complete = %v, want %v", got, want)
	}
	nested := must(dual.Replace(E, H))
	if got, want := must(must(nested.Complete(H)).Complete(G)), Standard(5, [6]Member{A, B, C, D, G, H}); got != want {
		t.Errorf("nested complete H, G = %v, want %v", got, want)
	}
	if got, want := must(must(nested.Revert(G)).Revert(H)), Standard(5, [6]Member{A, B, C, D, E, F}); got != want {
		t.Errorf("nested revert G, H = %v, want %v", got, want)
	}
	ft := fullTail()
	done := must(must(ft.Replace(b1, g1)).Complete(g1))
	if got, want := done.DescribeSet(done.Full(), name), "a1 c1 g1"; got != want {
		t.Errorf("full segments after replacing b1 by g1 = %s, want %s", got, want)
	}
	if got, want := done.Describe(name), "epoch 3: (4/6 of a1 c1 a2 b2 c2 g1 OR 3/3 of a1 c1 g1)"; got != want {
		t.Errorf("after replacing b1 by g1: %s, want %s", got, want)
	}
}

func TestTransitionErrors(t *testing.T) {
	m := abcdef()
	dual := must(m.Replace(F, G))
	four := dual
	for _, r := range [][2]Member{{E, H}, {D, I}, {C, J}} {
		four = must(four.Replace(r[0], r[1]))
	}
	for _, tc := range []struct {
		name string
		do   func(Membership) (Membership, error)
		on   Membership
		want error
	}{
		{"replace a non-member", func(m Membership) (Membership, error) { return m.Replace(J, G) }, m, ErrNotMember},
		{"replace by a member", func(m Membership) (Membership, error) { return m.Replace(F, A) }, m, ErrAlreadyMember},
		{"replace the leaving member again", func(m Membership) (Membership, error) { return m.Replace(F, H) }, dual, ErrChanging},
		{"replace the newcomer", func(m Membership) (Membership, error) { return m.Replace(G, H) }, dual, ErrChanging},
		{"fifth change", func(m Membership) (Membership, error) { return m.Replace(B, 999) }, four, ErrTooManyChanges},
		{"complete with no change", func(m Membership) (Membership, error) { return m.Complete(A) }, dual, ErrNoChange},
		{"complete the leaving member", func(m Membership) (Membership, error) { return m.Complete(F) }, dual, ErrNoChange},
		{"complete a non-member", func(m Membership) (Membership, error) { return m.Complete(J) }, dual, ErrNotMember},
		{"revert with no change", func(m Membership) (Membership, error) { return m.Revert(A) }, m, ErrNoChange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.do(tc.on)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got != tc.on {
				t.Errorf("failed transition changed the membership: %v", got)
			}
		})
	}
	if got := four.Len(); got != 10 {
		t.Errorf("four changes: %d slots, want 10", got)
	}
	if got := len(four.Configurations()); got != MaxConfigs {
		t.Errorf("four changes: %d configurations, want %d", got, MaxConfigs)
	}
}

// Membership is a value: copies and transitions never alias.
func TestValueSemantics(t *testing.T) {
	m := abcdef()
	saved := m
	dual := must(m.Replace(F, G))
	_ = must(dual.Replace(E, H))
	_ = must(dual.Complete(G))
	if m != saved {
		t.Errorf("Replace changed its receiver: %v", m)
	}
	if got := configs(dual); !slices.Equal(got, []string{"ABCDEF", "ABCDEG"}) {
		t.Errorf("later transitions changed an earlier membership: %v", got)
	}
	members := m.Members()
	members[0] = J
	cfgs := dual.Configurations()
	cfgs[0] = 0
	changes := dual.Changes()
	changes[0].New = J
	if m != saved || dual.Member(0) != A || dual.Configurations()[0] == 0 || dual.Changes()[0].New != G {
		t.Error("a returned slice aliases the membership")
	}
}

func TestSlots(t *testing.T) {
	m := must(abcdef().Replace(C, G))
	if got := m.Len(); got != 7 {
		t.Fatalf("Len() = %d, want 7", got)
	}
	if i, ok := m.Slot(G); !ok || i != 6 {
		t.Errorf("Slot(G) = %d, %v; want 6, true", i, ok)
	}
	if i, ok := m.Slot(J); ok || i != -1 {
		t.Errorf("Slot(J) = %d, %v; want -1, false", i, ok)
	}
	if got, want := m.SetOf(A, G, J), Set(1<<0|1<<6); got != want {
		t.Errorf("SetOf(A, G, J) = %b, want %b", got, want)
	}
	if got := m.All(); got != 0x7f {
		t.Errorf("All() = %b, want 1111111", got)
	}
	if !m.SetOf(D).Has(3) || m.SetOf(D).Has(4) || Set(0xffff).Has(16) || Set(1).Has(-1) {
		t.Error("Set.Has is wrong")
	}
	if got := m.Members(); !slices.Equal(got, []Member{A, B, C, D, E, F, G}) {
		t.Errorf("Members() = %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("Member(7) did not panic")
		}
	}()
	m.Member(7)
}

func TestConstructorsRejectDuplicates(t *testing.T) {
	for _, f := range []func(){
		func() { Standard(1, [6]Member{A, B, C, D, E, A}) },
		func() { FullTail(1, [3]Member{A, B, C}, [3]Member{D, E, C}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("duplicate member did not panic")
				}
			}()
			f()
		}()
	}
}

// Remap carries a set across a transition by member, dropping those that
// left; slots move when a member leaves.
func TestRemap(t *testing.T) {
	m := abcdef()
	dual := must(m.Replace(C, G))
	done := must(dual.Complete(G))
	acked := dual.SetOf(A, C, D, G)
	got := done.Remap(acked, dual)
	if want := done.SetOf(A, D, G); got != want {
		t.Errorf("Remap = %s, want %s", done.DescribeSet(got, name), done.DescribeSet(want, name))
	}
	if i, _ := done.Slot(D); i != 2 {
		t.Errorf("D in slot %d after C left, want 2", i)
	}
	if got := dual.Remap(m.All(), m); got != dual.SetOf(A, B, C, D, E, F) {
		t.Errorf("Remap forward = %s", dual.DescribeSet(got, name))
	}
}

func TestZeroMembership(t *testing.T) {
	var m Membership
	if m.WriteOK(0xffff) || m.ReadOK(0xffff) || m.State(0xffff) != Unavailable {
		t.Error("zero Membership has a quorum")
	}
	if got := m.CompleteLSN([]uint64{5, 5, 5, 5, 5, 5}); got != 0 {
		t.Errorf("zero Membership CompleteLSN = %d, want 0", got)
	}
	if m.Len() != 0 || m.All() != 0 {
		t.Error("zero Membership has members")
	}
}
