package quorum

import (
	"strconv"
	"strings"
)

// String is Describe(nil): members print as s12.
func (m Membership) String() string { return m.Describe(nil) }

// Describe renders m's write rule in one canonical line, the form logs,
// golden files and the UI share. Configurations appear in creation order
// joined by AND, each with its members in slot order; a full/tail
// configuration appears as its two alternatives in parentheses; changes in
// progress follow a semicolon. name renders a member; nil means
// [Member.String]. For example:
//
//	epoch 3: 4/6 of a1 a2 b1 b2 c1 c2 AND 4/6 of a1 a2 b1 b2 c1 g1; replacing c2 with g1
//	epoch 1: (4/6 of a1 b1 c1 a2 b2 c2 OR 3/3 of a1 b1 c1)
//
// The read rule follows from it: 3/6 of any one configuration (with one of
// its full segments under the full/tail rule).
func (m Membership) Describe(name func(Member) string) string {
	if name == nil {
		name = Member.String
	}
	var b strings.Builder
	b.WriteString("epoch ")
	b.WriteString(strconv.FormatUint(m.epoch, 10))
	b.WriteString(":")
	if m.nconfigs == 0 {
		b.WriteString(" no members")
		return b.String()
	}
	for k, c := range m.configs[:m.nconfigs] {
		if k > 0 {
			b.WriteString(" AND")
		}
		b.WriteString(" ")
		if m.full == 0 {
			b.WriteString(strconv.Itoa(WriteQuorum) + "/" + strconv.Itoa(Replicas) + " of ")
			m.writeSet(&b, c, name)
			continue
		}
		b.WriteString("(" + strconv.Itoa(WriteQuorum) + "/" + strconv.Itoa(Replicas) + " of ")
		m.writeSet(&b, c, name)
		b.WriteString(" OR " + strconv.Itoa(FullWriteQuorum) + "/" + strconv.Itoa(FullSegments) + " of ")
		m.writeSet(&b, c&m.full, name)
		b.WriteString(")")
	}
	for k, c := range m.changes[:m.nchanges] {
		if k == 0 {
			b.WriteString("; replacing ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(name(m.members[c.old]))
		b.WriteString(" with ")
		b.WriteString(name(m.members[c.new]))
	}
	return b.String()
}

// DescribeSet renders the members of s in slot order, separated by spaces,
// or "none" if s is empty. name is as in Describe.
func (m Membership) DescribeSet(s Set, name func(Member) string) string {
	if s&m.All() == 0 {
		return "none"
	}
	if name == nil {
		name = Member.String
	}
	var b strings.Builder
	m.writeSet(&b, s, name)
	return b.String()
}

func (m Membership) writeSet(b *strings.Builder, s Set, name func(Member) string) {
	first := true
	for i, x := range m.members[:m.n] {
		if s&(1<<i) == 0 {
			continue
		}
		if !first {
			b.WriteString(" ")
		}
		first = false
		b.WriteString(name(x))
	}
}
