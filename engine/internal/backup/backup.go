// Package backup models the backup store, Amazon S3 in the papers: storage
// nodes stage each protection group's durable log records to it in the
// background (SIGMOD'17 §3.3, step 6), and point-in-time restore reads them
// back ("the records of PG p up to LSN x").
//
// The store keeps, per PG, a gap-free prefix of the PG's log in LSN order.
// Every segment of a PG stages, so the same records arrive several times;
// the store keeps one copy and tells each sender how far it holds the PG.
// Like S3 it is regional and durable: a crash loses nothing.
package backup

import (
	"slices"

	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// Node is the backup store. It handles Stage messages:
//
//   - Stage: Batch = records of PG (in LSN order), A = the LSN the batch
//     continues from: the sender vouches that the batch holds every record
//     of the PG in (A, last]. The store appends the records above what it
//     holds if it holds the PG at least up to A; otherwise the batch would
//     leave a gap, and it keeps nothing of it.
//   - StageAck (to the sender): Seg echoes the sender's segment, A = the
//     highest LSN the store holds for the PG, N = how many records of
//     this batch it kept (0 when another segment staged them first).
type Node struct {
	ID   sim.NodeID
	Name string

	pgs   []pgLog // by PG
	stats Stats
}

// Stats counts the store's work.
type Stats struct {
	Batches    int64 // Stage messages received
	Records    int64 // records kept
	Duplicates int64 // records received that the store already held
	Gaps       int64 // batches refused because they would leave a gap
	Bytes      int64 // bytes of records kept
}

// pgLog is one PG's records, in LSN order, encoded one after the other
// in chunks of bytes. The store keeps every record it is sent, so it is
// the largest thing a long run holds: encoded, a record takes about a
// third of its 104 bytes, the chunks hold no pointers for the collector
// to scan, and the store shares no memory with the batches it was sent.
// A record never straddles two chunks; a chunk is never reallocated, so
// the log grows without copying what it holds.
type pgLog struct {
	pg     redo.PGID
	high   redo.LSN // the last record's LSN, NoLSN when there is none
	n      int      // records held
	chunks [][]byte // every chunk full but the last, as far as records fit
}

// logChunk is the size of a chunk of a PG's log, in bytes; a record too
// large for one gets a chunk of its own size.
const logChunk = 4096

// add appends r to the log. r.LSN must be above every LSN it holds.
func (l *pgLog) add(r *redo.Record) {
	most := redo.MaxEncodedSize(r)
	k := len(l.chunks)
	if k == 0 || cap(l.chunks[k-1])-len(l.chunks[k-1]) < most {
		l.chunks = append(l.chunks, make([]byte, 0, max(logChunk, most)))
		k++
	}
	l.chunks[k-1] = redo.AppendEncoded(l.chunks[k-1], r, l.pg, l.high)
	l.high = r.LSN
	l.n++
}

// New returns an empty backup store.
func New(id sim.NodeID, name string) *Node { return &Node{ID: id, Name: name} }

func (b *Node) find(pg redo.PGID) (int, bool) {
	return slices.BinarySearchFunc(b.pgs, pg, func(l pgLog, pg redo.PGID) int {
		switch {
		case l.pg < pg:
			return -1
		case l.pg > pg:
			return 1
		}
		return 0
	})
}

// Handle processes one message addressed to the store.
func (b *Node) Handle(env wire.Env, m *wire.Msg) {
	if m.Kind != wire.Stage {
		return
	}
	b.stats.Batches++
	i, ok := b.find(m.PG)
	if !ok {
		b.pgs = slices.Insert(b.pgs, i, pgLog{pg: m.PG})
	}
	l := &b.pgs[i]
	high := l.high
	var kept int64
	if m.Batch != nil && len(m.Batch.Records) > 0 {
		if m.A > high {
			b.stats.Gaps++
		} else {
			for i := range m.Batch.Records {
				r := &m.Batch.Records[i]
				if r.LSN <= high {
					b.stats.Duplicates++
					continue
				}
				l.add(r)
				high = r.LSN
				kept++
				b.stats.Records++
				b.stats.Bytes += int64(r.Size())
			}
		}
	}
	env.Send(wire.Msg{Kind: wire.StageAck, From: b.ID, To: m.From, PG: m.PG, Seg: m.Seg, A: high, N: kept})
}

// Staged reports the highest LSN the store holds for pg: it holds every
// record of pg up to it.
func (b *Node) Staged(pg redo.PGID) redo.LSN {
	if i, ok := b.find(pg); ok {
		return b.pgs[i].high
	}
	return redo.NoLSN
}

// Records returns the records of pg with LSN at or below upto, in LSN
// order: what a point-in-time restore to upto replays for pg. The caller
// owns the slice; the records must not be changed (their keys and values
// are the store's).
func (b *Node) Records(pg redo.PGID, upto redo.LSN) []redo.Record {
	i, ok := b.find(pg)
	if !ok {
		return nil
	}
	l := &b.pgs[i]
	out := make([]redo.Record, 0, l.n)
	prev := redo.NoLSN
	for _, c := range l.chunks {
		for len(c) > 0 {
			var r redo.Record
			r, c = redo.DecodeRecord(c, l.pg, prev)
			if r.LSN > upto {
				return out
			}
			out = append(out, r)
			prev = r.LSN
		}
	}
	return out
}

// PGs returns the protection groups the store holds records of, in order.
func (b *Node) PGs() []redo.PGID {
	out := make([]redo.PGID, len(b.pgs))
	for i, l := range b.pgs {
		out[i] = l.pg
	}
	return out
}

// Stats reports the store's counters.
func (b *Node) Stats() Stats { return b.stats }
