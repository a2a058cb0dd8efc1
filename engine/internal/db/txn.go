package db

import (
	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
)

// Session is one client connection to an instance: its open transaction and
// its settings. A console holds one session per instance it talks to, so a
// transaction stays open across \connect.
type Session struct {
	txn *Txn // the open explicit transaction, or nil
	// Consistency is the session's read-after-write level on a multi-master
	// cluster: INSTANCE_RAW (the default) or REGIONAL_RAW.
	Consistency string
	// view is a replica transaction's read view: it reads the database as
	// of its BEGIN (SIGMOD'18 §3.3: replica read views are anchored to a
	// point of the writer's durable history). viewLife is the instance's
	// promotion count when it opened.
	view     *readView
	viewLife uint64
}

// readView is a consistent view of the volume at one read point: pages are
// read from storage as of it, into copies of its own, so the replica's
// cache moving on does not change what the view sees. While it is open it
// holds back the PGs' minimum read point, and so storage's GC.
type readView struct {
	at    redo.LSN
	heads []redo.LSN // the PG heads at the view's read point
	pages map[redo.PageID]*page.Page
	since sim.Time
}

// NewSession returns a session with no transaction open.
func NewSession() *Session { return &Session{Consistency: "INSTANCE_RAW"} }

// InTxn reports whether the session has an explicit transaction open.
func (s *Session) InTxn() bool { return s.txn != nil }

// txnState is where a transaction is in its life.
type txnState uint8

const (
	txnActive     txnState = iota + 1
	txnCommitting          // its commit record waits for VDL
	txnDone                // durable, or rolled back
)

// Txn is a transaction of a writer. Its id is written into every row
// version it creates, which is what locks the row (as InnoDB's implicit
// locks do): another transaction that finds the id of an unfinished
// transaction on a row waits for it.
type Txn struct {
	ID       uint64
	sess     *Session
	explicit bool
	state    txnState
	// rawDone: the transaction has waited once for a cluster-wide
	// consistent point (REGIONAL_RAW is paid once per transaction).
	rawDone bool
	// changed lists the rows the transaction changed, in order, as
	// (table, key). They are also its entries on the transaction page, so
	// recovery can undo them.
	changed []txnRow
	// key is txnKey(ID) once the transaction has an entry: the first
	// bytes of the entry's key, which no one changes.
	key       []byte
	lockedFor []lockKey // rows locked by SELECT ... FOR UPDATE
	commitLSN redo.LSN
	started   sim.Time
	// first is room for changed's first row: an autocommit statement
	// mostly changes one, and then needs no array of its own.
	first [1]txnRow
}

// txnRow is a row a transaction changed. key is the row key of its entry
// on the transaction page, which no one changes.
type txnRow struct {
	table uint32
	key   []byte
}

// lockKey names a row for SELECT ... FOR UPDATE locks.
type lockKey struct {
	table uint32
	key   string
}

// Outcome is the result of a statement.
type Outcome struct {
	// Text is what the console prints: a result table or a command tag.
	Text string
	// Result is the rows joined by "; " and columns by "|", for \expect.
	Result string
	Err    error
	// CommitLSN is the LSN of the commit record the statement waited for,
	// when it committed.
	CommitLSN redo.LSN
}
