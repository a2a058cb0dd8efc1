package quorum

import "testing"

// quorums enumerates every subset of m's slots and returns the write and
// the read quorums among them.
func quorums(m Membership) (writes, reads []Set) {
	for s := Set(0); s <= m.All(); s++ {
		if m.WriteOK(s) {
			writes = append(writes, s)
		}
		if m.ReadOK(s) {
			reads = append(reads, s)
		}
		if s == m.All() {
			break // All() may be 0xffff
		}
	}
	return writes, reads
}

type shape struct {
	name string
	m    Membership
}

// shapes returns every membership shape the tests brute-force, and the
// transitions between them, each from epoch e to e+1.
func shapes() ([]shape, [][2]shape) {
	std := shape{"standard ABCDEF", abcdef()}
	dual := shape{"replacing F by G", must(std.m.Replace(F, G))}
	nested := shape{"replacing F by G and E by H", must(dual.m.Replace(E, H))}
	triple := shape{"replacing F by G, E by H, D by I", must(nested.m.Replace(D, I))}
	quad := shape{"four changes", must(triple.m.Replace(C, J))}
	completed := shape{"completed: ABCDEG", must(dual.m.Complete(G))}
	reverted := shape{"reverted: ABCDEF", must(dual.m.Revert(G))}
	nestedG := shape{"nested, G completed", must(nested.m.Complete(G))}
	nestedRG := shape{"nested, G reverted", must(nested.m.Revert(G))}
	nestedH := shape{"nested, H completed", must(nested.m.Complete(H))}
	nestedGH := shape{"nested, G then H completed", must(nestedG.m.Complete(H))}
	ft := shape{"full/tail", FullTail(1, [3]Member{A, B, C}, [3]Member{D, E, F})}
	ftFull := shape{"full/tail replacing full A by G", must(ft.m.Replace(A, G))}
	ftTail := shape{"full/tail replacing tail F by G", must(ft.m.Replace(F, G))}
	ftNested := shape{"full/tail replacing A by G and F by H", must(ftFull.m.Replace(F, H))}
	ftDone := shape{"full/tail, G completed", must(ftFull.m.Complete(G))}
	ftBack := shape{"full/tail, G reverted", must(ftFull.m.Revert(G))}
	ftNestedG := shape{"full/tail nested, G completed", must(ftNested.m.Complete(G))}

	all := []shape{std, dual, nested, triple, quad, completed, reverted, nestedG, nestedRG, nestedH, nestedGH,
		ft, ftFull, ftTail, ftNested, ftDone, ftBack, ftNestedG}
	transitions := [][2]shape{
		{std, dual}, {dual, nested}, {nested, triple}, {triple, quad},
		{dual, completed}, {dual, reverted},
		{nested, nestedG}, {nested, nestedRG}, {nested, nestedH}, {nestedG, nestedGH},
		{ft, ftFull}, {ft, ftTail}, {ftFull, ftNested},
		{ftFull, ftDone}, {ftFull, ftBack}, {ftNested, ftNestedG},
	}
	return all, transitions
}

// Reference: SIGMOD'17 §2.1 (Vr+Vw > V, Vw > V/2), SIGMOD'18 §4.1 (quorum
// sets) and §4.2 (full/tail: "at least one full segment sees each write").
// Every write set meets every read set and every other write set, in every
// shape a membership can take.
func TestIntersectionWithinMembership(t *testing.T) {
	all, _ := shapes()
	for _, sh := range all {
		t.Run(sh.name, func(t *testing.T) {
			m := sh.m
			writes, reads := quorums(m)
			if len(writes) == 0 || len(reads) == 0 {
				t.Fatalf("%v: %d write and %d read quorums", m, len(writes), len(reads))
			}
			for _, w := range writes {
				for _, r := range reads {
					if w&r == 0 {
						t.Fatalf("%v: write %s misses read %s", m, m.DescribeSet(w, name), m.DescribeSet(r, name))
					}
				}
				for _, w2 := range writes {
					if w&w2 == 0 {
						t.Fatalf("%v: write %s misses write %s", m, m.DescribeSet(w, name), m.DescribeSet(w2, name))
					}
				}
				if m.Full() != 0 && w&m.Full() == 0 {
					t.Fatalf("%v: write %s reaches no full segment", m, m.DescribeSet(w, name))
				}
			}
		})
	}
}

// Reference: SIGMOD'18 §4.1: writes and reads at epoch e+1 must meet the
// writes made at epoch e, so no transition loses a write.
//
// Writes always do. Reads do for Complete and Revert, but not for Replace
// when the newcomer counts: {A, B, G} is a read quorum of {ABCDEF, ABCDEG}
// and misses the epoch-e write {C, D, E, F}. The paper's rule relies on G
// being hydrated before it serves a read, so for Replace the check leaves
// the newcomer out of the read, as the caller must (see Added);
// TestReplaceReadNeedsHydration pins the counterexample.
func TestIntersectionAcrossTransitions(t *testing.T) {
	_, transitions := shapes()
	for _, tr := range transitions {
		old, next := tr[0].m, tr[1].m
		t.Run(tr[0].name+" → "+tr[1].name, func(t *testing.T) {
			if next.Epoch() != old.Epoch()+1 {
				t.Fatalf("epoch %d → %d", old.Epoch(), next.Epoch())
			}
			oldWrites, _ := quorums(old)
			newWrites, newReads := quorums(next)
			for _, w := range newWrites {
				w := old.Remap(w, next)
				for _, ow := range oldWrites {
					if w&ow == 0 {
						t.Fatalf("new write %s misses old write %s", old.DescribeSet(w, name), old.DescribeSet(ow, name))
					}
				}
			}
			added := next.Added() &^ next.Remap(old.Added(), old)
			for _, r := range newReads {
				if added != 0 { // only Replace adds a member
					if r &^= added; !next.ReadOK(r) {
						continue
					}
				}
				r := old.Remap(r, next)
				for _, ow := range oldWrites {
					if r&ow == 0 {
						t.Fatalf("new read %s misses old write %s", old.DescribeSet(r, name), old.DescribeSet(ow, name))
					}
				}
			}
		})
	}
}

// Reference: SIGMOD'18 §4.1. The composite read rule (3/6 of ABCDEF OR 3/6
// of ABCDEG) is only safe across the Replace transition once G is
// hydrated: counting an empty G, {A, B, G} reads and misses {C, D, E, F},
// a write quorum of the epoch before.
func TestReplaceReadNeedsHydration(t *testing.T) {
	old := abcdef()
	next := must(old.Replace(F, G))
	abg := next.SetOf(A, B, G)
	if !next.ReadOK(abg) {
		t.Fatal("ABG is not a read quorum of {ABCDEF, ABCDEG}")
	}
	cdef := old.SetOf(C, D, E, F)
	if !old.WriteOK(cdef) {
		t.Fatal("CDEF is not a write quorum of ABCDEF")
	}
	if old.Remap(abg, next)&cdef != 0 {
		t.Fatal("ABG meets CDEF")
	}
	if next.ReadOK(abg &^ next.Added()) {
		t.Error("AB without the newcomer is still a read quorum")
	}
}
