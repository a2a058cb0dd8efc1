package quorum

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
)

// Quorum geometry (SIGMOD'17 §2.1, SIGMOD'18 §4.2).
const (
	// Replicas is the number of segments in one configuration of a PG: two
	// in each of three AZs.
	Replicas = 6
	// WriteQuorum is how many of a configuration's segments a write needs.
	WriteQuorum = 4
	// ReadQuorum is how many of a configuration's segments a read needs.
	ReadQuorum = 3

	// FullSegments is how many segments of a full/tail configuration keep
	// pages as well as log; the other Replicas-FullSegments keep only log.
	FullSegments = 3
	// FullWriteQuorum is how many full segments complete a write on their
	// own in a full/tail configuration.
	FullWriteQuorum = 3
	// FullReadQuorum is how many full segments a read of a full/tail
	// configuration must include.
	FullReadQuorum = 1

	// MaxChanges is how many replacements may be in progress at once.
	MaxChanges = 4
	// MaxConfigs is how many configurations a membership can hold: every
	// change in progress doubles them.
	MaxConfigs = 1 << MaxChanges
	// MaxMembers is how many slots a membership has: one bit of a Set each.
	MaxMembers = 16
)

// Compile-time checks of the relationships the design depends on. Each line
// is a constant conversion to uint that fails to compile if it goes
// negative.
const (
	// Vr + Vw > V: every read quorum meets every write quorum.
	_ uint = ReadQuorum + WriteQuorum - Replicas - 1
	// 2·Vw > V: any two write quorums meet.
	_ uint = 2*WriteQuorum - Replicas - 1
	// A full-only write meets the full segment every read must include.
	_ uint = FullWriteQuorum + FullReadQuorum - FullSegments - 1
	// A full-only write meets every 4/6 write.
	_ uint = FullWriteQuorum + WriteQuorum - Replicas - 1
	// A 4/6 write cannot be made of tails alone, so it reaches a full segment.
	_ uint = WriteQuorum - (Replicas - FullSegments) - 1
	// The full segments are part of the configuration.
	_ uint = Replicas - FullSegments
	_ uint = FullSegments - FullWriteQuorum
	// Every slot fits in a Set, even with MaxChanges newcomers.
	_ uint = 16 - MaxMembers
	_ uint = MaxMembers - Replicas - MaxChanges
)

// Member names a segment of a PG. The caller chooses the values (a global
// segment ID); the package only compares them.
type Member uint32

// String formats m as s followed by its number, e.g. s12.
func (m Member) String() string { return "s" + strconv.FormatUint(uint64(m), 10) }

// Set is a set of slots of one Membership, bit i for slot i: the members that
// acked, the members that are up, and so on. A Set means nothing outside the
// Membership it was made for; see [Membership.Remap].
type Set uint16

// Has reports whether slot is in s.
func (s Set) Has(slot int) bool { return slot >= 0 && slot < MaxMembers && s&(1<<slot) != 0 }

// Count returns the number of slots in s.
func (s Set) Count() int { return bits.OnesCount16(uint16(s)) }

// State is what a PG can do with a given set of live segments.
type State uint8

// States, from worst to best. The zero State is Unavailable.
const (
	// Unavailable means no read quorum: the PG can neither read nor write
	// and its data is at risk until segments return.
	Unavailable State = iota
	// ReadOnly means a read quorum but no write quorum: the PG can be
	// repaired back to a write quorum by adding segments.
	ReadOnly
	// ReadWrite means a write quorum (which implies a read quorum).
	ReadWrite
)

