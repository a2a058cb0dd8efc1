package backup

import (
	"reflect"
	"testing"

	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

// env records what the store sends.
type env struct{ sent []wire.Msg }

func (e *env) Now() sim.Time            { return 0 }
func (e *env) Rand() *sim.Rand          { return sim.NewRand(1) }
func (e *env) Send(m wire.Msg)          { e.sent = append(e.sent, m) }
func (e *env) After(sim.Time, wire.Msg) {}
func (e *env) Note(wire.Note)           {}

// chain returns records lo..hi of pg, each linked to the one before.
func chain(pg redo.PGID, lo, hi redo.LSN) *redo.Batch {
	b := &redo.Batch{PG: pg}
	for l := lo; l <= hi; l++ {
		b.Add(redo.Record{LSN: l, PG: pg, PrevPG: l - 1, Page: 1, Op: redo.OpPut, Key: []byte("k"), Value: []byte("v")})
	}
	return b
}

func stage(b *Node, e *env, from sim.NodeID, seg uint32, pg redo.PGID, after redo.LSN, batch *redo.Batch) wire.Msg {
	b.Handle(e, &wire.Msg{Kind: wire.Stage, From: from, To: b.ID, PG: pg, Seg: seg, A: after, Batch: batch})
	return e.sent[len(e.sent)-1]
}

// The store keeps one gap-free copy of each PG's log however many segments
// stage it, and tells each sender how far it holds the PG and how much of
// its batch it kept. Reference: SIGMOD'17 §3.3 (step 6: stage to S3).
func TestStageKeepsOneGapFreeCopy(t *testing.T) {
	b, e := New(9, "s3"), &env{}
	ack := stage(b, e, 0, 1, 1, 0, chain(1, 1, 5))
	if ack.Kind != wire.StageAck || ack.To != 0 || ack.Seg != 1 || ack.A != 5 || ack.N != 5 {
		t.Fatalf("first ack %+v", ack)
	}
	// A second segment stages an overlapping batch: only 6..7 are new.
	if ack = stage(b, e, 1, 2, 1, 3, chain(1, 4, 7)); ack.A != 7 || ack.N != 2 || ack.Seg != 2 {
		t.Fatalf("overlapping ack %+v", ack)
	}
	// A batch that would leave a gap (the store holds to 7, the batch
	// continues from 9) is refused whole.
	if ack = stage(b, e, 0, 1, 1, 9, chain(1, 10, 12)); ack.A != 7 || ack.N != 0 {
		t.Fatalf("gap ack %+v", ack)
	}
	// Another PG is separate.
	if ack = stage(b, e, 0, 7, 2, 0, chain(2, 20, 21)); ack.A != 21 {
		t.Fatalf("pg2 ack %+v", ack)
	}
	if st := b.Stats(); st.Records != 9 || st.Duplicates != 2 || st.Gaps != 1 || st.Batches != 4 {
		t.Fatalf("stats %+v", st)
	}
	// Point-in-time restore reads "the records of PG p up to LSN x".
	recs := b.Records(1, 6)
	if len(recs) != 6 || recs[0].LSN != 1 || recs[5].LSN != 6 {
		t.Fatalf("Records(pg1, 6) = %d records", len(recs))
	}
	if len(b.Records(1, ^redo.LSN(0))) != 7 || len(b.Records(3, 10)) != 0 || b.Staged(1) != 7 || b.Staged(3) != 0 {
		t.Fatal("Records/Staged at the edges")
	}
	if pgs := b.PGs(); len(pgs) != 2 || pgs[0] != 1 || pgs[1] != 2 {
		t.Fatalf("PGs %v", pgs)
	}
	// The caller owns what Records returns.
	recs[0].LSN = 99
	if b.Records(1, 1)[0].LSN != 1 {
		t.Fatal("Records shares the store's slice")
	}
	// An empty Stage is a probe: the ack says how far the store is.
	if ack = stage(b, e, 3, 4, 1, 0, nil); ack.A != 7 || ack.N != 0 {
		t.Fatalf("probe ack %+v", ack)
	}
}

// The store keeps its records encoded; what Records returns must be the
// records it was sent, field for field, nil keys and values included,
// however odd the backlinks and however large the record.
func TestRecordsComeBackAsSent(t *testing.T) {
	// encode writes every field of a record by name: a field added to
	// redo.Record must be added there too.
	if n := reflect.TypeFor[redo.Record]().NumField(); n != 13 {
		t.Fatalf("redo.Record has %d fields; encode and decode know 13", n)
	}
	big := make([]byte, 3*logChunk)
	for i := range big {
		big[i] = byte(i)
	}
	sent := []redo.Record{
		{LSN: 1, PG: 4, Op: redo.OpFormat, Page: 7, Key: []byte{}, Value: []byte("hdr")},
		{LSN: 2, Stream: 3, PG: 4, Op: redo.OpPut, Page: 1 << 40, PrevVolume: 1, PrevPG: 1, Txn: 1<<64 - 1, Key: []byte("k"), CPL: true},
		{LSN: 300, PG: 5, Op: redo.OpDelete, PrevPage: 1000, PrevPG: 2, Commit: true, CPL: true, Value: []byte{}},
		{LSN: 301, PG: 4, Op: redo.OpHeader, PrevPG: 300, Value: big},
		{LSN: 1 << 62, PG: 4, Op: redo.OpNoop, PrevVolume: 301, PrevPG: 301, PrevPage: 1<<64 - 1},
	}
	for i := 1; i < 200; i++ { // enough to fill several chunks
		sent = append(sent, redo.Record{LSN: 1<<62 + redo.LSN(i), PG: 4, Op: redo.OpPut, PrevPG: 1<<62 + redo.LSN(i-1), Key: []byte("key"), Value: big[:i]})
	}
	b, e := New(9, "s3"), &env{}
	// Batch.Add wants every record of its PG: one of PG 5 goes in by hand.
	batch := &redo.Batch{PG: 4, Records: sent}
	if ack := stage(b, e, 0, 1, 4, 0, batch); ack.N != int64(len(sent)) {
		t.Fatalf("kept %d of %d", ack.N, len(sent))
	}
	if got := b.Records(4, ^redo.LSN(0)); !reflect.DeepEqual(got, sent) {
		t.Fatalf("records differ from those sent:\n%+v\n%+v", got[:5], sent[:5])
	}
	if got := b.Records(4, 300); !reflect.DeepEqual(got, sent[:3]) {
		t.Fatalf("Records(4, 300) = %+v", got)
	}
	if got := b.Records(4, 0); got == nil || len(got) != 0 {
		t.Fatalf("Records(4, 0) = %#v, want an empty slice", got)
	}
	if b.Staged(4) != sent[len(sent)-1].LSN {
		t.Fatalf("Staged = %d", b.Staged(4))
	}
	// A key handed out cannot be appended into the next record.
	k := b.Records(4, 2)[1].Key
	_ = append(k, 'x')
	if !reflect.DeepEqual(b.Records(4, ^redo.LSN(0)), sent) {
		t.Fatal("an append to a returned key changed the store")
	}
}
