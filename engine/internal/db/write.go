package db

import (
	"bytes"
	"encoding/binary"
	"slices"

	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sql"
	"aurora-lab/engine/internal/wire"
)

// change is one row change a statement plans: the row's new stored form.
// key may lie in room of the request (an insert's first row), which a
// later statement reuses: records and the transaction take their own
// copy (applyChanges).
type change struct {
	key  []byte
	leaf redo.PageID
	rec  rowRec
}

// write runs a data-changing statement. body plans and applies its changes
// in transaction t and returns the number of rows affected. An autocommit
// statement gets its own transaction, committed when body succeeds.
//
// The allocation limit can stop a statement between two of its
// mini-transactions. It then waits with the rest of its planned changes
// and, when VDL moves, goes on where it stopped (r.resume): planning again
// would meet its own half-done work.
func (in *Instance) write(env wire.Env, r *request, body func(t *Txn) (int64, error)) (Outcome, error) {
	t := r.sess.txn
	implicit := t == nil
	if implicit {
		t = in.newTxn(env, r)
		r.implicit = t
	}
	n, err := body(t)
	// The closure that finishes later is made only when the statement
	// waits: most finish at once.
	later := func() func() (Outcome, error) {
		return func() (Outcome, error) { return in.endWrite(env, r, t, n, implicit) }
	}
	if (err == errLAL || err == errMiss) && r.rest != nil {
		r.resume = func() (Outcome, error) {
			if err := in.applyChanges(env, r, t, r.restDef, r.rest); err != nil {
				return Outcome{}, err
			}
			if waitVotes(r) {
				// Not later(): this closure escapes, and would take later
				// (allocated) with it on every statement.
				r.resume = func() (Outcome, error) { return in.endWrite(env, r, t, n, implicit) }
				return Outcome{}, errVotes
			}
			return in.endWrite(env, r, t, n, implicit)
		}
		return Outcome{}, err
	}
	if err != nil {
		return Outcome{}, err
	}
	if waitVotes(r) {
		r.resume = later()
		return Outcome{}, errVotes
	}
	out, err := in.endWrite(env, r, t, n, implicit)
	if err == errLAL {
		// Only the commit record waits.
		r.resume = later()
	}
	return out, err
}

// waitVotes reports whether a statement whose changes are made must wait
// for storage's votes on them before it ends (several writers): the
// changes stand only once the votes are in, and none lost; then the
// statement commits, or rolls back (afterVotes). A statement resumed after
// the allocation limit or a page miss waits too: ending it at once would
// commit a change that may yet lose its vote, whose void then annuls an
// acknowledged update.
func waitVotes(r *request) bool { return r.votes > 0 || r.lost }

// endWrite finishes a data-changing statement that changed n rows in t:
// an autocommit statement writes its commit record.
func (in *Instance) endWrite(env wire.Env, r *request, t *Txn, n int64, implicit bool) (Outcome, error) {
	res := &sql.Result{Affected: n}
	if implicit && len(t.changed) > 0 {
		if err := in.commitRecord(env, t); err != nil {
			return Outcome{}, err
		}
		r.txn = t
	}
	return Outcome{Text: res.Table()}, nil
}

// lockedBy reports the unfinished transaction (other than t) that holds the
// row, or 0.
func (in *Instance) lockedBy(r *request, t *Txn, table uint32, key []byte, rec rowRec) (uint64, error) {
	if fa, err := in.foreignActive(r, rec.cur.txn); err != nil || fa {
		if fa {
			// Another writer's transaction changed the row: locks are per
			// instance, so with several writers that is a conflict.
			return 0, errConflict
		}
		return 0, err
	}
	if rec.cur.txn != 0 && rec.cur.txn != t.ID {
		act, err := in.active(r, rec.cur.txn)
		if err != nil {
			return 0, err
		}
		if act {
			return rec.cur.txn, nil
		}
	}
	if holder, ok := in.forUpd[lockKey{table, string(key)}]; ok && holder != t.ID {
		return holder, nil
	}
	return 0, nil
}

