// Package db models the database instances: the writer, which turns
// statements into redo records and acknowledges commits when the volume's
// VDL passes them, and the read replicas fed by its log stream.
//
// Statements run to completion in one event when every page they need is
// in the buffer cache. When a page is missing, the attempt is dropped — it
// has changed nothing — the page is read from one segment at the read
// point, and the statement runs again from the start once it arrives. So
// a statement's reads and changes always happen at one instant of simulated
// time, and the executor needs no continuations.
package db

import (
	"errors"
	"fmt"
	"slices"

	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/sql"
	"aurora-lab/engine/internal/volume"
	"aurora-lab/engine/internal/wire"
)

// Role is what an instance does.
type Role uint8

// Instance roles.
const (
	Writer Role = iota + 1
	Replica
)

func (r Role) String() string {
	switch r {
	case Writer:
		return "writer"
	case Replica:
		return "replica"
	}
	return "role?"
}

// Config holds an instance's knobs.
type Config struct {
	CacheSize        int // pages the buffer cache aims to hold
	RowsPerPage      int // rows a leaf holds before it splits
	Geometry         Geometry
	StatementTimeout sim.Time
	// HedgeAfter is how long a page read waits before the same read is
	// also sent to a second segment; the first reply wins.
	HedgeAfter sim.Time
	// ReadRetry is how long to wait before asking again when every
	// segment refused a read.
	ReadRetry sim.Time
	// StreamInterval batches the log stream to replicas.
	StreamInterval sim.Time
	// AutoIncStride is the AUTO_INCREMENT step between a writer's values;
	// each writer takes the values of its own offset (multi-master).
	AutoIncStride int
	// Recycle has the writer take its log stream's batches from a pool
	// and refill one once no one holds it (redo.Pool). Only for an
	// environment whose Send and After hold a queued message's batch
	// until the message is forgotten, as the cluster's do; where
	// messages are kept without a hold, a batch would be refilled under
	// them.
	Recycle bool
}

// Topology is what an instance knows of the cluster around it.
type Topology interface {
	// Members returns the segments of pg in slot order, or nil.
	Members(pg redo.PGID) []volume.Member
	// Grow makes the volume hold protection groups up to pg.
	Grow(pg redo.PGID)
	// Followers returns the instances that follow this writer's log
	// stream: its replicas. The slice is shared and good until the next
	// call.
	Followers(writer sim.NodeID) []sim.NodeID
	// Latency returns the expected one-way delay from a to b.
	Latency(a, b sim.NodeID) sim.Time
	// ControlPlane is the node a writer tells it is alive.
	ControlPlane() sim.NodeID
	// Writers reports the number of writer streams; WriterNode and
	// WriterName the instance that owns stream s.
	Writers() int
	WriterNode(s uint8) sim.NodeID
	WriterName(s uint8) string
}

// Alarms of an instance (wire.Timer, field N). The volume driver's alarms
// share the number space from 100.
const (
	alarmDeadline = iota + 1
	alarmHedge
	alarmReadRetry
	alarmStream
	alarmKeepalive
)

