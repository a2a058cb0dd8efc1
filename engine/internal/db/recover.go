package db

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/volume"
	"aurora-lab/engine/internal/wire"
)

// VolumeConfig is what a writer needs to open a volume driver.
type VolumeConfig = volume.Config

// BecomeWriter starts crash recovery on this instance (a restarted writer,
// or a replica being promoted): it takes the writer stream stream, reads
// the volume at epoch, and opens for writes once recovery is done.
// Statements that arrive meanwhile wait.
func (in *Instance) BecomeWriter(env wire.Env, stream uint8, epoch uint64, pgs []volume.PGSpec, vcfg volume.Config) {
	// A promoted replica's cache may hold pages that recovery will truncate
	// under it; it starts cold. Its clients' statements wait for recovery.
	in.cache.drop()
	in.fetches = nil
	in.pending = nil
	in.fenced = false
	for _, r := range in.reqs {
		r.state = reqRecovering
	}
	// The replica's read views end with its clients' connections.
	in.views = nil
	in.promotions++
	in.Role = Writer
	in.Stream = stream
	in.Vol = nil
	vcfg.OwnPage = TxnPage(stream)
	in.vcfg = vcfg
	step := redo.LSN(1)
	if vcfg.Streams > 1 {
		step = redo.MaxStreams
	}
	in.recovery = volume.StartRecovery(env, in.ID, stream, step, vcfg.OwnPage, pgs, epoch, vcfg.LAL, 5*sim.Millisecond)
	env.Note(wire.Note{Kind: "recovery", Node: in.Name, Text: fmt.Sprintf("%s starts crash recovery at volume epoch %d", in.Name, epoch)})
}

// Recovering reports whether the instance is recovering the volume.
func (in *Instance) Recovering() bool { return in.recovery != nil && !in.recovery.Done() }

// Recovery returns the instance's last recovery, or nil.
func (in *Instance) Recovery() *volume.Recovery { return in.recovery }

// Fenced reports whether storage refused this writer because a newer
// volume epoch exists: another instance has recovered the volume.
func (in *Instance) Fenced() bool { return in.fenced }

// handleRecovery feeds recovery its messages and opens the volume when it
// is done.
func (in *Instance) handleRecovery(env wire.Env, m *wire.Msg) bool {
	if in.recovery == nil || in.recovery.Done() {
		return false
	}
	if m.Kind != wire.ControlReply && !(m.Kind == wire.Timer && m.N == volume.AlarmRecovery) {
		return false
	}
	if in.recovery.Handle(env, m) {
		in.recovered(env)
	}
	return true
}

// recovered opens the volume the finished recovery hands over.
func (in *Instance) recovered(env wire.Env) {
	in.Vol = in.recovery.Open(in.vcfg, in.Stream)
	in.vdl = in.Vol.VDL()
	in.Vol.Start(env)
	in.synced = nil
	in.out.drop()
	in.armKeepalive(env)
	in.answerVDLAsks(env)
	// In-flight transactions of the crashed writer are undone online; the
	// instance takes statements at once (SIGMOD'17 §4.3).
	in.startUndoRecovered(env)
	in.retry(env, func(r *request) bool { return r.state == reqRecovering })
}

// startUndoRecovered reads the transaction page and rolls back every
// transaction listed there: they never committed.
func (in *Instance) startUndoRecovered(env wire.Env) {
	in.reqSeq++
	r := &request{id: in.reqSeq, internal: true, started: env.Now(), sess: NewSession()}
	r.fn = func(env wire.Env, r *request) (Outcome, error) {
		tp, ok := in.page(r, TxnPage(in.Stream))
		if !ok {
			return Outcome{}, errMiss
		}
		// The page lists each transaction's changed rows in order; an
		// attempt that must wait for pages starts the list again.
		var rebuilt []uint64
		for _, row := range tp.Rows {
			if len(row.Key) < 8 {
				continue
			}
			id, _ := decodeTxnKey(row.Key[:8])
			t := in.txns[id]
			if t == nil {
				t = &Txn{ID: id, state: txnActive, started: env.Now()}
				in.txns[id] = t
			}
			if t.sess != nil {
				continue // a transaction of this writer, not the crashed one
			}
			if !slices.Contains(rebuilt, id) {
				rebuilt = append(rebuilt, id)
				t.changed = t.changed[:0]
			}
			if len(row.Value) >= 4 {
				table := binary.BigEndian.Uint32(row.Value)
				key := bytes.Clone(row.Value[4:])
				t.changed = append(t.changed, txnRow{table: table, key: key})
			}
		}
		for _, id := range in.sortedTxnIDs() {
			t := in.txns[id]
			if t.sess != nil || t.state != txnActive {
				continue
			}
			r.sess.txn = t
			if err := in.undo(env, r, t); err != nil {
				r.sess.txn = nil
				return Outcome{}, err
			}
			in.endTxn(t)
			in.stats.Rollbacks++
			env.Note(wire.Note{Kind: "recovery", Node: in.Name, Text: fmt.Sprintf("rolled back transaction %d, in flight at the crash (%d rows)", id, len(t.changed))})
		}
		r.sess.txn = nil
		return Outcome{}, nil
	}
	in.reqs = append(in.reqs, r)
	in.try(env, r)
}

// rejected handles a write refused by storage. A stale volume epoch means
// another instance recovered the volume: this writer is fenced off, and
// its waiting commits fail — they may or may not have become durable
// before the new writer's recovery, which decides.
func (in *Instance) rejected(env wire.Env, m *wire.Msg) {
	if m.N != wire.RejectStaleVolumeEpoch || in.fenced || in.Vol == nil || uint64(m.A) <= in.Vol.Epoch() {
		return // a refusal of an earlier life, arriving during recovery
	}
	if in.multi() && in.Vol.AdoptEpoch(uint64(m.A)) {
		// Another writer recovered its own stream: the epoch moved on, but
		// this writer's stream is its own. It takes the epoch; its retries
		// carry it.
		env.Note(wire.Note{Kind: "epoch", Node: in.Name, Text: fmt.Sprintf("%s takes volume epoch %d, set by another writer's recovery", in.Name, m.A)})
		return
	}
	if in.multi() {
		return
	}
	in.fenced = true
	env.Note(wire.Note{Kind: "fenced", Node: in.Name, Text: fmt.Sprintf("%s is fenced: storage holds volume epoch %d, newer than its %d", in.Name, m.A, in.Vol.Epoch())})
	for _, r := range append([]*request(nil), in.reqs...) {
		if r.state == reqDurable {
			if s := r.txn.sess; s != nil && s.txn == r.txn {
				s.txn = nil
			}
			in.finish(env, r, Outcome{Err: fmt.Errorf("ERROR 2013 (HY000): %s is no longer the writer (volume epoch %d); the commit's outcome is decided by the new writer's recovery", in.Name, m.A)})
		}
	}
}

// StartWriter arms the writer's background work: the keepalive of its log
// stream.
func (in *Instance) StartWriter(env wire.Env) { in.armKeepalive(env) }
