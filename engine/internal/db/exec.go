package db

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sql"
	"aurora-lab/engine/internal/wire"
)

// run makes one attempt at r's statement. It returns errMiss (with r.need
// set), errLocked (with r.waitTxn set) or errLAL having changed nothing;
// any other error is the statement's.
func (in *Instance) run(env wire.Env, r *request) (Outcome, error) {
	switch s := r.stmt.(type) {
	case *sql.Begin:
		return in.begin(env, r)
	case *sql.Commit:
		return in.commit(env, r)
	case *sql.Rollback:
		return in.rollback(env, r, "ROLLBACK")
	case *sql.Set:
		return in.set(r, s)
	case *sql.Select:
		return in.execSelect(env, r, s)
	}
	if in.Role != Writer {
		return Outcome{}, sql.ErrReadOnly(stmtPos(r.stmt))
	}
	if _, isDDL := ddlTable(r.stmt); isDDL {
		if out, err, handled := in.ddlMulti(env, r); handled || err != nil {
			return out, err
		}
	}
	if table, ok := writeTable(r.stmt); ok && in.ddlLocks != nil {
		if err := in.ddlLockedErr(table, stmtPos(r.stmt)); err != nil {
			return Outcome{}, err
		}
	}
	switch s := r.stmt.(type) {
	case *sql.Insert:
		return in.write(env, r, func(t *Txn) (int64, error) { return in.insert(env, r, t, s) })
	case *sql.Update:
		return in.write(env, r, func(t *Txn) (int64, error) { return in.update(env, r, t, s) })
	case *sql.Delete:
		return in.write(env, r, func(t *Txn) (int64, error) { return in.delete(env, r, t, s) })
	case *sql.CreateTable:
		return in.createTable(env, r, s)
	case *sql.DropTable:
		return in.dropTable(env, r, s)
	}
	return Outcome{}, sql.ErrorAt(stmtPos(r.stmt), sql.CodeNotSupported, "This statement is not supported")
}

func stmtPos(s sql.Stmt) sql.Pos {
	if p, ok := s.(interface{ Position() sql.Pos }); ok {
		return p.Position()
	}
	return sql.NoPos
}

// page returns a cached page, or notes that r needs it read. A statement
// in a replica's read view reads the view's own copies.
func (in *Instance) page(r *request, id redo.PageID) (*page.Page, bool) {
	if v := r.view(); v != nil {
		p, ok := v.pages[id]
		if !ok {
			r.need = append(r.need, id)
		}
		return p, ok
	}
	p, ok := in.cache.get(id)
	if !ok {
		r.need = append(r.need, id)
	}
	return p, ok
}

// view returns the read view r reads in, or nil.
func (r *request) view() *readView {
	if r.sess == nil {
		return nil
	}
	return r.sess.view
}

// table looks a table up in the catalog.
func (in *Instance) table(r *request, name string, pos sql.Pos) (*tableDef, error) {
	cat, ok := in.page(r, CatalogPage)
	if !ok {
		return nil, errMiss
	}
	v, ok := cat.Get([]byte(name))
	if !ok {
		return nil, sql.ErrNoSuchTable(pos, name)
	}
	// Every statement looks its table up; while the catalog row stays the
	// same, the definition decoded from it last time serves again.
	if d := &in.lastDef; d.def != nil && d.def.Name == name && bytes.Equal(d.row, v) {
		return d.def, nil
	}
	def, err := decodeTableDef(name, v)
	if err == nil {
		in.lastDef = defCache{row: slices.Clone(v), def: def}
	}
	return def, err
}

// defCache is the table definition an instance decoded last, with the
// catalog row it came from. The definition is shared: no one changes it.
type defCache struct {
	row []byte
	def *tableDef
}

// schema returns the table's schema, made once per definition.
func (t *tableDef) schema() *sql.Schema {
	if t.sch == nil {
		t.sch = &sql.Schema{Table: t.Name, Columns: t.Columns, PrimaryKey: t.PK}
	}
	return t.sch
}