// Instance is one database instance.
type Instance struct {
	ID     sim.NodeID
	Name   string
	AZ     string
	Role   Role
	Stream uint8          // the writer stream it allocates LSNs on
	Vol    *volume.Volume // the writer's volume driver; nil on a replica

	cfg   Config
	topo  Topology
	cache *cache

	txns    map[uint64]*Txn // transactions not yet durable or rolled back
	txnSeq  uint64          // transactions begun since NextLSN was txnBase
	txnBase uint64
	forUpd  map[lockKey]uint64 // FOR UPDATE row locks → transaction
	reqs    []*request         // requests in progress, in arrival order
	reqSeq  uint64
	fetches []*fetch
	fetchID int64

	// followers are the read points the replicas last reported.
	followers []followerRP

	// replica state
	vdl     redo.LSN      // the VDL the instance reads at (replica: as streamed)
	pending []redo.Record // streamed records above the applied VDL
	// streamBuf (writer) collects the records waiting to be streamed. It
	// is the room of streamBatch, allocated with it for the next flush,
	// until it outgrows it. The room is sized by streamFit: indexed by
	// the length of the MTR that opened a flush (streamOpen, at most 15),
	// how many records the last flush that such an MTR opened carried —
	// an insert's change MTR and its commit record, say, or a split's —
	// counting at most maxStreamFit.
	streamBuf   []redo.Record
	streamBatch *redo.Batch
	streamOpen  int
	streamFit   [16]int
	// streamPool makes streamBatch with Config.Recycle. The writer holds
	// streamBatch from Get until its flush, and then as long as out
	// keeps its records (see streamOut).
	streamPool redo.Pool
	// grown is the highest PG the instance has had Topology.Grow make.
	grown redo.PGID
	// rowBuf is scratch for encoding a row before it is copied into a
	// record's value; only applyChanges uses it, between the two.
	rowBuf []byte
	// lastDef is the table definition decoded last.
	lastDef defCache
	// spareMTR is an MTR kept for reuse once committed.
	spareMTR *mtr
	// mtrPages lists, during commitMTR only, the cached page of each of
	// the MTR's records, so applying them looks no page up again. It is
	// cleared before commitMTR returns: it keeps no page alive.
	mtrPages []*page.Page
	// splitKeys and splitVals are maybeSplit's lists of a leaf's rows;
	// reqScratch is the list of requests a pass over them walks.
	splitKeys, splitVals [][]byte
	reqScratch           []*request
	// Requests are reused. A finished one waits in doneReqs until the
	// instance next handles a message: by then no pass over the requests
	// and no call that was running it is on the stack any more (Handle is
	// never entered while the instance is at work). It then goes to
	// freeReqs, for exec to take, unless its own transaction is still
	// live (in txns), or several writers share the volume (their
	// pending MTRs name their requests).
	doneReqs, freeReqs []*request
	streamArm          bool
	keepArmed          bool
	keepRounds         int
	lastFlush          sim.Time
	lag                []sim.Time // replica: lag samples, newest last (bounded)

	// heads are the replica's PG heads at its VDL (index: PG id - 1), from
	// the writer's stream; headsKnown once the writer sent the whole table.
	heads      []redo.LSN
	headsKnown bool
	// views are the replica's open read views.
	views []*readView
	// promotions counts the times the instance became the writer: each
	// ends its clients' connections, and with them their read views (see
	// exec).
	promotions uint64
	// synced are the followers that have the writer's heads table.
	synced []sim.NodeID
	// out numbers and keeps a writer's stream; in is a replica's place in
	// its writer's stream (see stream.go).
	out streamOut
	in  streamIn
	// vdlAsks are other writers' VDL queries (REGIONAL_RAW) that came
	// while this writer recovered: answered once it knows its VDL.
	vdlAsks []wire.Msg

	// mm is the multi-master state of a writer sharing the volume.
	mm *mmState
	// ddlLocks are the tables under DDL on the designated writer: until
	// this writer has applied the designated writer's stream to the LSN,
	// they are read-only here.
	ddlLocks map[string]redo.LSN
	// cur is the request being run, while it runs.
	cur *request

	recovery *volume.Recovery
	vcfg     volume.Config
	fenced   bool

	stats Stats
}

// MembershipUpdate tells a writer a protection group's new membership.
type MembershipUpdate struct {
	Quorum  quorum.Membership
	Members []volume.Member
}

// Stats counts an instance's work.
type Stats struct {
	Statements   int64
	Commits      int64
	Rollbacks    int64
	PageReads    int64
	HedgedReads  int64
	RecordsSent  int64 // to followers
	RecordsApply int64 // replica: applied to cached pages
	RecordsSkip  int64 // replica: discarded, page not cached
}

// NewInstance returns an instance. A writer gets its volume driver from
// the caller (Vol).
func NewInstance(id sim.NodeID, name, az string, role Role, cfg Config, topo Topology) *Instance {
	return &Instance{
		ID: id, Name: name, AZ: az, Role: role, cfg: cfg, topo: topo,
		cache: newCache(cfg.CacheSize),
		txns:  make(map[uint64]*Txn), forUpd: make(map[lockKey]uint64),
	}
}

// Stats reports the instance's counters.
func (in *Instance) Stats() Stats { return in.stats }

// CacheStats reports the buffer cache's counters.
func (in *Instance) CacheStats() CacheStats { return in.cache.stats }

// CachedPages returns the ids of the cached pages, in order.
func (in *Instance) CachedPages() []redo.PageID { return in.cache.ids() }

// VDL reports the durable point the instance reads at.
func (in *Instance) VDL() redo.LSN {
	if in.Vol != nil {
		return in.Vol.VDL()
	}
	return in.vdl
}

// Lag returns the replica's recent lag samples, oldest first: how long
// after the writer made an LSN durable the replica applied it.
func (in *Instance) Lag() []sim.Time { return in.lag }

// ActiveTxns reports how many transactions are open or committing.
func (in *Instance) ActiveTxns() int { return len(in.txns) }

