package db

import (
	"fmt"

	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/sql"
	"aurora-lab/engine/internal/wire"
)

// DDL on a multi-master cluster runs on one designated writer, the owner
// of stream 0 (Aurora marks it has_primary). A writer that gets a DDL
// statement forwards it there; while it runs, the table is read-only on
// every other writer, and it is done when the change has reached them.

// DDLForward asks the designated writer to run a DDL statement.
type DDLForward struct {
	Req  uint64
	Stmt sql.Stmt
}

// DDLDone answers DDLForward: the outcome and the LSN of the change.
type DDLDone struct {
	Req  uint64
	Text string
	Err  error
	LSN  redo.LSN
}

// DDLLock tells the other writers that a table is under DDL (Lock), or
// that the DDL is done and durable at LSN.
type DDLLock struct {
	Table string
	Lock  bool
	LSN   redo.LSN
}

func ddlTable(s sql.Stmt) (string, bool) {
	switch x := s.(type) {
	case *sql.CreateTable:
		return x.Table.Name, true
	case *sql.DropTable:
		return x.Table.Name, true
	}
	return "", false
}

// forwardDDL sends a DDL statement of a non-designated writer to the
// designated one; the request waits for the answer.
func (in *Instance) forwardDDL(env wire.Env, r *request) (Outcome, error) {
	if r.ddlSent {
		return Outcome{}, errDDL
	}
	r.ddlSent = true
	env.Send(wire.Msg{Kind: wire.Control, From: in.ID, To: in.topo.WriterNode(0), Body: &DDLForward{Req: r.id, Stmt: r.stmt}})
	return Outcome{}, errDDL
}

// errDDL parks a request whose DDL runs on the designated writer.
var errDDL = fmt.Errorf("db: DDL forwarded")

// ddlMessage handles the DDL protocol; it reports whether m was one.
func (in *Instance) ddlMessage(env wire.Env, m *wire.Msg) bool {
	switch b := m.Body.(type) {
	case *DDLForward:
		in.runForwarded(env, m.From, b)
	case *DDLDone:
		for _, r := range in.reqs {
			if r.id == b.Req && r.state == reqDDL {
				r.ddl = b
				in.ddlSettled(env, r)
			}
		}
	case *DDLLock:
		if in.ddlLocks == nil {
			in.ddlLocks = map[string]redo.LSN{}
		}
		if b.Lock {
			in.ddlLocks[b.Table] = ^redo.LSN(0)
		} else {
			in.ddlLocks[b.Table] = b.LSN // lifted once this writer has applied it
		}
		in.retry(env, func(r *request) bool { return r.state == reqDDL })
	default:
		return false
	}
	return true
}

// runForwarded runs another writer's DDL statement here, as an internal
// request, and answers it once the change is durable.
func (in *Instance) runForwarded(env wire.Env, from sim.NodeID, f *DDLForward) {
	in.reqSeq++
	r := &request{id: in.reqSeq, sess: NewSession(), stmt: f.Stmt, started: env.Now(), internal: true}
	r.done = func(o Outcome) {
		env.Send(wire.Msg{Kind: wire.Control, From: in.ID, To: from, Body: &DDLDone{Req: f.Req, Text: o.Text, Err: o.Err, LSN: o.CommitLSN}})
	}
	in.reqs = append(in.reqs, r)
	env.After(in.cfg.StatementTimeout, wire.Msg{Kind: wire.Timer, From: in.ID, To: in.ID, N: alarmDeadline, A: redo.LSN(r.id)})
	in.try(env, r)
}

// lockDDL tells the other writers that table is under DDL here (lock), or
// that the DDL is durable at lsn.
func (in *Instance) lockDDL(env wire.Env, table string, lock bool, lsn redo.LSN) {
	for s := range in.topo.Writers() {
		if s != int(in.Stream) {
			env.Send(wire.Msg{Kind: wire.Control, From: in.ID, To: in.topo.WriterNode(uint8(s)), Body: &DDLLock{Table: table, Lock: lock, LSN: lsn}})
		}
	}
}

// ddlSettled takes the designated writer's answer to a forwarded DDL.
func (in *Instance) ddlSettled(env wire.Env, r *request) { in.try(env, r) }

// ddl runs a DDL statement on a multi-master cluster: on the designated
// writer it locks the table on the others first; elsewhere it forwards it,
// and completes when the answer has come and the change has reached this
// writer through the designated writer's stream.
func (in *Instance) ddlMulti(env wire.Env, r *request) (Outcome, error, bool) {
	if !in.multi() {
		return Outcome{}, nil, false
	}
	table, _ := ddlTable(r.stmt)
	if in.Stream == 0 {
		if !r.ddlLocked {
			r.ddlLocked = true
			r.ddlName = table
			in.lockDDL(env, table, true, 0)
		}
		return Outcome{}, nil, false
	}
	if r.ddl == nil {
		out, err := in.forwardDDL(env, r)
		return out, err, true
	}
	if r.ddl.Err != nil {
		return Outcome{}, r.ddl.Err, true
	}
	if in.mm.peers[0].vdl < r.ddl.LSN {
		return Outcome{}, errDDL, true // not applied here yet
	}
	// The change is applied here: the table is writable here again, even
	// if the designated writer's unlock is still on its way.
	if in.ddlLocks != nil {
		if _, ok := in.ddlLocks[table]; ok {
			in.ddlLocks[table] = r.ddl.LSN
		}
	}
	return Outcome{Text: r.ddl.Text + "\n(run by " + in.topo.WriterName(0) + ", the designated writer)", CommitLSN: r.ddl.LSN}, nil, true
}

// ddlLocked reports the error for a write to a table under DDL on the
// designated writer, or nil.
func (in *Instance) ddlLockedErr(table string, pos sql.Pos) error {
	lsn, ok := in.ddlLocks[table]
	if !ok || in.mm == nil || in.mm.peers[0].vdl >= lsn {
		return nil
	}
	return sql.ErrorAt(pos, 1099, "Table '%s' was locked with a READ lock and can't be updated: DDL on it runs on %s, the designated writer",
		table, in.topo.WriterName(0))
}