// active reports whether transaction id is unfinished: open, rolling back,
// or committed but not yet durable. Its row versions are invisible to
// others and lock their rows. A writer knows its own transactions; every
// instance also reads the transaction pages, where the unfinished
// transactions of a crashed writer stay until recovery undoes them.
func (in *Instance) active(r *request, id uint64) (bool, error) {
	if id == 0 {
		return false, nil
	}
	if t, ok := in.txns[id]; ok {
		return t.state != txnDone, nil
	}
	stream := uint8(id % maxStreams)
	tp, ok := in.page(r, TxnPage(stream))
	if !ok {
		return false, errMiss
	}
	key := txnKey(id)
	i, _ := tp.Search(key)
	return i < len(tp.Rows) && bytes.HasPrefix(tp.Rows[i].Key, key), nil
}

// maxStreams is how many writer streams transaction ids are spread over.
const maxStreams = 16

// visible returns the version of rec a reader in transaction me sees, and
// whether the row exists for it.
func (in *Instance) visible(r *request, rec rowRec, me *Txn) (version, bool, error) {
	v := rec.cur
	if me == nil || v.txn != me.ID {
		act, err := in.active(r, v.txn)
		if err != nil {
			return version{}, false, err
		}
		if act {
			if !rec.hasPrev {
				return version{}, false, nil
			}
			v = rec.prev
		}
	}
	return v, !v.deleted, nil
}

// scanRow is one stored row met by a scan.
type scanRow struct {
	key  []byte
	rec  rowRec
	leaf redo.PageID
}

// scan calls f for each stored row of t with key in [lo, hi] (nil bounds
// are open), in key order, until f returns false. Missing pages are noted
// in r.need and skipped, so one attempt asks for all of them at once; scan
// then returns errMiss.
func (in *Instance) scan(r *request, t *tableDef, lo, hi []byte, f func(row scanRow) (bool, error)) error {
	dir, ok := in.page(r, t.Dir)
	if !ok {
		return errMiss
	}
	// The leaves: from the one holding lo to the last whose low key ≤ hi.
	// The one holding lo is the entry before the first whose low key is
	// above lo (the first entry, when none is at or below it): a binary
	// search, as a write finds its leaf (leafFor), so that a point read
	// does not walk a large table's whole directory.
	start := 0
	if lo != nil {
		j := sort.Search(len(dir.Rows), func(k int) bool { return bytes.Compare(dir.Rows[k].Key, lo) > 0 })
		start = max(j-1, 0)
	}
	var leaves []redo.PageID
	for _, e := range dir.Rows[start:] {
		if hi != nil && bytes.Compare(e.Key, hi) > 0 {
			break
		}
		id, err := decodePageID(e.Value)
		if err != nil {
			return err
		}
		leaves = append(leaves, id)
	}
	missing := false
	for _, id := range leaves {
		p, ok := in.page(r, id)
		if !ok {
			missing = true
			continue
		}
		if missing {
			continue
		}
		for _, row := range p.Rows {
			if lo != nil && bytes.Compare(row.Key, lo) < 0 {
				continue
			}
			if hi != nil && bytes.Compare(row.Key, hi) > 0 {
				break
			}
			rec, err := decodeRowRec(row.Value)
			if err != nil {
				return fmt.Errorf("db: page %v: %w", id, err)
			}
			more, err := f(scanRow{key: row.Key, rec: rec, leaf: id})
			if err != nil {
				return err
			}
			if !more {
				return nil
			}
		}
	}
	if missing {
		return errMiss
	}
	return nil
}

// keyRange narrows a scan to the keys the conditions on the primary key in
// where allow (sql.PrimaryKeyRange: =, <, BETWEEN, IN, OR of points). The
// WHERE is still applied to every row; this only skips leaves. empty means
// no row can match.
func keyRange(where sql.Expr, t *tableDef) (lo, hi []byte, empty bool) {
	if where == nil {
		return nil, nil, false
	}
	kr := sql.PrimaryKeyRange(where, t.schema())
	if kr.Empty {
		return nil, nil, true
	}
	want := sql.KindInt
	if t.Columns[t.PK].Type == sql.TypeText {
		want = sql.KindText
	}
	bound := func(v sql.Value) []byte {
		if v.IsNull() || v.Kind() != want {
			return nil
		}
		return encodeKey(v)
	}
	if n := len(kr.Points); n > 0 {
		lo, hi = bound(kr.Points[0]), bound(kr.Points[n-1])
		if lo == nil || hi == nil {
			return nil, nil, false
		}
		return lo, hi, false
	}
	return bound(kr.Lo), bound(kr.Hi), false
}