// Boot formats a writer's pages on a new volume: its transaction page and,
// for the first writer, the catalog, in one mini-transaction.
func (in *Instance) Boot(env wire.Env, catalog bool) error {
	m := in.newMTR()
	if catalog {
		m.format(CatalogPage, catalogHeader{NextPage: FirstDataPage, NextTable: 1}.encode())
	}
	m.format(TxnPage(in.Stream), txnHeader{NextPage: FirstDataPage + redo.PageID(in.Stream)}.encode())
	_, err := in.commitMTR(env, m)
	return err
}

// Crash drops the instance's volatile state: its cache, transactions and
// requests. Clients of requests in progress are told by the caller.
func (in *Instance) Crash() {
	in.cache.drop()
	clear(in.txns)
	clear(in.forUpd)
	in.reqs = nil
	in.doneReqs, in.freeReqs = nil, nil
	in.fetches = nil
	in.pending = nil
	if in.streamBatch != nil {
		in.streamBatch.Release()
	}
	in.streamBuf, in.streamBatch = nil, nil
	in.streamArm = false
	in.heads, in.headsKnown, in.synced = nil, false, nil
	in.out.drop()
	in.in = streamIn{}
	in.vdlAsks = nil
	in.views = nil
	in.mm, in.ddlLocks = nil, nil
	in.keepArmed = false
	if in.Role == Replica {
		in.vdl = 0 // a restarted replica knows nothing until the stream tells it
	}
	if in.Role == Writer {
		// The volume driver lives in the writer's memory; a restarted
		// writer rebuilds it by recovery.
		in.Vol = nil
		in.recovery = nil
	}
	in.fenced = false
}

// Handle processes one message addressed to the instance.
func (in *Instance) Handle(env wire.Env, m *wire.Msg) {
	if len(in.doneReqs) > 0 {
		in.releaseReqs()
	}
	switch m.Kind {
	case wire.Timer:
		switch m.N {
		case alarmDeadline:
			in.deadline(env, uint64(m.A))
			return
		case alarmHedge:
			in.hedge(env, int64(m.A))
			return
		case alarmReadRetry:
			in.retryFetch(env, int64(m.A))
			return
		case alarmStream:
			in.flushStream(env)
			return
		case alarmKeepalive:
			in.keepalive(env)
			return
		}
	case wire.ReadReply:
		in.readReply(env, m)
		return
	case wire.ReadReject:
		in.readReject(env, m)
		return
	case wire.LogStream:
		if in.multi() {
			in.receivePeer(env, m)
		} else {
			in.receiveStream(env, m)
		}
		return
	case wire.WriteReject:
		in.rejected(env, m)
		return
	case wire.LogStreamAck:
		in.followerReadPoint(env, m)
		return
	case wire.Control, wire.ControlReply:
		if in.vdlAnswer(env, m) || in.ddlMessage(env, m) {
			return
		}
		if sm, ok := m.Body.(*MembershipUpdate); ok {
			switch {
			case in.Vol != nil:
				in.Vol.SetMembership(env, m.PG, sm.Quorum, sm.Members)
			case in.recovery != nil && in.recovery.SetMembership(env, m.PG, sm.Quorum, sm.Members):
				in.recovered(env)
			}
			env.Send(wire.Msg{Kind: wire.ControlReply, From: in.ID, To: m.From, PG: m.PG, N: m.N})
			return
		}
	}
	if in.handleRecovery(env, m) {
		return
	}
	if in.Vol != nil {
		moved := in.Vol.Handle(env, m)
		in.settle(env)
		if moved {
			in.durableAdvanced(env)
		}
	}
}

// --- requests ---------------------------------------------------------

// reqState is what a request waits for.
type reqState uint8

const (
	reqRunning    reqState = iota
	reqPages               // pages being read
	reqLock                // another transaction's row
	reqLAL                 // the LSN allocation limit
	reqDurable             // its commit record to become durable
	reqRecovering          // the instance to finish crash recovery
	reqVotes               // storage's votes on its changes (multi-master)
	reqConsistent          // a cluster-wide consistent point (REGIONAL_RAW)
	reqDDL                 // DDL forwarded to the designated writer
	reqFinished
)