// wait records that r waits for transaction holder, unless that would be a
// deadlock, in which case r's transaction is rolled back.
func (in *Instance) wait(env wire.Env, r *request, holder uint64) error {
	r.waitTxn = holder
	if err := in.deadlock(env, r); err != nil {
		return err
	}
	return errLocked
}

// newVersion returns the stored form of row after t writes v over rec.
func newVersion(rec rowRec, exists bool, t *Txn, v version) rowRec {
	v.txn = t.ID
	switch {
	case !exists:
		return rowRec{cur: v}
	case rec.cur.txn == t.ID:
		// t changes its own version again: the version before t stays.
		return rowRec{cur: v, hasPrev: rec.hasPrev, prev: rec.prev}
	}
	return rowRec{cur: v, hasPrev: true, prev: rec.cur}
}

// lookup finds the stored row with key in t: its leaf, its record and
// whether one is stored.
func (in *Instance) lookup(r *request, t *tableDef, key []byte) (redo.PageID, rowRec, bool, error) {
	dir, ok := in.page(r, t.Dir)
	if !ok {
		return 0, rowRec{}, false, errMiss
	}
	leaf, ok := in.leafFor(dir, key)
	if !ok {
		return 0, rowRec{}, false, errCorruptRow
	}
	p, ok := in.page(r, leaf)
	if !ok {
		return leaf, rowRec{}, false, errMiss
	}
	v, ok := p.Get(key)
	if !ok {
		return leaf, rowRec{}, false, nil
	}
	rec, err := decodeRowRec(v)
	return leaf, rec, err == nil, err
}

func (in *Instance) insert(env wire.Env, r *request, t *Txn, s *sql.Insert) (int64, error) {
	def, err := in.table(r, s.Table.Name, s.Table.Pos)
	if err != nil {
		return 0, err
	}
	plan := &r.insPlan
	if err := sql.BindInsertTo(plan, s, def.schema()); err != nil {
		return 0, err
	}
	// Room for the first change comes with the request: most inserts
	// are of one row.
	changes := r.firstChange[:0:1]
	// The keys planned so far: the changes' own, looked for in changes
	// while there are few (a map costs an allocation per statement).
	var planned map[string]bool
	if len(s.Rows) > 8 {
		planned = map[string]bool{}
	}
	var autoMax *int64
	for i := range s.Rows {
		var room []sql.Value
		if i == 0 {
			room = r.firstRow[:0]
		}
		row, auto, err := plan.RowTo(i, room)
		if err != nil {
			return 0, err
		}
		if auto {
			if autoMax == nil {
				m, err := in.maxKey(r, def)
				if err != nil {
					return 0, err
				}
				autoMax = &m
			}
			row[def.PK] = sql.Int(in.nextAuto(*autoMax))
		}
		if k := row[def.PK]; k.Kind() == sql.KindInt && autoMax != nil && k.Int() > *autoMax {
			*autoMax = k.Int()
		}
		var key []byte
		if i == 0 {
			key = appendKey(r.firstKey[:0], row[def.PK])
		} else {
			key = encodeKey(row[def.PK])
		}
		if planned != nil && planned[string(key)] || planned == nil && slices.ContainsFunc(changes, func(c change) bool { return bytes.Equal(c.key, key) }) {
			return 0, sql.ErrDupEntry(s.Rows[i][0].Position(), row[def.PK])
		}
		leaf, rec, exists, err := in.lookup(r, def, key)
		if err != nil {
			if err == errMiss {
				continue // find every missing page in this attempt
			}
			return 0, err
		}
		if exists {
			if holder, err := in.lockedBy(r, t, def.ID, key, rec); err != nil {
				return 0, err
			} else if holder != 0 {
				return 0, in.wait(env, r, holder)
			}
			if v, ok, err := in.visible(r, rec, t); err != nil {
				return 0, err
			} else if ok && !v.deleted {
				return 0, sql.ErrDupEntry(s.Rows[i][0].Position(), row[def.PK])
			}
		}
		if planned != nil {
			planned[string(key)] = true
		}
		changes = append(changes, change{key: key, leaf: leaf, rec: newVersion(rec, exists, t, version{values: row})})
	}
	if len(r.need) > 0 {
		return 0, errMiss
	}
	return in.apply(env, r, t, def, changes)
}