// --- SELECT ------------------------------------------------------------------

func (in *Instance) execSelect(env wire.Env, r *request, s *sql.Select) (Outcome, error) {
	if s.From == nil {
		q, err := sql.BindSelect(s, nil)
		if err != nil {
			return Outcome{}, err
		}
		run := q.Start()
		if _, err := run.Add(sql.Values(nil)); err != nil {
			return Outcome{}, err
		}
		return resultOutcome(run.Result())
	}
	t, err := in.table(r, s.From.Name, s.From.Pos)
	if err != nil {
		return Outcome{}, err
	}
	q, err := sql.BindSelect(s, t.schema())
	if err != nil {
		return Outcome{}, err
	}
	me := r.sess.txn
	if q.ForUpdate && in.Role != Writer {
		return Outcome{}, sql.ErrReadOnly(s.Pos)
	}
	run := q.Start()
	var lockRows []lockKey
	lo, hi, none := keyRange(q.Where, t)
	if none {
		return resultOutcome(run.Result())
	}
	err = in.scan(r, t, lo, hi, func(row scanRow) (bool, error) {
		v, ok, err := in.visible(r, row.rec, me)
		if err != nil || !ok {
			return err == nil, err
		}
		if q.ForUpdate {
			// A locking read waits for a row another transaction changed.
			if row.rec.cur.txn != 0 && (me == nil || row.rec.cur.txn != me.ID) {
				act, err := in.active(r, row.rec.cur.txn)
				if err != nil {
					return false, err
				}
				if act {
					r.waitTxn = row.rec.cur.txn
					return false, errLocked
				}
			}
			ok, err := sql.Matches(q.Where, sql.Values(v.values))
			if err != nil {
				return false, err
			}
			if ok {
				k := lockKey{t.ID, string(row.key)}
				if holder, held := in.forUpd[k]; held && (me == nil || holder != me.ID) {
					r.waitTxn = holder
					return false, errLocked
				}
				lockRows = append(lockRows, k)
			}
		}
		return run.Add(sql.Values(v.values))
	})
	if err == errLocked {
		if derr := in.deadlock(env, r); derr != nil {
			return Outcome{}, derr
		}
		return Outcome{}, err
	}
	if err != nil {
		return Outcome{}, err
	}
	if q.ForUpdate && me != nil {
		for _, k := range lockRows {
			if _, held := in.forUpd[k]; !held {
				in.forUpd[k] = me.ID
				me.lockedFor = append(me.lockedFor, k)
			}
		}
	}
	return resultOutcome(run.Result())
}

func resultOutcome(res *sql.Result, err error) (Outcome, error) {
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Text: res.Table(), Result: res.Format()}, nil
}

// --- transactions ----------------------------------------------------------------

func (in *Instance) begin(env wire.Env, r *request) (Outcome, error) {
	if in.Role == Replica {
		if r.sess.view != nil {
			return Outcome{}, sql.ErrorAt(stmtPos(r.stmt), sql.CodeNotSupported,
				"a transaction is already open; COMMIT or ROLLBACK it first")
		}
		if !in.headsKnown {
			return Outcome{}, errMiss // the stream has not said where to read yet
		}
		r.sess.view = &readView{at: in.vdl, heads: slices.Clone(in.heads), pages: map[redo.PageID]*page.Page{}, since: env.Now()}
		r.sess.viewLife = in.promotions
		in.views = append(in.views, r.sess.view)
		return Outcome{Text: fmt.Sprintf("BEGIN (a read view at LSN %d)", in.vdl)}, nil
	}
	if r.sess.txn != nil {
		// MySQL commits the open transaction when a new one begins; the
		// model says so rather than committing behind the user's back.
		return Outcome{}, sql.ErrorAt(stmtPos(r.stmt), sql.CodeNotSupported,
			"a transaction is already open; COMMIT or ROLLBACK it first")
	}
	t := &Txn{ID: in.newTxnID(), sess: r.sess, explicit: true, state: txnActive, started: env.Now()}
	if in.Role == Writer {
		in.txns[t.ID] = t
	}
	r.sess.txn = t
	return Outcome{Text: "BEGIN"}, nil
}