type request struct {
	id       uint64
	sess     *Session
	stmt     sql.Stmt
	done     func(Outcome)
	waiter   Waiter // told the outcome when done is nil
	started  sim.Time
	state    reqState
	internal bool // recovery work: no client
	// The flags and the small state of the groups below sit here, in
	// one word with state, rather than a word each.
	lost, rolling      bool
	ownTxnUsed         bool
	ddlSent, ddlLocked bool
	raw                uint8

	need    []redo.PageID // pages the last attempt lacked
	pinned  []redo.PageID
	waitTxn uint64 // the transaction whose row it waits for
	txn     *Txn   // the transaction it commits, while reqDurable
	text    string // the tag printed once durable
	// fn, when set, is the work of an internal request.
	fn func(env wire.Env, r *request) (Outcome, error)
	// resume, when set, finishes a statement the allocation limit stopped
	// half-way, with the planned changes it has not yet made (rest).
	resume  func() (Outcome, error)
	rest    []change
	restDef *tableDef

	// Multi-master: votes counts the request's MTRs storage has not
	// decided; lost is set when one lost; rolling while its transaction
	// rolls back; implicit is its autocommit transaction.
	votes    int
	implicit *Txn
	// ownTxn is room for the first implicit transaction, allocated with
	// the request; a retry that starts another gets a new one.
	// ownTxnUsed is set once it is taken.
	ownTxn Txn
	// firstChange is room for an insert's first planned change,
	// firstKey, firstRow for its key and row, insPlan for its plan.
	firstChange [1]change
	firstKey    [16]byte
	firstRow    [4]sql.Value
	insPlan     sql.InsertPlan
	// REGIONAL_RAW: where it is (raw), what the other writers' VDLs
	// were when it asked.
	rawWant []redo.LSN
	rawLeft int
	// DDL on a multi-master cluster (and ddlSent, ddlLocked).
	ddl     *DDLDone
	ddlName string
}

// Exec runs stmt for sess and calls done once, when it completes or fails.
// done may run before Exec returns.
func (in *Instance) Exec(env wire.Env, sess *Session, stmt sql.Stmt, done func(Outcome)) {
	in.exec(env, sess, stmt, done, nil)
}

// A Waiter is told the outcome of a statement.
type Waiter interface {
	Done(Outcome)
}

// ExecFor runs stmt for sess as Exec does, and tells w the outcome: a
// caller with an object of its own for the statement passes it rather
// than allocating a closure for every statement.
func (in *Instance) ExecFor(env wire.Env, sess *Session, stmt sql.Stmt, w Waiter) {
	in.exec(env, sess, stmt, nil, w)
}

func (in *Instance) exec(env wire.Env, sess *Session, stmt sql.Stmt, done func(Outcome), w Waiter) {
	if sess.view != nil && sess.viewLife != in.promotions {
		// The session opened its read view before the instance was
		// promoted. A promotion restarts the instance as the writer, as
		// Aurora's does: the connection and its transaction are gone, and
		// the client hears so at its next statement, which does not run.
		sess.view = nil
		tell(done, w, Outcome{Err: fmt.Errorf("ERROR 2006 (HY000): MySQL server has gone away: %s restarted as the writer, which ended this connection and its transaction", in.Name)})
		return
	}
	in.reqSeq++
	var r *request
	if n := len(in.freeReqs); n > 0 {
		r = in.freeReqs[n-1]
		in.freeReqs[n-1] = nil
		in.freeReqs = in.freeReqs[:n-1]
	} else {
		r = new(request)
	}
	// Cleared, then filled, rather than assigned a literal: that would
	// build the request on the stack and copy it over.
	*r = request{}
	r.id, r.sess, r.stmt, r.done, r.waiter, r.started = in.reqSeq, sess, stmt, done, w, env.Now()
	in.reqs = append(in.reqs, r)
	in.stats.Statements++
	env.After(in.cfg.StatementTimeout, wire.Msg{Kind: wire.Timer, From: in.ID, To: in.ID, N: alarmDeadline, A: redo.LSN(r.id)})
	in.try(env, r)
}

// Errors the executor uses to say why an attempt stopped.
var (
	errMiss   = errors.New("db: pages missing")
	errLocked = errors.New("db: row locked")
	errLAL    = errors.New("db: allocation limit")
)

func (in *Instance) try(env wire.Env, r *request) {
	if r.state == reqFinished || r.state == reqDurable {
		return
	}
	if in.Recovering() {
		r.state = reqRecovering
		return
	}
	if in.fenced && r.fn == nil {
		in.finish(env, r, Outcome{Err: fmt.Errorf("ERROR 1290 (HY000): %s is no longer the writer: another instance recovered the volume", in.Name)})
		return
	}
	if r.resume == nil && r.fn == nil && !in.consistent(env, r) {
		return
	}
	r.state = reqRunning
	r.need = r.need[:0]
	var out Outcome
	var err error
	in.cur = r
	defer func() { in.cur = nil }()
	switch {
	case r.resume != nil:
		resume := r.resume
		r.resume = nil
		out, err = resume()
		if (err == errLAL || err == errVotes || err == errMiss) && r.resume == nil {
			r.resume = resume
		}
	case r.fn != nil:
		out, err = r.fn(env, r)
	default:
		out, err = in.run(env, r)
	}
	switch {
	case err == errMiss:
		r.state = reqPages
		for _, id := range r.need {
			if !slices.Contains(r.pinned, id) {
				r.pinned = append(r.pinned, id)
			}
		}
		for _, id := range r.need {
			in.fetchFor(env, r, id)
		}
	case err == errLocked:
		r.state = reqLock
	case err == errLAL:
		r.state = reqLAL
	case err == errVotes:
		r.state = reqVotes
		if r.votes == 0 {
			in.afterVotes(env, r)
		}
	case err == errDDL:
		r.state = reqDDL
	case err == errConflict:
		if in.mm != nil {
			in.mm.stats.Conflicts++
		}
		r.lost = true
		r.state = reqVotes
		if r.votes == 0 {
			in.afterVotes(env, r)
		}
	case err != nil:
		in.finish(env, r, Outcome{Err: err})
	case r.txn != nil && r.txn.state == txnCommitting:
		r.state = reqDurable
		r.text = out.Text
	default:
		in.finish(env, r, out)
	}
}

