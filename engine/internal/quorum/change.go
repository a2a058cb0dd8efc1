package quorum

import (
	"errors"
	"fmt"
	"math/bits"
)

// Errors returned by the membership transitions. They are wrapped with the
// members involved; test for them with errors.Is.
var (
	// ErrNotMember means the member named is not in the membership.
	ErrNotMember = errors.New("quorum: not a member")
	// ErrAlreadyMember means the newcomer named is already in the
	// membership.
	ErrAlreadyMember = errors.New("quorum: already a member")
	// ErrChanging means the member to replace is already part of a change
	// in progress, as the one leaving or the one joining. To give up on a
	// newcomer that failed, Revert it and Replace the original again.
	ErrChanging = errors.New("quorum: member is part of a change in progress")
	// ErrTooManyChanges means MaxChanges replacements are already in
	// progress.
	ErrTooManyChanges = errors.New("quorum: too many changes in progress")
	// ErrTooManyMembers means the membership has no free slot.
	ErrTooManyMembers = errors.New("quorum: too many members")
	// ErrNoChange means the member named is not the newcomer of a change in
	// progress.
	ErrNoChange = errors.New("quorum: no change in progress for member")
)

// Replace begins replacing old by new (SIGMOD'18 §4.1). Every configuration
// that holds old gains a twin holding new instead, so writes must satisfy
// both and reads either; new inherits old's role (full or tail). The result
// has epoch m.Epoch()+1 and new in the last slot; m is unchanged.
//
// It fails if old is not a member, new already is, old is part of a change
// in progress, or MaxChanges are in progress.
func (m Membership) Replace(old, new Member) (Membership, error) {
	o, ok := m.Slot(old)
	if !ok {
		return m, fmt.Errorf("%w: replace %s by %s", ErrNotMember, old, new)
	}
	if _, ok := m.Slot(new); ok {
		return m, fmt.Errorf("%w: replace %s by %s", ErrAlreadyMember, old, new)
	}
	for _, c := range m.changes[:m.nchanges] {
		if int(c.old) == o || int(c.new) == o {
			return m, fmt.Errorf("%w: replace %s by %s during %s -> %s",
				ErrChanging, old, new, m.members[c.old], m.members[c.new])
		}
	}
	if m.nchanges == MaxChanges {
		return m, fmt.Errorf("%w: replace %s by %s", ErrTooManyChanges, old, new)
	}
	if m.n == MaxMembers {
		return m, fmt.Errorf("%w: replace %s by %s", ErrTooManyMembers, old, new)
	}

	next := m
	next.epoch++
	g := int(next.n)
	next.members[g] = new
	next.n++
	if m.full&(1<<o) != 0 {
		next.full |= 1 << g
	}
	next.changes[next.nchanges] = change{old: uint8(o), new: uint8(g)}
	next.nchanges++
	// A member outside every change is in every configuration, so each
	// configuration gets a twin and the count doubles.
	for _, c := range m.configs[:m.nconfigs] {
		if c&(1<<o) == 0 {
			panic(fmt.Sprintf("quorum: %s is in no change but missing from a configuration of %s", old, m))
		}
		next.configs[next.nconfigs] = c&^(1<<o) | 1<<g
		next.nconfigs++
	}
	next.check()
	return next, nil
}

// Complete finishes the change that brought in new: the configurations that
// still hold the member it replaced are dropped, and so is that member. The
// result has epoch m.Epoch()+1; m is unchanged. Complete only once new is
// hydrated (see the package doc).
func (m Membership) Complete(new Member) (Membership, error) {
	k, err := m.findChange(new)
	if err != nil {
		return m, fmt.Errorf("%w: complete %s", err, new)
	}
	return m.finish(k, int(m.changes[k].old)), nil
}

// Revert abandons the change that brought in new, for instance because the
// member it replaced came back: the configurations that hold new are
// dropped, and so is new. The result has epoch m.Epoch()+1; m is unchanged.
func (m Membership) Revert(new Member) (Membership, error) {
	k, err := m.findChange(new)
	if err != nil {
		return m, fmt.Errorf("%w: revert %s", err, new)
	}
	return m.finish(k, int(m.changes[k].new)), nil
}

func (m Membership) findChange(new Member) (int, error) {
	g, ok := m.Slot(new)
	if !ok {
		return 0, ErrNotMember
	}
	for k, c := range m.changes[:m.nchanges] {
		if int(c.new) == g {
			return k, nil
		}
	}
	return 0, ErrNoChange
}

// finish ends change k by dropping slot gone (its old or its new member)
// and every configuration that holds it.
func (m Membership) finish(k, gone int) Membership {
	next := m
	next.epoch++
	next.configs = [MaxConfigs]Set{}
	next.nconfigs = 0
	for _, c := range m.configs[:m.nconfigs] {
		if c&(1<<gone) == 0 {
			next.configs[next.nconfigs] = c
			next.nconfigs++
		}
	}
	next.changes = [MaxChanges]change{}
	next.nchanges = 0
	for j, c := range m.changes[:m.nchanges] {
		if j != k {
			next.changes[next.nchanges] = c
			next.nchanges++
		}
	}
	next.removeSlot(gone)
	next.check()
	return next
}

// removeSlot deletes slot i, moving the later slots down by one.
func (m *Membership) removeSlot(i int) {
	copy(m.members[i:], m.members[i+1:m.n])
	m.n--
	m.members[m.n] = 0
	for j := range m.configs[:m.nconfigs] {
		m.configs[j] = dropBit(m.configs[j], i)
	}
	m.full = dropBit(m.full, i)
	for j := range m.changes[:m.nchanges] {
		c := &m.changes[j]
		if int(c.old) > i {
			c.old--
		}
		if int(c.new) > i {
			c.new--
		}
	}
}

// dropBit removes bit i from s, moving the higher bits down by one.
func dropBit(s Set, i int) Set {
	low := s & (1<<i - 1)
	return low | (s>>(i+1))<<i
}

// check panics if m breaks an invariant the transitions keep.
func (m Membership) check() {
	if m.nconfigs != 1<<m.nchanges {
		panic(fmt.Sprintf("quorum: %d configurations with %d changes in progress: %s", m.nconfigs, m.nchanges, m))
	}
	var union Set
	for _, c := range m.configs[:m.nconfigs] {
		if c.Count() != Replicas {
			panic(fmt.Sprintf("quorum: configuration of %d members: %s", c.Count(), m))
		}
		if m.full != 0 && (c&m.full).Count() != FullSegments {
			panic(fmt.Sprintf("quorum: configuration with %d full segments: %s", (c & m.full).Count(), m))
		}
		union |= c
	}
	if union != m.All() {
		panic(fmt.Sprintf("quorum: slots %016b in no configuration: %s", m.All()&^union, m))
	}
}

// Remap returns the slots in m of the members of s, a set of from's slots.
// Members of s that are not in m are dropped. Use it to carry acks or
// liveness across a transition.
func (m Membership) Remap(s Set, from Membership) Set {
	var out Set
	for b := s & from.All(); b != 0; b &= b - 1 {
		i := bits.TrailingZeros16(uint16(b))
		if j, ok := m.Slot(from.members[i]); ok {
			out |= 1 << j
		}
	}
	return out
}