// maxKey returns the largest integer key stored in t (0 for none), the
// base of AUTO_INCREMENT.
func (in *Instance) maxKey(r *request, t *tableDef) (int64, error) {
	dir, ok := in.page(r, t.Dir)
	if !ok {
		return 0, errMiss
	}
	for i := len(dir.Rows) - 1; i >= 0; i-- {
		id, err := decodePageID(dir.Rows[i].Value)
		if err != nil {
			return 0, err
		}
		p, ok := in.page(r, id)
		if !ok {
			return 0, errMiss
		}
		if n := len(p.Rows); n > 0 {
			v, err := decodeKey(p.Rows[n-1].Key)
			if err != nil || v.Kind() != sql.KindInt {
				return 0, err
			}
			return max(v.Int(), 0), nil
		}
	}
	return 0, nil
}

// nextAuto returns the next AUTO_INCREMENT value above max. On a
// multi-master cluster each writer takes the values of its own offset
// modulo the stride, so writers never collide (Aurora fixes the stride at
// 16).
func (in *Instance) nextAuto(max int64) int64 {
	stride, offset := int64(in.cfg.AutoIncStride), int64(in.Stream)+1
	if stride <= 1 {
		return max + 1
	}
	v := max + 1
	if r := (v - offset) % stride; r != 0 {
		if r < 0 {
			r += stride
		}
		v += stride - r
	}
	return v
}

func (in *Instance) update(env wire.Env, r *request, t *Txn, s *sql.Update) (int64, error) {
	def, err := in.table(r, s.Table.Name, s.Table.Pos)
	if err != nil {
		return 0, err
	}
	plan, err := sql.BindUpdate(s, def.schema())
	if err != nil {
		return 0, err
	}
	var changes []change
	var moved []sql.Value // new keys of rows whose primary key changes
	var n int64
	lo, hi, none := keyRange(plan.Where, def)
	if none {
		return 0, nil
	}
	err = in.scan(r, def, lo, hi, func(row scanRow) (bool, error) {
		v, ok, err := in.visible(r, row.rec, t)
		if err != nil || !ok {
			return err == nil, err
		}
		match, err := sql.Matches(plan.Where, sql.Values(v.values))
		if err != nil || !match {
			return err == nil, err
		}
		if holder, err := in.lockedBy(r, t, def.ID, row.key, row.rec); err != nil {
			return false, err
		} else if holder != 0 {
			return false, in.wait(env, r, holder)
		}
		n++
		nv, changed, err := plan.Apply(v.values, int(n))
		if err != nil || !changed {
			if !changed {
				n--
			}
			return err == nil, err
		}
		if sql.Compare(nv[def.PK], v.values[def.PK]) != 0 {
			changes = append(changes, change{key: row.key, leaf: row.leaf, rec: newVersion(row.rec, true, t, version{deleted: true})})
			moved = append(moved, nv[def.PK])
			changes = append(changes, change{key: encodeKey(nv[def.PK]), rec: rowRec{cur: version{values: nv}}})
			return true, nil
		}
		changes = append(changes, change{key: row.key, leaf: row.leaf, rec: newVersion(row.rec, true, t, version{values: nv})})
		return true, nil
	})
	if err != nil {
		return 0, err
	}
	// Rows whose key changed are inserted under their new key, which must
	// be free.
	for i := range changes {
		c := &changes[i]
		if c.leaf != 0 {
			continue
		}
		leaf, rec, exists, err := in.lookup(r, def, c.key)
		if err == errMiss {
			continue
		}
		if err != nil {
			return 0, err
		}
		if exists {
			if holder, err := in.lockedBy(r, t, def.ID, c.key, rec); err != nil {
				return 0, err
			} else if holder != 0 {
				return 0, in.wait(env, r, holder)
			}
			if v, ok, err := in.visible(r, rec, t); err != nil {
				return 0, err
			} else if ok && !v.deleted && !deletedBySelf(changes, c.key) {
				return 0, sql.ErrDupEntry(s.Pos, c.rec.cur.values[def.PK])
			}
		}
		c.leaf = leaf
		c.rec = newVersion(rec, exists, t, c.rec.cur)
	}
	if len(r.need) > 0 {
		return 0, errMiss
	}
	_ = moved
	return n, in.applyChanges(env, r, t, def, changes)
}