func (in *Instance) finish(env wire.Env, r *request, o Outcome) {
	if r.state == reqFinished {
		return
	}
	r.state = reqFinished
	if r.ddlLocked {
		in.lockDDL(env, r.ddlName, false, o.CommitLSN)
	}
	for _, id := range r.pinned {
		in.cache.unpin(id)
	}
	r.pinned = nil
	if i := slices.Index(in.reqs, r); i >= 0 {
		in.reqs = slices.Delete(in.reqs, i, i+1)
	}
	if in.mm == nil && len(in.doneReqs) < maxFreeReqs {
		in.doneReqs = append(in.doneReqs, r)
	}
	in.cache.evict(in.VDL())
	tell(r.done, r.waiter, o)
}

// tell gives a statement's outcome to whichever of done and w its caller
// passed.
func tell(done func(Outcome), w Waiter, o Outcome) {
	if done != nil {
		done(o)
	} else if w != nil {
		w.Done(o)
	}
}

// maxFreeReqs bounds the finished requests kept for reuse.
const maxFreeReqs = 8

// releaseReqs makes the requests that finished before the message being
// handled free for reuse (see doneReqs).
func (in *Instance) releaseReqs() {
	for i, r := range in.doneReqs {
		in.doneReqs[i] = nil
		if r.ownTxnUsed && in.txns[r.ownTxn.ID] == &r.ownTxn {
			continue // its transaction goes on without it
		}
		if len(in.freeReqs) < maxFreeReqs {
			in.freeReqs = append(in.freeReqs, r)
		}
	}
	in.doneReqs = in.doneReqs[:0]
}

// retry runs again the requests for which pred holds, in arrival order.
func (in *Instance) retry(env wire.Env, pred func(r *request) bool) {
	reqs := in.takeReqs()
	for _, r := range reqs {
		if r.state != reqFinished && pred(r) {
			in.try(env, r)
		}
	}
	in.putReqs(reqs)
}

// takeReqs returns a copy of the requests in progress, to walk while
// running them changes the list. The copy is made in an array the
// instance keeps (a walk within a walk gets a new one); putReqs gives it
// back.
func (in *Instance) takeReqs() []*request {
	reqs := append(in.reqScratch[:0], in.reqs...)
	in.reqScratch = nil
	return reqs
}

func (in *Instance) putReqs(reqs []*request) {
	clear(reqs)
	in.reqScratch = reqs[:0]
}

// deadline fails a request that has not finished in the statement timeout.
func (in *Instance) deadline(env wire.Env, id uint64) {
	i := slices.IndexFunc(in.reqs, func(r *request) bool { return r.id == id })
	if i < 0 {
		return
	}
	r := in.reqs[i]
	var err error
	switch r.state {
	case reqDurable:
		err = sql.ErrorAt(sql.NoPos, sql.CodeQueryTimeout,
			"commit outcome unknown: LSN %d is not durable after %v (VDL %d); the writer keeps its records and the commit completes if a write quorum returns",
			r.txn.commitLSN, in.cfg.StatementTimeout, in.VDL())
		if s := r.txn.sess; s != nil && s.txn == r.txn {
			s.txn = nil // the client's session no longer holds it
		}
		r.txn.sess = nil // the transaction goes on without its client
	case reqLock:
		err = sql.ErrorAt(sql.NoPos, sql.CodeLockWaitTimeout, "Lock wait timeout exceeded; try restarting transaction")
	case reqRecovering:
		err = sql.ErrorAt(sql.NoPos, sql.CodeQueryTimeout,
			"statement timed out after %v: %s is still recovering the volume (%s)", in.cfg.StatementTimeout, in.Name, in.recovery.Phase())
	case reqLAL:
		err = sql.ErrorAt(sql.NoPos, sql.CodeQueryTimeout,
			"statement timed out after %v waiting for the LSN allocation limit (next LSN %d, VDL %d, LAL %d)",
			in.cfg.StatementTimeout, in.Vol.NextLSN(), in.Vol.VDL(), in.Vol.LAL())
	default:
		err = sql.ErrorAt(sql.NoPos, sql.CodeQueryTimeout,
			"statement timed out after %v waiting for pages from storage", in.cfg.StatementTimeout)
	}
	in.finish(env, r, Outcome{Err: err})
}

