package sql

// Clause names the part of a statement an expression is in, for MySQL's
// "Unknown column 'x' in 'where clause'".
type Clause uint8

// The clauses.
const (
	ClauseFieldList Clause = iota + 1 // select items, SET and VALUES
	ClauseWhere
	ClauseOrder
)

// String returns "field list", "where clause" or "order clause".
func (c Clause) String() string {
	switch c {
	case ClauseWhere:
		return "where clause"
	case ClauseOrder:
		return "order clause"
	}
	return "field list"
}

// Walk calls f for e and, while f returns true, for its subexpressions,
// depth first and left to right. e may be nil.
func Walk(e Expr, f func(Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	switch e := e.(type) {
	case *Unary:
		Walk(e.X, f)
	case *Binary:
		Walk(e.L, f)
		Walk(e.R, f)
	case *IsNull:
		Walk(e.X, f)
	case *Between:
		Walk(e.X, f)
		Walk(e.Lo, f)
		Walk(e.Hi, f)
	case *InList:
		Walk(e.X, f)
		for _, x := range e.List {
			Walk(x, f)
		}
	case *AggCall:
		Walk(e.Arg, f)
	}
}

// binder resolves column references against one table.
type binder struct {
	schema *Schema // nil: no table, every column is unknown
	qual   string  // the name a qualified column must use (table or alias)
	clause Clause
	aggs   *[]*AggCall // nil: aggregates are not allowed here
}

func (b *binder) bind(e Expr, inAgg bool) *Error {
	var err *Error
	Walk(e, func(x Expr) bool {
		if err != nil {
			return false
		}
		switch x := x.(type) {
		case *ColumnRef:
			i := -1
			if b.schema != nil && (x.Table == "" || x.Table == b.qual) {
				i = b.schema.ColumnIndex(x.Name)
			}
			if i < 0 {
				err = ErrUnknownColumn(x.Pos, x.qualified(), b.clause)
				return false
			}
			x.Index, x.Bound = i, true
		case *AggCall:
			if b.aggs == nil || inAgg {
				err = ErrorAt(x.Pos, CodeInvalidGroupFuncUse, "Invalid use of group function")
				return false
			}
			x.Slot = len(*b.aggs)
			*b.aggs = append(*b.aggs, x)
			err = b.bind(x.Arg, true)
			return false
		}
		return true
	})
	return err
}

// Bind resolves the columns of e against the table s (nil for none), for an
// expression in the given clause: each [ColumnRef] gets its Index. A column
// qualified with a table name must name s's table. An unknown column is
// ERROR 1054 "Unknown column 'x' in 'where clause'"; an aggregate is ERROR
// 1111 "Invalid use of group function" (aggregates belong in select items,
// bound by [BindSelect]). Bind changes e's nodes in place; binding again
// (after a schema change, say) overwrites.
func Bind(e Expr, s *Schema, clause Clause) error {
	b := binder{schema: s, clause: clause}
	if s != nil {
		b.qual = s.Table
	}
	if err := b.bind(e, false); err != nil {
		return err
	}
	return nil
}

// Query is a bound SELECT, ready to run: feed it the table's rows with a
// [QueryRun] (from [Query.Start]).
type Query struct {
	Stmt *Select
	// Schema is the table read, nil for SELECT without FROM.
	Schema *Schema
	// Columns are the result's column names: an item's alias, else the
	// column's name for a bare column, else the item's canonical text
	// ("COUNT(*)", "a + 1").
	Columns []string
	// Items are the bound expressions of the result's columns, one per
	// column, with * expanded into the table's columns.
	Items []Expr
	// Where is the bound condition, nil for none.
	Where Expr
	// Order are the ORDER BY keys.
	Order []OrderKey
	// Aggregate reports whether the query folds all matching rows into one
	// result row (it has aggregate calls and, as the language has no GROUP
	// BY, no bare columns outside them).
	Aggregate bool
	// Aggs are the aggregate calls of the items and ORDER BY, by Slot.
	Aggs []*AggCall
	// Limit is the most rows returned, -1 for no limit; Offset how many
	// leading rows are skipped.
	Limit, Offset int64
	// ForUpdate reports a locking read (SELECT ... FOR UPDATE).
	ForUpdate bool
}

// OrderKey is one ORDER BY key: the result column Item (>= 0), or, when Item
// is -1, the bound expression Expr evaluated on the table's row.
type OrderKey struct {
	Item int
	Expr Expr
	Desc bool
}

// BindSelect binds a SELECT against the schema of its FROM table (nil when
// sel.From is nil; the executor reports a missing table, ERROR 1146, before
// binding). It expands *, names the result columns, numbers the aggregate
// calls and resolves ORDER BY as MySQL does: an integer n is the n-th result
// column, a bare name that is an item's alias is that item, anything else
// is an expression on the table's columns. Errors: 1054 unknown column (also
// for ORDER BY n out of range), 1096 "No tables used" for * without FROM,
// 1111 for an aggregate in WHERE or inside another, 1140 for a bare column
// next to an aggregate (there is no GROUP BY).
func BindSelect(sel *Select, s *Schema) (*Query, error) {
	if sel.From == nil {
		s = nil
	}
	q := &Query{Stmt: sel, Schema: s, Limit: -1, ForUpdate: sel.ForUpdate}
	b := binder{schema: s, clause: ClauseFieldList, aggs: &q.Aggs}
	if s != nil {
		b.qual = sel.From.Name
		if sel.From.Alias != "" {
			b.qual = sel.From.Alias
		}
	}
	itemIndex := make([]int, len(sel.Items)) // sel.Items[i] is q.Items[itemIndex[i]]
	for n, it := range sel.Items {
		itemIndex[n] = len(q.Items)
		if it.Star {
			if s == nil {
				return nil, ErrorAt(it.Pos, CodeNoTablesUsed, "No tables used")
			}
			for i, c := range s.Columns {
				q.Items = append(q.Items, &ColumnRef{Pos: it.Pos, Name: c.Name, Index: i, Bound: true})
				q.Columns = append(q.Columns, c.Name)
			}
			continue
		}
		if err := b.bind(it.Expr, false); err != nil {
			return nil, err
		}
		name := it.Alias
		if name == "" {
			if c, ok := it.Expr.(*ColumnRef); ok {
				name = c.Name
			} else {
				name = exprString(it.Expr)
			}
		}
		q.Items = append(q.Items, it.Expr)
		q.Columns = append(q.Columns, name)
	}
	if sel.Where != nil {
		wb := binder{schema: s, qual: b.qual, clause: ClauseWhere}
		if err := wb.bind(sel.Where, false); err != nil {
			return nil, err
		}
		q.Where = sel.Where
	}
	ob := b
	ob.clause = ClauseOrder
	for _, o := range sel.OrderBy {
		k := OrderKey{Item: -1, Desc: o.Desc}
		switch e := o.Expr.(type) {
		case *Literal:
			if e.Value.kind == KindInt {
				n := e.Value.i
				if n < 1 || n > int64(len(q.Items)) {
					return nil, ErrUnknownColumn(e.Pos, e.Value.String(), ClauseOrder)
				}
				k.Item = int(n - 1)
			}
		case *ColumnRef:
			if e.Table == "" {
				for i, it := range sel.Items {
					if it.Alias != "" && it.Alias == e.Name {
						k.Item = itemIndex[i]
						break
					}
				}
			}
		}
		if k.Item < 0 {
			if err := ob.bind(o.Expr, false); err != nil {
				return nil, err
			}
			k.Expr = o.Expr
		}
		q.Order = append(q.Order, k)
	}
	q.Aggregate = len(q.Aggs) > 0
	if q.Aggregate {
		for i, e := range q.Items {
			if c := bareColumn(e); c != nil {
				return nil, ErrorAt(c.Pos, CodeMixOfGroupFunc,
					"In aggregated query without GROUP BY, expression #%d of SELECT list contains nonaggregated column '%s.%s'; this is incompatible with sql_mode=only_full_group_by",
					i+1, s.Table, c.Name)
			}
		}
		for i, k := range q.Order {
			if c := bareColumn(k.Expr); c != nil {
				return nil, ErrorAt(c.Pos, CodeMixOfGroupFunc,
					"In aggregated query without GROUP BY, expression #%d of ORDER BY clause contains nonaggregated column '%s.%s'; this is incompatible with sql_mode=only_full_group_by",
					i+1, s.Table, c.Name)
			}
		}
	}
	if sel.Limit != nil {
		q.Limit, q.Offset = sel.Limit.Count, sel.Limit.Offset
	}
	return q, nil
}

// bareColumn returns the first column of e outside any aggregate call.
func bareColumn(e Expr) *ColumnRef {
	var found *ColumnRef
	Walk(e, func(x Expr) bool {
		if found != nil {
			return false
		}
		switch x := x.(type) {
		case *ColumnRef:
			found = x
		case *AggCall:
			return false
		}
		return true
	})
	return found
}

// InsertPlan is a bound INSERT: [InsertPlan.Row] makes each row to insert.
type InsertPlan struct {
	Stmt   *Insert
	Schema *Schema
	// Targets are the column indexes the values of each row go to, in order.
	Targets []int
	// targets is room for Targets in the plan's own allocation: tables
	// have a few columns.
	targets [8]int
}

// BindInsert binds an INSERT against its table's schema: the column list
// (ERROR 1054 for an unknown column, 1110 "Column 'x' specified twice"),
// the number of values in each row (ERROR 1136 "Column count doesn't match
// value count at row 2") and the values, which must be constant
// expressions (a column there is ERROR 1054, an aggregate ERROR 1111).
func BindInsert(ins *Insert, s *Schema) (*InsertPlan, error) {
	p := new(InsertPlan)
	if err := BindInsertTo(p, ins, s); err != nil {
		return nil, err
	}
	return p, nil
}

// BindInsertTo is [BindInsert] into a plan the caller provides, which it
// may keep with other state of the statement rather than allocate.
func BindInsertTo(p *InsertPlan, ins *Insert, s *Schema) error {
	*p = InsertPlan{Stmt: ins, Schema: s}
	if n := max(len(s.Columns), len(ins.Columns)); n <= len(p.targets) {
		p.Targets = p.targets[:0:n]
	}
	if ins.Columns == nil {
		if p.Targets == nil {
			p.Targets = make([]int, 0, len(s.Columns))
		}
		for i := range s.Columns {
			p.Targets = append(p.Targets, i)
		}
	} else {
		for k, id := range ins.Columns {
			i := s.ColumnIndex(id.Name)
			if i < 0 {
				return ErrUnknownColumn(id.Pos, id.Name, ClauseFieldList)
			}
			for _, prev := range ins.Columns[:k] {
				if prev.Name == id.Name {
					return ErrorAt(id.Pos, CodeFieldSpecifiedTwice, "Column '%s' specified twice", id.Name)
				}
			}
			p.Targets = append(p.Targets, i)
		}
	}
	b := binder{clause: ClauseFieldList}
	for r, row := range ins.Rows {
		if len(row) != len(p.Targets) {
			return ErrorAt(row[0].Position(), CodeWrongValueCount,
				"Column count doesn't match value count at row %d", r+1)
		}
		for _, e := range row {
			if _, ok := e.(*Literal); ok {
				continue // nothing in it to bind, and a walk is calls
			}
			if err := b.bind(e, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// Row evaluates row i (0-based) of the INSERT's VALUES into a full row of
// the table: columns not listed take their DEFAULT; every value is
// converted by [Column.Assign] (errors name the row as i+1). A NOT NULL
// column without a value or default is ERROR 1364 "Field 'n' doesn't have
// a default value".
//
// auto reports that the row needs an AUTO_INCREMENT key: the key column was
// omitted or given NULL or 0, as MySQL generates one then. The key is left
// NULL in row; the executor sets it (with its per-writer stride under
// multi-master) before storing the row. When auto is false and the table
// has an AUTO_INCREMENT key, the executor raises its counter past the
// explicit key, as MySQL does.
func (p *InsertPlan) Row(i int) (row []Value, auto bool, err error) {
	return p.RowTo(i, nil)
}

// RowTo is [InsertPlan.Row] made in dst when it has room for a row of the
// table, else in a new slice.
func (p *InsertPlan) RowTo(i int, dst []Value) (row []Value, auto bool, err error) {
	s := p.Schema
	if cap(dst) >= len(s.Columns) {
		row = dst[:len(s.Columns)]
	} else {
		row = make([]Value, len(s.Columns))
	}
	given := make([]bool, len(s.Columns))
	for j := range s.Columns {
		row[j] = s.Columns[j].Default
	}
	for k, e := range p.Stmt.Rows[i] {
		j := p.Targets[k]
		col := s.Columns[j]
		v, err := eval(e, nil, nil)
		if err != nil {
			return nil, false, err
		}
		given[j] = true
		if col.AutoIncrement && v.IsNull() {
			auto = true
			continue
		}
		v, cerr := col.Assign(e.Position(), v, i+1)
		if cerr != nil {
			return nil, false, cerr
		}
		if col.AutoIncrement && v == Int(0) {
			auto = true
			v = Value{}
		}
		row[j] = v
	}
	for j, col := range s.Columns {
		if given[j] {
			continue
		}
		switch {
		case col.AutoIncrement:
			auto = true
		case col.NotNull && col.Default.IsNull():
			return nil, false, ErrorAt(p.Stmt.Table.Pos, CodeNoDefault, "Field '%s' doesn't have a default value", col.Name)
		}
	}
	return row, auto, nil
}

// UpdatePlan is a bound UPDATE: the executor tests each row of the table
// with [Matches] on Where and rewrites the matching ones with
// [UpdatePlan.Apply].
type UpdatePlan struct {
	Stmt   *Update
	Schema *Schema
	// Targets are the column indexes assigned, one per SET assignment.
	Targets []int
	// Where is the bound condition, nil for none.
	Where Expr
}

// BindUpdate binds an UPDATE against its table's schema: the assigned
// columns and values (ERROR 1054 "... in 'field list'") and the WHERE
// (ERROR 1054 "... in 'where clause'"); aggregates are ERROR 1111.
func BindUpdate(up *Update, s *Schema) (*UpdatePlan, error) {
	p := &UpdatePlan{Stmt: up, Schema: s, Where: up.Where}
	b := binder{schema: s, qual: s.Table, clause: ClauseFieldList}
	for _, a := range up.Set {
		i := s.ColumnIndex(a.Column.Name)
		if i < 0 {
			return nil, ErrUnknownColumn(a.Column.Pos, a.Column.Name, ClauseFieldList)
		}
		p.Targets = append(p.Targets, i)
		if err := b.bind(a.Value, false); err != nil {
			return nil, err
		}
	}
	if up.Where != nil {
		wb := binder{schema: s, qual: s.Table, clause: ClauseWhere}
		if err := wb.bind(up.Where, false); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Apply computes the new version of a matching row. Assignments run left to
// right and each sees the ones before it (MySQL's rule: SET a = a + 1, b = a
// gives b the new a). Values are converted by [Column.Assign]; n is the
// 1-based number of the row among those updated, for error messages.
// changed reports whether any value differs; MySQL counts only changed rows
// as affected, and an unchanged row needs no redo. old is not modified.
func (p *UpdatePlan) Apply(old []Value, n int) (row []Value, changed bool, err error) {
	row = make([]Value, len(old))
	copy(row, old)
	for k, a := range p.Stmt.Set {
		j := p.Targets[k]
		v, err := eval(a.Value, Values(row), nil)
		if err != nil {
			return nil, false, err
		}
		v, cerr := p.Schema.Columns[j].Assign(a.Value.Position(), v, n)
		if cerr != nil {
			return nil, false, cerr
		}
		row[j] = v
	}
	for j := range row {
		if row[j] != old[j] {
			changed = true
		}
	}
	return row, changed, nil
}