// String returns "unavailable", "read-only" or "read-write".
func (s State) String() string {
	switch s {
	case Unavailable:
		return "unavailable"
	case ReadOnly:
		return "read-only"
	case ReadWrite:
		return "read-write"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Change is a replacement in progress: Old is being replaced by New.
type Change struct {
	Old, New Member
}

// change is a Change by slot.
type change struct {
	old, new uint8
}

// Membership is a PG's quorum rule at one epoch: its members, in slot order,
// and the configurations whose write quorums must all be met (AND) and any
// of whose read quorums suffices (OR).
//
// Membership is a value: it is made of fixed arrays, so a copy never aliases
// the original, and two memberships are == exactly when they have the same
// epoch, members, configurations and changes in progress. The zero
// Membership has no members and no quorum.
type Membership struct {
	epoch    uint64
	members  [MaxMembers]Member
	configs  [MaxConfigs]Set
	changes  [MaxChanges]change
	full     Set // slots that are full segments; 0 for the standard rule
	n        uint8
	nconfigs uint8
	nchanges uint8
}

// Standard returns the membership of six segments under the 4/6 write and
// 3/6 read rule (SIGMOD'17 §2.1). The members take slots 0 to 5 in the order
// given. It panics if a member is repeated.
func Standard(epoch uint64, members [Replicas]Member) Membership {
	m := Membership{epoch: epoch, n: Replicas, nconfigs: 1}
	copy(m.members[:], members[:])
	m.configs[0] = 1<<Replicas - 1
	m.checkDistinct("Standard")
	return m
}

// FullTail returns the membership of three full and three tail segments
// (SIGMOD'18 §4.2): a write needs 4 of the 6 or all 3 full segments, a read
// needs 3 of the 6 including a full segment. The full segments take slots 0
// to 2 and the tail segments slots 3 to 5. It panics if a member is
// repeated.
func FullTail(epoch uint64, full [FullSegments]Member, tail [Replicas - FullSegments]Member) Membership {
	m := Membership{epoch: epoch, n: Replicas, nconfigs: 1}
	copy(m.members[:], full[:])
	copy(m.members[FullSegments:], tail[:])
	m.configs[0] = 1<<Replicas - 1
	m.full = 1<<FullSegments - 1
	m.checkDistinct("FullTail")
	return m
}

func (m *Membership) checkDistinct(who string) {
	for i := range int(m.n) {
		for j := range i {
			if m.members[i] == m.members[j] {
				panic(fmt.Sprintf("quorum: %s: member %s appears twice (slots %d and %d)", who, m.members[i], j, i))
			}
		}
	}
}

// Epoch returns the membership epoch. Requests and gossip carry it, and
// segments reject those with an older one (SIGMOD'18 §4.1).
func (m Membership) Epoch() uint64 { return m.epoch }

// Len returns the number of slots, that is of members.
func (m Membership) Len() int { return int(m.n) }

// Members returns the members in slot order. The caller owns the slice.
func (m Membership) Members() []Member {
	out := make([]Member, m.n)
	copy(out, m.members[:m.n])
	return out
}

// Member returns the member in slot. It panics if slot is not in [0, Len()).
func (m Membership) Member(slot int) Member {
	if slot < 0 || slot >= int(m.n) {
		panic(fmt.Sprintf("quorum: slot %d out of range [0, %d)", slot, m.n))
	}
	return m.members[slot]
}

// Slot returns the slot of member and reports whether it is a member.
func (m Membership) Slot(member Member) (int, bool) {
	for i, x := range m.members[:m.n] {
		if x == member {
			return i, true
		}
	}
	return -1, false
}

// SetOf returns the set of the given members' slots. Values that are not
// members are ignored, so an ack from a segment that has left adds nothing.
func (m Membership) SetOf(members ...Member) Set {
	var s Set
	for _, x := range members {
		if i, ok := m.Slot(x); ok {
			s |= 1 << i
		}
	}
	return s
}

// All returns the set of every slot.
func (m Membership) All() Set { return 1<<m.n - 1 }

// Full returns the slots that are full segments; it is empty under the
// standard rule.
func (m Membership) Full() Set { return m.full }

// Added returns the slots of the newcomers of the changes in progress. Until
// a newcomer is hydrated the caller must leave it out of any set passed to
// ReadOK, State or RecoveryLSN (see the package doc).
func (m Membership) Added() Set {
	var s Set
	for _, c := range m.changes[:m.nchanges] {
		s |= 1 << c.new
	}
	return s
}

// Changes returns the replacements in progress, oldest first. The caller
// owns the slice.
func (m Membership) Changes() []Change {
	out := make([]Change, m.nchanges)
	for i, c := range m.changes[:m.nchanges] {
		out[i] = Change{Old: m.members[c.old], New: m.members[c.new]}
	}
	return out
}

// Configurations returns the configurations, each the set of its six slots,
// in the order they were created. The caller owns the slice.
func (m Membership) Configurations() []Set {
	out := make([]Set, m.nconfigs)
	copy(out, m.configs[:m.nconfigs])
	return out
}

// WriteOK reports whether s is a write quorum: a write quorum of every
// configuration (SIGMOD'18 §4.1). It is false for the zero Membership.
func (m Membership) WriteOK(s Set) bool {
	for _, c := range m.configs[:m.nconfigs] {
		in := s & c
		if bits.OnesCount16(uint16(in)) >= WriteQuorum {
			continue
		}
		if f := c & m.full; f != 0 && in&f == f {
			continue
		}
		return false
	}
	return m.nconfigs > 0
}

// ReadOK reports whether s is a read quorum: a read quorum of at least one
// configuration (SIGMOD'18 §4.1). Under the full/tail rule the read must
// include a full segment of that configuration. Leave unhydrated newcomers
// out of s (see [Membership.Added]).
func (m Membership) ReadOK(s Set) bool {
	for _, c := range m.configs[:m.nconfigs] {
		in := s & c
		if bits.OnesCount16(uint16(in)) >= ReadQuorum && (m.full == 0 || in&m.full != 0) {
			return true
		}
	}
	return false
}

// State returns what the PG can do when the segments in up are alive:
// ReadWrite with a write quorum, ReadOnly with only a read quorum, and
// Unavailable otherwise.
func (m Membership) State(up Set) State {
	switch {
	case m.WriteOK(up):
		return ReadWrite
	case m.ReadOK(up):
		return ReadOnly
	}
	return Unavailable
}

// CompleteLSN returns the highest L such that the slots whose SCL is at
// least L form a write quorum, or 0 if none does. This is how PGCL advances
// ("once SCL has advanced at 4 of 6", SIGMOD'17 §4.1).
//
// scl[i] is the SCL of slot i; use 0 for a segment that is down or unknown.
// Slots beyond len(scl) count as 0 and entries beyond Len() are ignored, so
// a fixed [MaxMembers]uint64 array can be passed whole. It does not
// allocate. It takes m by pointer, unlike the other methods: a writer
// calls it on most acks, and a Membership is about 120 bytes to copy.
func (m *Membership) CompleteLSN(scl []uint64) uint64 {
	if m.nconfigs == 0 {
		return 0
	}
	// A write quorum is a write quorum of every configuration, and each
	// configuration's rule is monotone, so the answer is the least of the
	// configurations' own answers.
	lsn := uint64(math.MaxUint64)
	for _, c := range m.configs[:m.nconfigs] {
		lsn = min(lsn, configLSN(c, m.full, scl))
	}
	return lsn
}

// configLSN returns the highest L at which the slots of configuration c
// with an SCL of at least L form a write quorum of c. Under the standard
// rule that is the WriteQuorum-th highest SCL; under the full/tail rule it
// is also at least the lowest SCL of the full segments.
func configLSN(c, full Set, scl []uint64) uint64 {
	// NB: an array on the stack, sorted by insertion: six values are
	// cheaper to sort in place than to track in a heap, and nothing escapes.
	var v [Replicas]uint64
	n := 0
	minFull := uint64(math.MaxUint64)
	for b := c; b != 0; b &= b - 1 {
		i := bits.TrailingZeros16(uint16(b))
		var x uint64
		if i < len(scl) {
			x = scl[i]
		}
		if full&(1<<i) != 0 {
			minFull = min(minFull, x)
		}
		j := n
		for j > 0 && v[j-1] < x {
			v[j] = v[j-1]
			j--
		}
		v[j] = x
		n++
	}
	lsn := v[WriteQuorum-1]
	if c&full != 0 {
		lsn = max(lsn, minFull)
	}
	return lsn
}

// RecoveryLSN returns the highest SCL among the slots in responded, and
// reports whether they form a read quorum. Crash recovery reaches a read
// quorum of every PG (SIGMOD'17 §4.3); since every write quorum meets that
// read quorum and an SCL is a gap-free prefix, any LSN that could have
// reached a write quorum is at most the value returned, and a segment
// holding it can repair the others. The result is an upper bound, not
// PGCL: records between the true PGCL and it may have missed a write
// quorum, and recovery keeps or truncates them (above VDL) as it sees fit.
//
// scl is read as in CompleteLSN. Leave unhydrated newcomers out of
// responded (see [Membership.Added]).
func (m Membership) RecoveryLSN(scl []uint64, responded Set) (uint64, bool) {
	if !m.ReadOK(responded) {
		return 0, false
	}
	var lsn uint64
	for b := responded & m.All(); b != 0; b &= b - 1 {
		if i := bits.TrailingZeros16(uint16(b)); i < len(scl) {
			lsn = max(lsn, scl[i])
		}
	}
	return lsn, true
}