// durableAdvanced runs when the writer's VDL moves: commits below it are
// acknowledged, their locks released, and requests held by the allocation
// limit or by those locks run again.
func (in *Instance) durableAdvanced(env wire.Env) {
	vdl := in.Vol.VDL()
	var endedBuf [4]uint64
	ended := endedBuf[:0]
	reqs := in.takeReqs()
	for _, r := range reqs {
		if r.state == reqDurable && r.txn.commitLSN <= vdl {
			ended = append(ended, r.txn.ID)
			in.endTxn(r.txn)
			in.stats.Commits++
			in.finish(env, r, Outcome{Text: r.text, CommitLSN: r.txn.commitLSN})
		}
	}
	in.putReqs(reqs)
	// Commits whose client went away complete too, in ID order. Most
	// rounds have none: a pass over the map says so without sorting it.
	if len(in.txns) > 0 && in.orphansDurable(vdl) {
		for _, id := range in.sortedTxnIDs() {
			t := in.txns[id]
			if t.state == txnCommitting && t.commitLSN <= vdl {
				ended = append(ended, t.ID)
				in.endTxn(t)
				in.stats.Commits++
				env.Note(wire.Note{Kind: "commit", Node: in.Name, Text: fmt.Sprintf("commit at LSN %d completed after its client stopped waiting", t.commitLSN)})
			}
		}
	}
	in.armStream(env)
	in.retry(env, func(r *request) bool {
		return r.state == reqLAL || r.state == reqLock && slices.Contains(ended, r.waitTxn)
	})
	in.cache.evict(vdl)
}

// orphansDurable reports whether a transaction still in the map committed
// at or below vdl: one whose request no longer waits for it.
func (in *Instance) orphansDurable(vdl redo.LSN) bool {
	for _, t := range in.txns {
		if t.state == txnCommitting && t.commitLSN <= vdl {
			return true
		}
	}
	return false
}