// newTxn starts the implicit transaction of an autocommit statement.
func (in *Instance) newTxn(env wire.Env, r *request) *Txn {
	t := &r.ownTxn
	if r.ownTxnUsed {
		t = new(Txn)
	}
	r.ownTxnUsed = true
	*t = Txn{ID: in.newTxnID(), sess: r.sess, state: txnActive, started: env.Now()}
	t.changed = t.first[:0]
	return t
}

// newTxnID returns a transaction id no transaction of the volume ever had:
// the next LSN (which only grows, across crashes and failovers too) in the
// high bits, a counter of transactions started since, and the writer
// stream in the low four bits, where readers find which transaction page
// lists it.
func (in *Instance) newTxnID() uint64 {
	next := uint64(1)
	if in.Vol != nil {
		next = uint64(in.Vol.NextLSN())
	}
	if next != in.txnBase {
		in.txnBase, in.txnSeq = next, 0
	}
	in.txnSeq++
	if in.txnSeq >= 1<<16 {
		panic("db: more than 65535 transactions began between two LSN allocations")
	}
	return next<<20 | in.txnSeq<<4 | uint64(in.Stream)
}

// closeView ends a replica transaction's read view.
func (in *Instance) closeView(s *Session) bool {
	if s.view == nil {
		return false
	}
	in.views = slices.DeleteFunc(in.views, func(v *readView) bool { return v == s.view })
	s.view = nil
	return true
}

func (in *Instance) commit(env wire.Env, r *request) (Outcome, error) {
	if in.closeView(r.sess) {
		return Outcome{Text: "COMMIT"}, nil
	}
	t := r.sess.txn
	if t == nil {
		return Outcome{Text: "COMMIT (no transaction was open)"}, nil
	}
	if len(t.changed) == 0 {
		in.endTxn(t)
		return Outcome{Text: "COMMIT"}, nil
	}
	if err := in.commitRecord(env, t); err != nil {
		return Outcome{}, err
	}
	r.txn = t
	return Outcome{Text: "COMMIT"}, nil
}

// commitRecord writes t's commit record: it removes t's entries from the
// transaction page, as one MTR whose CPL is the commit LSN. The commit is
// acknowledged when VDL reaches it (SIGMOD'17 §4.2.2).
func (in *Instance) commitRecord(env wire.Env, t *Txn) error {
	m := in.newMTR()
	tp := TxnPage(in.Stream)
	if _, ok := in.cache.peek(tp); !ok {
		return errMiss
	}
	key := t.key
	if key == nil {
		key = txnKey(t.ID)
	}
	m.add(redo.Record{Page: tp, Op: redo.OpDeletePrefix, Key: key, Commit: true, Txn: t.ID})
	lsn, err := in.commitMTR(env, m)
	if err != nil {
		return err
	}
	t.state = txnCommitting
	t.commitLSN = lsn
	return nil
}

// rollback undoes the session's transaction: each changed row gets back
// the version before it, newest change first, and the transaction's
// entries leave the transaction page.
func (in *Instance) rollback(env wire.Env, r *request, tag string) (Outcome, error) {
	if in.closeView(r.sess) {
		return Outcome{Text: tag}, nil
	}
	t := r.sess.txn
	if t == nil {
		return Outcome{Text: tag + " (no transaction was open)"}, nil
	}
	if err := in.undo(env, r, t); err != nil {
		return Outcome{}, err
	}
	in.stats.Rollbacks++
	in.endTxn(t)
	in.retry(env, func(q *request) bool { return q.state == reqLock && q.waitTxn == t.ID })
	return Outcome{Text: tag}, nil
}

