package check

import (
	"fmt"
	"strings"

	"aurora-lab/engine/internal/sim"
)

// Names of the checkers, as reports carry them.
const (
	NameCommits     = "acknowledged commits kept"
	NameMonotone    = "watermarks never move backwards"
	NameVDL         = "VDL ≤ VCL and VDL is a CPL"
	NamePGCL        = "PGCL held by a write quorum"
	NameLAL         = "no LSN above VDL + LAL"
	NameRecovery    = "recovery keeps every durable VDL"
	NameReplica     = "replicas read at or below the writer's VDL"
	NamePages       = "materialised page equals replay of its log"
	NameConvergence = "segments converge once faults heal"
)

// Report is one checker's verdict: plain data, safe to keep and to send to
// the page.
type Report struct {
	Name string `json:"name"`
	// OK reports whether no violation was found.
	OK bool `json:"ok"`
	// Checks counts the times the invariant was evaluated.
	Checks int64 `json:"checks"`
	// Skipped counts evaluations that could not be made (a record already
	// collected everywhere, a page whose log was garbage-collected).
	Skipped    int64 `json:"skipped,omitempty"`
	Violations int64 `json:"violations"`
	// First describes the first violation, naming the node, protection
	// group and LSNs involved.
	First string `json:"first,omitempty"`
	// At is the simulated time of the first violation.
	At sim.Time `json:"at,omitempty"`
}

// String prints the report on one line: `ok  name (N checks)` or
// `FAIL name: K violations, first at T: ...`.
func (r Report) String() string {
	if r.OK {
		s := fmt.Sprintf("ok   %s (%d checks", r.Name, r.Checks)
		if r.Skipped > 0 {
			s += fmt.Sprintf(", %d skipped", r.Skipped)
		}
		return s + ")"
	}
	return fmt.Sprintf("FAIL %s: %d violation(s) in %d checks; first at %v: %s", r.Name, r.Violations, r.Checks, r.At, r.First)
}

// Fail counts a violation, keeping the first one's text.
func (r *Report) Fail(at sim.Time, format string, args ...any) {
	r.OK = false
	r.Violations++
	if r.Violations == 1 {
		r.First = fmt.Sprintf(format, args...)
		r.At = at
	}
}

// AllOK reports whether every report holds.
func AllOK(rs []Report) bool {
	for _, r := range rs {
		if !r.OK {
			return false
		}
	}
	return true
}

// Format prints reports one per line.
func Format(rs []Report) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}
