// Package quorum is the pure arithmetic of Aurora's quorum sets and
// membership epochs: which sets of segments form a write or a read quorum of
// a protection group (PG), how far the PG's complete LSN (PGCL) has advanced
// given each segment's SCL, and how a membership changes, one epoch at a
// time, when a segment is replaced.
//
// The package holds no state beyond values: a [Membership] is a small value
// type made of fixed arrays, comparable with ==, and every transition returns
// a new one. Nothing here allocates on the hot path ([Membership.WriteOK],
// [Membership.ReadOK], [Membership.State], [Membership.CompleteLSN]).
//
// # Quorum rules
//
// A PG has six segments, two in each of three AZs. A write needs 4 of the 6
// and a read 3 of the 6, so every read meets every write (3+4 > 6) and any
// two writes meet (2·4 > 6). Losing an AZ (two segments) keeps writes
// available; losing an AZ and one more segment keeps reads available
// (SIGMOD'17 §2.1).
//
// With full and tail segments (SIGMOD'18 §4.2), three of the six keep pages
// and log ("full") and three keep only the log ("tail"). A write needs 4 of
// the 6 or all 3 full segments; a read needs 3 of the 6 including at least
// one full segment. Every write therefore reaches a full segment.
//
// # Membership changes
//
// A Membership holds up to [MaxMembers] segments, each in a slot, and one or
// more configurations of six of them. A write quorum must be a write quorum of
// every configuration; a read quorum need only be a read quorum of one
// (SIGMOD'18 §4.1). Replacing F by G in ABCDEF ([Membership.Replace]) moves to
// {ABCDEF, ABCDEG}; if E is replaced by H during that change the set grows to
// {ABCDEF, ABCDEG, ABCDFH, ABCDGH}, and a write to ABCD alone still satisfies
// all of them. [Membership.Complete] keeps the configurations that no longer
// hold the replaced member; [Membership.Revert] keeps those that do not hold
// the newcomer. Each transition returns a membership with the epoch one
// higher.
//
// # The caller's duties
//
//  1. Persist each new epoch to a write quorum of the membership it replaces
//     before acting on it (SIGMOD'18 §4.1: "an epoch bump is itself a
//     write-quorum write"). Because any two write quorums of the old
//     membership meet, a writer still on the old epoch can no longer
//     complete a write.
//  2. Do not count a newcomer (a member of [Membership.Added]) towards a read
//     quorum until it is hydrated, that is, until it holds every record its
//     peers had when it was added. The paper's read rule (3/6 of ABCDEF OR
//     3/6 of ABCDEG) lets {A, B, G} read, and {A, B, G} misses a write made
//     to {C, D, E, F} just before the change: the rule is safe only because G
//     catches up before anyone relies on it. Complete a change only once the
//     newcomer is hydrated, for the same reason. Writes need no such care:
//     a segment's SCL is a gap-free prefix, so an empty newcomer cannot
//     advance [Membership.CompleteLSN].
//  3. Treat a [Set] as meaningful only for the Membership it was made from:
//     slots are compacted when a member leaves. Use [Membership.Remap] to
//     carry a set across a transition.
package quorum
