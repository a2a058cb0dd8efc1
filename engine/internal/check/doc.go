// Package check holds the model's invariant checkers: the claims of the
// Aurora papers that must hold after any sequence of faults within the
// tolerated bounds, checked against a running cluster. Tests use them, and
// so can the page's live invariant panel: every verdict is a [Report],
// plain data with the checker's name, whether it holds, how often it was
// checked, how many violations it found and the first one, with the node,
// protection group and LSN involved.
//
// There are two kinds of checker.
//
// A [Watch] follows one cluster: call [Watch.Observe] after every event
// (or every few events), and it checks what can be checked cheaply and
// incrementally, without allocating in the steady state:
//
//   - watermarks never move backwards: each writer's VCL, VDL and PGCLs
//     within a volume epoch; each segment's SCL, unless a truncation range
//     the node holds explains the drop (SIGMOD'17 §4.1, §4.3);
//   - VDL ≤ VCL, and VDL is a CPL: the record at VDL is the last of a
//     mini-transaction (SIGMOD'17 §4.1);
//   - a PG's PGCL is held: the segments of a write quorum hold its chain
//     up to PGCL (SIGMOD'17 §4.1: "once SCL has advanced at 4 of 6");
//   - no LSN is allocated above VDL + LAL (SIGMOD'17 §4.2.1);
//   - recovery never loses durability: the VDL a recovery opens the volume
//     at is at least every VDL an earlier epoch reached, and a fenced
//     writer never reaches a VDL above a later epoch's recovered VDL
//     (SIGMOD'17 §4.3);
//   - a replica never reads above the writer's VDL (SIGMOD'18 §3.3).
//
// Two more are expensive and run when asked: [Watch.CheckPages] (a
// materialised page equals the replay of its log, SIGMOD'17 §3.2: pages are
// "simply a cache of log applications") and [Watch.CheckConvergence] (after
// the faults heal and the cluster is quiet, every segment of every PG holds
// the same log and the same pages).
//
// A [History] checks data, not machinery: it is told every transaction a
// client ran, with the rows it wrote and whether it was acknowledged,
// rolled back or left with its outcome unknown, and every read; it verifies
// that reads and the final state keep every acknowledged commit, show no
// write that never committed, and show each commit of unknown outcome
// entirely or not at all (SIGMOD'17 §4.2.2, M10: "every acked commit
// survives any subsequent crash").
//
// No checker draws from the cluster's random source or changes it, so
// checking a run does not change the run.
package check
