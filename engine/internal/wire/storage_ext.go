package wire

// TruncateAll is Truncate with the truncation history a recovery found:
// Prior lists every range of an earlier epoch that the RecoverInfo of a
// read quorum of every PG reported, oldest first. A segment that missed an
// earlier recovery (it was down, or its Truncate was lost) learns from it
// every range it lacks, so it never keeps a record an earlier recovery
// annulled. A plain Truncate of epoch E is enough for a segment that knows
// every range up to epoch E-1; one that does not asks its peers. Answered
// by TruncateDone.
type TruncateAll struct {
	Truncate
	Prior []Truncation
}