func deletedBySelf(changes []change, key []byte) bool {
	for _, c := range changes {
		if c.rec.cur.deleted && bytes.Equal(c.key, key) {
			return true
		}
	}
	return false
}

func (in *Instance) delete(env wire.Env, r *request, t *Txn, s *sql.Delete) (int64, error) {
	def, err := in.table(r, s.Table.Name, s.Table.Pos)
	if err != nil {
		return 0, err
	}
	var where sql.Expr
	if s.Where != nil {
		if err := sql.Bind(s.Where, def.schema(), sql.ClauseWhere); err != nil {
			return 0, err
		}
		where = s.Where
	}
	var changes []change
	lo, hi, none := keyRange(where, def)
	if none {
		return 0, nil
	}
	err = in.scan(r, def, lo, hi, func(row scanRow) (bool, error) {
		v, ok, err := in.visible(r, row.rec, t)
		if err != nil || !ok {
			return err == nil, err
		}
		match, err := sql.Matches(where, sql.Values(v.values))
		if err != nil || !match {
			return err == nil, err
		}
		if holder, err := in.lockedBy(r, t, def.ID, row.key, row.rec); err != nil {
			return false, err
		} else if holder != 0 {
			return false, in.wait(env, r, holder)
		}
		changes = append(changes, change{key: row.key, leaf: row.leaf, rec: newVersion(row.rec, true, t, version{deleted: true})})
		return true, nil
	})
	if err != nil {
		return 0, err
	}
	return int64(len(changes)), in.applyChanges(env, r, t, def, changes)
}

// apply makes the planned changes of an INSERT and returns how many rows
// it inserted.
func (in *Instance) apply(env wire.Env, r *request, t *Txn, def *tableDef, changes []change) (int64, error) {
	return int64(len(changes)), in.applyChanges(env, r, t, def, changes)
}

// keepRest keeps the changes from i on for the statement to resume with,
// once it has made some (resumed, or i > 0): planning again would meet its
// own half-done work. Before that the plan is dropped and made again: the
// rows it read may change while it waits (another statement of this
// writer, planned meanwhile, may write them first and take their locks),
// and the old plan would write over that change.
func keepRest(r *request, resumed bool, changes []change, i int, def *tableDef) {
	if resumed || i > 0 {
		r.rest, r.restDef = changes[i:], def
	}
}