func (in *Instance) sortedTxnIDs() []uint64 {
	ids := make([]uint64, 0, len(in.txns))
	for id := range in.txns {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// endTxn forgets a finished transaction and frees its FOR UPDATE locks.
func (in *Instance) endTxn(t *Txn) {
	t.state = txnDone
	delete(in.txns, t.ID)
	for _, k := range t.lockedFor {
		if in.forUpd[k] == t.ID {
			delete(in.forUpd, k)
		}
	}
	if t.sess != nil && t.sess.txn == t {
		t.sess.txn = nil
	}
}

// followerRP is a replica's lowest read point, as it last reported it.
type followerRP struct {
	node sim.NodeID
	rp   redo.LSN
	at   sim.Time
	seq  uint64 // the last flush of the stream it has
}

// followerReadPoint records a replica's read point; the lowest one still
// fresh holds back the PGs' minimum read points (SIGMOD'17 §4.2.3: the
// writer gossips with the replicas to include their reads).
func (in *Instance) followerReadPoint(env wire.Env, m *wire.Msg) {
	if in.Vol == nil {
		return
	}
	switch m.N {
	case ackHeads:
		// The follower lacks the heads table: it restarted, or joined.
		in.synced = slices.DeleteFunc(in.synced, func(n sim.NodeID) bool { return n == m.From })
		in.armStream(env)
	case ackGap:
		in.resend(env, m.From, uint64(m.B))
	}
	i := slices.IndexFunc(in.followers, func(f followerRP) bool { return f.node == m.From })
	if i < 0 {
		in.followers = append(in.followers, followerRP{node: m.From})
		i = len(in.followers) - 1
	}
	in.followers[i].rp, in.followers[i].at, in.followers[i].seq = m.A, env.Now(), uint64(m.B)
	in.trimStream(env.Now())
	low := ^redo.LSN(0)
	for _, f := range in.followers {
		if env.Now()-f.at <= followerStale {
			low = min(low, f.rp)
		}
	}
	in.Vol.SetReplicaReadPoint(low)
}

// followerStale is how long a replica's read point counts without news:
// a replica that crashed must not hold storage back forever.
const followerStale = sim.Second

// MinReadPoint reports the lowest read point this instance holds: the
// VDL it reads at, or lower for a read still on its way.
func (in *Instance) MinReadPoint() redo.LSN {
	low := in.VDL()
	for _, f := range in.fetches {
		low = min(low, f.readPoint)
	}
	for _, v := range in.views {
		low = min(low, v.at)
	}
	return low
}

// OldestView reports the read point and age of the oldest open read view,
// and whether there is one.
func (in *Instance) OldestView(now sim.Time) (redo.LSN, sim.Time, bool) {
	if len(in.views) == 0 {
		return 0, 0, false
	}
	v := in.views[0]
	for _, x := range in.views[1:] {
		if x.at < v.at {
			v = x
		}
	}
	return v.at, now - v.since, true
}

// --- page reads ------------------------------------------------------------

// fetch is a page read in progress.
type fetch struct {
	id        int64
	view      *readView // the read view it reads for, nil for the cache
	page      redo.PageID
	pg        redo.PGID
	readPoint redo.LSN
	head      redo.LSN // the PG's last record at or below readPoint
	tried     []uint32 // segments asked, in order
	refused   []uint32 // segments that refused
	// backoff is set once every segment was asked: the read waits for its
	// retry alarm, whatever answers still come.
	backoff bool
	// resend is set on a read resync restarted (staleFetches).
	resend bool
	// buffered holds streamed records for the page that arrive while it is
	// read (replicas), applied once it is installed.
	buffered []redo.Record
}

func (in *Instance) findFetch(page redo.PageID) *fetch {
	for _, f := range in.fetches {
		if f.page == page && f.view == nil {
			return f
		}
	}
	return nil
}

// fetchFor starts the reads r needs: into its read view's copies, or into
// the cache.
func (in *Instance) fetchFor(env wire.Env, r *request, id redo.PageID) {
	v := r.view()
	if v == nil {
		in.fetch(env, id)
		return
	}
	for _, f := range in.fetches {
		if f.page == id && f.view == v {
			return
		}
	}
	in.fetchID++
	f := &fetch{id: in.fetchID, view: v, page: id, pg: in.cfg.Geometry.PGOf(id), readPoint: v.at}
	if i := int(f.pg) - 1; i < len(v.heads) {
		f.head = v.heads[i]
	}
	in.fetches = append(in.fetches, f)
	in.stats.PageReads++
	in.sendRead(env, f)
}

// fetch starts reading page id from storage, unless a read of it is on its
// way already.
func (in *Instance) fetch(env wire.Env, id redo.PageID) {
	if in.findFetch(id) != nil {
		return
	}
	in.fetchID++
	f := &fetch{id: in.fetchID, page: id, pg: in.cfg.Geometry.PGOf(id), readPoint: in.VDL()}
	in.fetches = append(in.fetches, f)
	in.stats.PageReads++
	if in.Vol != nil {
		in.Vol.ReadStarted(f.pg, f.readPoint)
	}
	if !in.setHead(f) {
		return // sent once the writer's stream says where the PG's head is
	}
	in.sendRead(env, f)
}

// setHead finds the PG's head at the fetch's read point: the writer knows
// it; a replica learns it from the log stream. It reports false when the
// replica does not know it yet.
func (in *Instance) setHead(f *fetch) bool {
	if f.view != nil {
		return true // set when the view's read began
	}
	if in.Vol != nil {
		if p := in.Vol.PG(f.pg); p != nil {
			f.head = p.Head()
		}
		return true
	}
	if !in.headsKnown {
		return false
	}
	if i := int(f.pg) - 1; i < len(in.heads) {
		f.head = in.heads[i]
	}
	return true
}

// endFetch forgets a read that got its page.
func (in *Instance) endFetch(f *fetch) {
	in.fetches = slices.DeleteFunc(in.fetches, func(x *fetch) bool { return x == f })
	if in.Vol != nil {
		in.Vol.ReadDone(f.pg, f.readPoint)
	}
}

// sendRead asks the best segment not yet asked: a full segment whose SCL
// covers the read point (the writer knows SCLs from acknowledgements), the
// nearest first. It arms a hedge: if no reply comes in time, a second
// segment is asked too.
func (in *Instance) sendRead(env wire.Env, f *fetch) bool {
	members := in.topo.Members(f.pg)
	var scl func(i int) redo.LSN
	if in.Vol != nil {
		if p := in.Vol.PG(f.pg); p != nil {
			scl = p.SCL
		}
	}
	best := -1
	var bestLat sim.Time
	for i, m := range members {
		if !m.Full || slices.Contains(f.tried, m.Seg) {
			continue
		}
		if scl != nil && !in.multi() && scl(i) < f.head {
			continue
		}
		lat := in.topo.Latency(in.ID, m.Node)
		if best < 0 || lat < bestLat {
			best, bestLat = i, lat
		}
	}
	if best < 0 {
		// Every segment was asked. Try again later, from scratch.
		if !f.backoff {
			f.backoff = true
			env.After(in.cfg.ReadRetry, wire.Msg{Kind: wire.Timer, From: in.ID, To: in.ID, N: alarmReadRetry, A: redo.LSN(f.id)})
		}
		return false
	}
	m := members[best]
	msg := wire.Msg{Kind: wire.Read, From: in.ID, To: m.Node, PG: f.pg, Seg: m.Seg,
		VolEpoch: in.volEpoch(), A: f.readPoint, B: redo.LSN(f.page), C: f.head, N: f.id}
	if in.multi() {
		vec, ok := in.readVector(f.pg)
		if !ok {
			return false // sent once the other writers' heads are known
		}
		msg.Body = vec
	}
	f.tried = append(f.tried, m.Seg)
	env.Send(msg)
	env.After(in.cfg.HedgeAfter+2*bestLat, wire.Msg{Kind: wire.Timer, From: in.ID, To: in.ID, N: alarmHedge, A: redo.LSN(f.id)})
	return true
}

func (in *Instance) volEpoch() uint64 {
	if in.Vol != nil {
		return in.Vol.Epoch()
	}
	return 0
}

func (in *Instance) fetchByID(id int64) *fetch {
	for _, f := range in.fetches {
		if f.id == id {
			return f
		}
	}
	return nil
}

func (in *Instance) hedge(env wire.Env, id int64) {
	f := in.fetchByID(id)
	if f == nil || f.backoff {
		return
	}
	if in.sendRead(env, f) {
		in.stats.HedgedReads++
	}
}

func (in *Instance) retryFetch(env wire.Env, id int64) {
	if f := in.fetchByID(id); f != nil {
		f.backoff = false
		f.tried = f.tried[:0]
		if f.view != nil {
			in.sendRead(env, f) // a view reads at its own point, always
			return
		}
		if in.Vol != nil {
			in.Vol.ReadDone(f.pg, f.readPoint)
		}
		f.readPoint = max(f.readPoint, in.VDL())
		if in.Vol != nil {
			in.Vol.ReadStarted(f.pg, f.readPoint)
		}
		if in.setHead(f) {
			in.sendRead(env, f)
		}
	}
}

func (in *Instance) readReject(env wire.Env, m *wire.Msg) {
	f := in.fetchByID(m.N)
	if f == nil {
		return
	}
	if !slices.Contains(f.refused, m.Seg) {
		f.refused = append(f.refused, m.Seg)
	}
	if f.backoff {
		return
	}
	// Ask the next segment now rather than waiting for the hedge.
	in.sendRead(env, f)
}

func (in *Instance) readReply(env wire.Env, m *wire.Msg) {
	f := in.fetchByID(m.N)
	if f == nil {
		return // a hedged read already answered
	}
	p, ok := m.Body.(*page.Page)
	if !ok || p.ID != f.page {
		return
	}
	in.endFetch(f)
	if in.multi() {
		// Lamport: the page may hold changes of other writers this one has
		// not heard of yet (a segment reads at the latest durable point it
		// knows); this writer's next LSN must be above them.
		in.Vol.Observe(p.LSN)
	}
	if f.view != nil {
		f.view.pages[p.ID] = p
		in.retry(env, func(r *request) bool { return r.state == reqPages && r.view() == f.view })
		return
	}
	if _, cached := in.cache.peek(p.ID); !cached {
		sticky := p.ID < FirstDataPage
		in.cache.put(p, sticky)
		if in.multi() {
			in.catchUpRead(p, f.buffered)
			f.buffered = nil
		}
		// Streamed records that arrived during the read and are already
		// below the VDL the replica applied are played now.
		for i := range f.buffered {
			r := &f.buffered[i]
			if r.LSN > p.LSN && r.LSN <= in.vdl {
				if err := p.Apply(r); err == nil {
					in.stats.RecordsApply++
				}
			}
		}
		for _, r := range f.buffered {
			if r.LSN > in.vdl {
				in.pending = append(in.pending, r)
			}
		}
		slices.SortFunc(in.pending, func(a, b redo.Record) int { return cmpLSN(a.LSN, b.LSN) })
		for _, r := range in.reqs {
			if slices.Contains(r.pinned, p.ID) {
				in.cache.pin(p.ID)
			}
		}
	}
	in.retry(env, func(r *request) bool {
		if r.state != reqPages {
			return false
		}
		for _, id := range r.need {
			if _, ok := in.cache.peek(id); !ok {
				return false
			}
		}
		return true
	})
}

func cmpLSN(a, b redo.LSN) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