// undo writes the compensating changes of t. It first checks that every
// page it needs is cached, so it either does all of its work or none.
func (in *Instance) undo(env wire.Env, r *request, t *Txn) error {
	if len(t.changed) == 0 {
		return nil // it changed nothing: there is nothing to undo
	}
	type fix struct {
		leaf redo.PageID
		key  []byte
		rec  rowRec
		del  bool
	}
	var fixes []fix
	tables := map[uint32]*tableDef{}
	for i := len(t.changed) - 1; i >= 0; i-- {
		c := t.changed[i]
		def := tables[c.table]
		if def == nil {
			var err error
			def, err = in.tableByID(r, c.table)
			if err != nil {
				return err
			}
			if def == nil {
				continue // the table was dropped
			}
			tables[c.table] = def
		}
		dir, ok := in.page(r, def.Dir)
		if !ok {
			continue
		}
		leaf, ok := in.leafFor(dir, c.key)
		if !ok {
			continue
		}
		p, ok := in.page(r, leaf)
		if !ok {
			continue
		}
		v, ok := p.Get(c.key)
		if !ok {
			continue
		}
		rec, err := decodeRowRec(v)
		if err != nil || rec.cur.txn != t.ID {
			continue
		}
		if rec.hasPrev {
			fixes = append(fixes, fix{leaf: leaf, key: c.key, rec: rowRec{cur: rec.prev}})
		} else {
			fixes = append(fixes, fix{leaf: leaf, key: c.key, del: true})
		}
	}
	if _, ok := in.page(r, TxnPage(in.Stream)); !ok || len(r.need) > 0 {
		return errMiss
	}
	if !in.Vol.CanAllocate(len(fixes) + 1) {
		return errLAL
	}
	for _, f := range fixes {
		m := in.newMTR()
		if f.del {
			m.del(f.leaf, f.key)
		} else {
			m.put(f.leaf, f.key, f.rec.encode())
		}
		if _, err := in.commitMTR(env, m); err != nil {
			return err
		}
	}
	m := in.newMTR()
	m.add(redo.Record{Page: TxnPage(in.Stream), Op: redo.OpDeletePrefix, Key: txnKey(t.ID), Txn: t.ID})
	_, err := in.commitMTR(env, m)
	return err
}

func (in *Instance) tableByID(r *request, id uint32) (*tableDef, error) {
	cat, ok := in.page(r, CatalogPage)
	if !ok {
		return nil, errMiss
	}
	for _, row := range cat.Rows {
		def, err := decodeTableDef(string(row.Key), row.Value)
		if err != nil {
			return nil, err
		}
		if def.ID == id {
			return def, nil
		}
	}
	return nil, nil
}

func (in *Instance) set(r *request, s *sql.Set) (Outcome, error) {
	switch s.Name.Name {
	case "aurora_mm_session_consistency_level":
		v := strings.ToUpper(s.Value.String())
		if s.Default {
			v = "INSTANCE_RAW"
		}
		if v != "INSTANCE_RAW" && v != "REGIONAL_RAW" {
			return Outcome{}, sql.ErrorAt(s.Pos, sql.CodeWrongValueForVar,
				"Variable 'aurora_mm_session_consistency_level' can't be set to the value of '%s'", s.Value.String())
		}
		if r.sess.txn != nil {
			return Outcome{}, sql.ErrorAt(s.Pos, sql.CodeWrongValueForVar,
				"aurora_mm_session_consistency_level cannot change inside a transaction")
		}
		r.sess.Consistency = v
		return Outcome{Text: "SET"}, nil
	}
	return Outcome{}, sql.ErrorAt(s.Name.Pos, sql.CodeUnknownSystemVar, "Unknown system variable '%s'", s.Name.Name)
}

// deadlock checks whether r waiting for r.waitTxn closes a cycle of
// transactions waiting for each other. If so, r's transaction is the
// victim: it is rolled back and r fails with ERROR 1213, as InnoDB does.
func (in *Instance) deadlock(env wire.Env, r *request) error {
	me := r.sess.txn
	if me == nil {
		return nil
	}
	seen := map[uint64]bool{}
	for w := r.waitTxn; w != 0 && !seen[w]; {
		if w == me.ID {
			if err := in.undo(env, r, me); err != nil {
				return err
			}
			in.stats.Rollbacks++
			in.endTxn(me)
			in.retry(env, func(q *request) bool { return q != r && q.state == reqLock && q.waitTxn == me.ID })
			return sql.ErrDeadlock(stmtPos(r.stmt))
		}
		seen[w] = true
		next := uint64(0)
		for _, q := range in.reqs {
			if q.state == reqLock && q.sess.txn != nil && q.sess.txn.ID == w {
				next = q.waitTxn
			}
		}
		w = next
	}
	return nil
}

// writeTable returns the table a data-changing statement writes.
func writeTable(s sql.Stmt) (string, bool) {
	switch x := s.(type) {
	case *sql.Insert:
		return x.Table.Name, true
	case *sql.Update:
		return x.Table.Name, true
	case *sql.Delete:
		return x.Table.Name, true
	}
	return "", false
}