// applyChanges writes each change as one mini-transaction: the row's new
// version on its leaf, the transaction's entry on the transaction page the
// first time it touches the row, and a leaf split when the leaf overflows.
func (in *Instance) applyChanges(env wire.Env, r *request, t *Txn, def *tableDef, changes []change) error {
	resumed := r.rest != nil
	r.rest, r.restDef = nil, nil
	if len(changes) == 0 {
		return nil
	}
	tp := TxnPage(in.Stream)
	for _, id := range []redo.PageID{CatalogPage, tp} {
		if _, ok := in.cache.get(id); !ok {
			r.need = append(r.need, id) // changes go to the cache, not a read view
			keepRest(r, resumed, changes, 0, def)
			return errMiss
		}
	}
	for i, c := range changes {
		m := in.newMTR()
		first := !slices.ContainsFunc(t.changed, func(x txnRow) bool { return x.table == def.ID && bytes.Equal(x.key, c.key) })
		// The row is encoded in the instance's scratch buffer, then
		// copied to bytes of its own: record values are never changed.
		in.rowBuf = c.rec.appendTo(in.rowBuf[:0])
		// The row's key and value get bytes of their own too: c.key
		// may be the request's.
		var key, value []byte
		if first {
			// The entry's key (transaction id, change number) and value
			// (table id, row key), and the row, share one allocation;
			// the row's key is the end of the entry's value.
			n := 16 + len(c.key)
			b := make([]byte, n+len(in.rowBuf))
			binary.BigEndian.PutUint64(b, t.ID)
			binary.BigEndian.PutUint32(b[8:], uint32(len(t.changed)))
			binary.BigEndian.PutUint32(b[12:], def.ID)
			copy(b[16:], c.key)
			copy(b[n:], in.rowBuf)
			m.put(tp, b[:12:12], b[12:n:n])
			key, value = b[16:n:n], b[n:]
			if t.key == nil {
				t.key = b[:8:8]
			}
		} else {
			n := len(c.key)
			b := make([]byte, n+len(in.rowBuf))
			copy(b, c.key)
			copy(b[n:], in.rowBuf)
			key, value = b[:n:n], b[n:]
		}
		// The leaf is looked up again: an earlier change of this statement
		// may have split it. The statement may also have waited (the
		// allocation limit) while the directory or the leaf left the cache:
		// then the rest waits for them to be read again.
		dir, ok := in.cache.get(def.Dir)
		if !ok {
			r.need = append(r.need, def.Dir)
			keepRest(r, resumed, changes, i, def)
			return errMiss
		}
		leaf, _ := in.leafFor(dir, c.key)
		if _, ok := in.cache.get(leaf); !ok {
			r.need = append(r.need, leaf)
			keepRest(r, resumed, changes, i, def)
			return errMiss
		}
		m.put(leaf, key, value)
		in.maybeSplit(m, def, leaf, key)
		if _, err := in.commitMTR(env, m); err != nil {
			// Only the allocation limit stops an MTR; the rest waits.
			keepRest(r, resumed, changes, i, def)
			return err
		}
		if first {
			t.changed = append(t.changed, txnRow{table: def.ID, key: key})
			in.txns[t.ID] = t
		}
	}
	return nil
}

// maybeSplit adds to m the split of leaf when the put m ends with leaves it
// with more rows than a page holds: a new page takes the upper half, and
// the directory gains its low key. All of it is one MTR, so no reader ever
// sees a row in neither or both halves.
func (in *Instance) maybeSplit(m *mtr, def *tableDef, leaf redo.PageID, key []byte) {
	p, _ := in.cache.peek(leaf)
	n := len(p.Rows)
	if _, ok := p.Get(key); !ok {
		n++
	}
	if n <= in.cfg.RowsPerPage {
		return
	}
	// The rows as they will be after the put, listed in arrays the
	// instance keeps for this: the MTR takes the rows, not the lists.
	keys, vals := in.splitKeys[:0], in.splitVals[:0]
	defer func() {
		clear(keys)
		clear(vals)
		in.splitKeys, in.splitVals = keys[:0], vals[:0]
	}()
	put := m.ops[len(m.ops)-1]
	added := false
	for _, row := range p.Rows {
		if !added && bytes.Compare(key, row.Key) <= 0 {
			keys, vals = append(keys, key), append(vals, put.Value)
			added = true
			if bytes.Equal(key, row.Key) {
				continue
			}
		}
		keys, vals = append(keys, row.Key), append(vals, row.Value)
	}
	if !added {
		keys, vals = append(keys, key), append(vals, put.Value)
	}
	mid := len(keys) / 2
	newLeaf := in.allocPage(m)
	m.format(newLeaf, pageHeader(kindLeaf, def.ID))
	for i := mid; i < len(keys); i++ {
		m.put(newLeaf, keys[i], vals[i])
		m.del(leaf, keys[i])
	}
	m.put(def.Dir, keys[mid], encodePageID(newLeaf))
}

// allocPage takes the next page of this writer's allocator, adding the
// allocator's new state to m. The transaction page must be cached.
func (in *Instance) allocPage(m *mtr) redo.PageID {
	tp := TxnPage(in.Stream)
	p, _ := in.cache.peek(tp)
	h, err := decodeTxnHeader(p.Header)
	// The allocator's state may already have moved within this MTR.
	for _, r := range m.ops {
		if r.Page == tp && r.Op == redo.OpHeader {
			h, err = decodeTxnHeader(r.Value)
		}
	}
	if err != nil {
		panic("db: corrupt transaction page header: " + err.Error())
	}
	id := h.NextPage
	stride := redo.PageID(1)
	if in.topo.Writers() > 1 {
		stride = maxStreams
	}
	h.NextPage += stride
	m.header(tp, h.encode())
	return id
}

// --- DDL ------------------------------------------------------------------------

func (in *Instance) ddl(env wire.Env, r *request, m *mtr, tag string) (Outcome, error) {
	if !in.Vol.CanAllocate(len(m.ops)) {
		return Outcome{}, errLAL
	}
	lsn, err := in.commitMTR(env, m)
	if err != nil {
		return Outcome{}, err
	}
	// DDL is acknowledged, like a commit, once it is durable.
	r.txn = &Txn{state: txnCommitting, commitLSN: lsn}
	return Outcome{Text: tag}, nil
}

func (in *Instance) createTable(env wire.Env, r *request, s *sql.CreateTable) (Outcome, error) {
	if r.sess.txn != nil {
		return Outcome{}, sql.ErrorAt(s.Pos, sql.CodeNotSupported, "CREATE TABLE inside an open transaction: COMMIT or ROLLBACK first")
	}
	cat, ok := in.page(r, CatalogPage)
	if !ok {
		return Outcome{}, errMiss
	}
	if _, exists := cat.Get([]byte(s.Table.Name)); exists {
		if s.IfNotExists {
			return Outcome{Text: "CREATE TABLE (it already exists)"}, nil
		}
		return Outcome{}, sql.ErrTableExists(s.Table.Pos, s.Table.Name)
	}
	h, err := decodeCatalogHeader(cat.Header)
	if err != nil {
		return Outcome{}, err
	}
	if _, ok := in.page(r, TxnPage(in.Stream)); !ok {
		return Outcome{}, errMiss
	}
	sc := s.Schema()
	m := in.newMTR()
	dir := in.allocPage(m)
	leaf := in.allocPage(m)
	def := &tableDef{ID: h.NextTable, Name: s.Table.Name, Columns: sc.Columns, PK: sc.PrimaryKey, Dir: dir}
	h.NextTable++
	m.put(CatalogPage, []byte(def.Name), def.encode())
	m.header(CatalogPage, h.encode())
	m.format(def.Dir, pageHeader(kindDir, def.ID))
	m.format(leaf, pageHeader(kindLeaf, def.ID))
	m.put(def.Dir, []byte{}, encodePageID(leaf))
	return in.ddl(env, r, m, "CREATE TABLE")
}

func (in *Instance) dropTable(env wire.Env, r *request, s *sql.DropTable) (Outcome, error) {
	if r.sess.txn != nil {
		return Outcome{}, sql.ErrorAt(s.Pos, sql.CodeNotSupported, "DROP TABLE inside an open transaction: COMMIT or ROLLBACK first")
	}
	cat, ok := in.page(r, CatalogPage)
	if !ok {
		return Outcome{}, errMiss
	}
	v, exists := cat.Get([]byte(s.Table.Name))
	if !exists {
		if s.IfExists {
			return Outcome{Text: "DROP TABLE (it did not exist)"}, nil
		}
		return Outcome{}, sql.ErrUnknownTable(s.Table.Pos, s.Table.Name)
	}
	def, err := decodeTableDef(s.Table.Name, v)
	if err != nil {
		return Outcome{}, err
	}
	// Wait for transactions that changed the table, as a metadata lock
	// would.
	for _, id := range in.sortedTxnIDs() {
		t := in.txns[id]
		if slices.ContainsFunc(t.changed, func(x txnRow) bool { return x.table == def.ID }) {
			r.waitTxn = id
			return Outcome{}, errLocked
		}
	}
	m := in.newMTR()
	m.del(CatalogPage, []byte(def.Name))
	return in.ddl(env, r, m, "DROP TABLE")
}
