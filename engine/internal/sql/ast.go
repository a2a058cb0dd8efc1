package sql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Node is any node of the syntax tree. Every node embeds the [Pos] where it
// starts in the script; an operator expression (a + b, a IS NULL, a BETWEEN
// ...) is at its operator, which is where its runtime errors point.
type Node interface {
	Position() Pos
	// String prints the node as canonical SQL: keywords in upper case,
	// identifiers in lower case and quoted only when they must be, single
	// spaces, and the fewest parentheses that keep the meaning. Parsing the
	// printed text gives the same tree (positions aside).
	String() string
}

// Stmt is a statement: one of *CreateTable, *DropTable, *Insert, *Update,
// *Delete, *Select, *Begin, *Commit, *Rollback, *Set.
type Stmt interface {
	Node
	stmtNode()
}

// Expr is an expression: one of *Literal, *ColumnRef, *Unary, *Binary,
// *IsNull, *Between, *InList, *AggCall.
type Expr interface {
	Node
	exprNode()
}

// Ident is a name (of a table, a column or a variable) where it appears.
// Name is normalised to lower case, quoted or not.
type Ident struct {
	Pos
	Name string
}

// String prints the name, quoted with double quotes if it must be.
func (id Ident) String() string { return QuoteIdent(id.Name) }

// QuoteIdent prints a (lower-case) name as the language reads it back:
// bare when it is a plain word that is not reserved, else in double quotes
// with inner double quotes doubled.
func QuoteIdent(name string) string {
	if isBareIdent(name) {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func isBareIdent(name string) bool {
	if name == "" || reserved[name] || strings.ToLower(name) != name {
		return false
	}
	for i, r := range name {
		if r == utf8.RuneError {
			return false
		}
		if i == 0 && !isIdentStart(r) || !isIdentPart(r) {
			return false
		}
	}
	return true
}

// ---- statements ----

// CreateTable is CREATE TABLE [IF NOT EXISTS] t (column, ...). The parser
// has checked it (exactly one primary key column, defaults of the right
// type, ...); [CreateTable.Schema] gives the table's schema.
type CreateTable struct {
	Pos
	IfNotExists bool
	Table       Ident
	Columns     []ColumnDef
}

// ColumnDef is one column of a CREATE TABLE. A table constraint
// PRIMARY KEY (c) is folded into its column's PrimaryKey, so both spellings
// give the same tree.
type ColumnDef struct {
	Pos
	Column
}

// DropTable is DROP TABLE [IF EXISTS] t.
type DropTable struct {
	Pos
	IfExists bool
	Table    Ident
}

// Insert is INSERT INTO t [(c, ...)] VALUES (e, ...), .... Columns is nil
// without a column list. Every row has at least one expression.
type Insert struct {
	Pos
	Table   Ident
	Columns []Ident
	Rows    [][]Expr
}

// Update is UPDATE t SET c = e, ... [WHERE e]. Where is nil without WHERE.
type Update struct {
	Pos
	Table Ident
	Set   []Assignment
	Where Expr
}

// Assignment is one c = e of an UPDATE.
type Assignment struct {
	Column Ident
	Value  Expr
}

// Delete is DELETE FROM t [WHERE e]. Where is nil without WHERE.
type Delete struct {
	Pos
	Table Ident
	Where Expr
}

// Select is SELECT items [FROM t [AS a]] [WHERE e] [ORDER BY ...]
// [LIMIT n [OFFSET m]] [FOR UPDATE]. From is nil for SELECT without FROM;
// Where nil without WHERE; Limit nil without LIMIT.
type Select struct {
	Pos
	Items     []SelectItem
	From      *TableRef
	Where     Expr
	OrderBy   []OrderItem
	Limit     *Limit
	ForUpdate bool
}

// SelectItem is * (Star, with Expr nil) or an expression with an optional
// alias ("" for none).
type SelectItem struct {
	Pos
	Star  bool
	Expr  Expr
	Alias string
}

// TableRef is the table of a FROM, with its alias ("" for none).
type TableRef struct {
	Ident
	Alias string
}

// OrderItem is one key of an ORDER BY. An integer literal refers to a
// select item by position, a bare name first to a select item's alias, as
// in MySQL (see [BindSelect]).
type OrderItem struct {
	Expr Expr
	Desc bool
}

// Limit is LIMIT Count [OFFSET Offset] (or MySQL's LIMIT Offset, Count).
// Both are >= 0.
type Limit struct {
	Pos
	Count, Offset int64
}

// Begin is BEGIN [WORK] or START TRANSACTION.
type Begin struct{ Pos }

// Commit is COMMIT [WORK].
type Commit struct{ Pos }

// Rollback is ROLLBACK [WORK].
type Rollback struct{ Pos }

// Set is SET [SESSION | LOCAL | GLOBAL] name = value, or SET @@[scope.]name
// = value, with TO accepted for =. The value is a literal (Value), a bare
// word (Value is its lower-case text and Bare is true: SET x = ON,
// SET aurora_mm_session_consistency_level = REGIONAL_RAW), or DEFAULT
// (Default is true, Value NULL). Compare words case-insensitively.
type Set struct {
	Pos
	Global  bool
	Name    Ident
	Value   Value
	Bare    bool
	Default bool
}

func (*CreateTable) stmtNode() {}
func (*DropTable) stmtNode()   {}
func (*Insert) stmtNode()      {}
func (*Update) stmtNode()      {}
func (*Delete) stmtNode()      {}
func (*Select) stmtNode()      {}
func (*Begin) stmtNode()       {}
func (*Commit) stmtNode()      {}
func (*Rollback) stmtNode()    {}
func (*Set) stmtNode()         {}

// ---- expressions ----

// Literal is a constant: an integer, a text or NULL (TRUE and FALSE are the
// integers 1 and 0).
type Literal struct {
	Pos
	Value Value
}

// ColumnRef is a column, optionally qualified by its table (or the table's
// alias). Binding ([Bind], [BindSelect], ...) sets Index to the column's
// position in the schema and Bound to true.
type ColumnRef struct {
	Pos
	Table string // "" when unqualified
	Name  string
	Index int
	Bound bool
}

// Op is an operator.
type Op uint8

// The operators. OpNeg and OpNot are the unary ones.
const (
	OpAdd Op = iota + 1
	OpSub
	OpMul
	OpDiv
	OpMod
	OpEq
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpAnd
	OpOr
	OpNeg
	OpNot
)

var opNames = [...]string{
	OpAdd: "+", OpSub: "-", OpMul: "*", OpDiv: "/", OpMod: "%",
	OpEq: "=", OpNe: "<>", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=",
	OpAnd: "AND", OpOr: "OR", OpNeg: "-", OpNot: "NOT",
}

// String returns the operator as the canonical SQL prints it.
func (op Op) String() string {
	if int(op) < len(opNames) && opNames[op] != "" {
		return opNames[op]
	}
	return fmt.Sprintf("Op(%d)", uint8(op))
}

// Unary is -X or NOT X.
type Unary struct {
	Pos
	Op Op
	X  Expr
}

// Binary is L op R for the arithmetic, comparison and logical operators.
type Binary struct {
	Pos
	Op   Op
	L, R Expr
}

// IsNull is X IS NULL, or X IS NOT NULL when Not.
type IsNull struct {
	Pos
	X   Expr
	Not bool
}

// Between is X [NOT] BETWEEN Lo AND Hi.
type Between struct {
	Pos
	X, Lo, Hi Expr
	Not       bool
}

// InList is X [NOT] IN (List...). List has at least one element.
type InList struct {
	Pos
	X    Expr
	List []Expr
	Not  bool
}

// AggFunc is an aggregate function.
type AggFunc uint8

// The aggregate functions.
const (
	AggCount AggFunc = iota + 1
	AggSum
	AggMin
	AggMax
)

// String returns "COUNT", "SUM", "MIN" or "MAX".
func (f AggFunc) String() string {
	switch f {
	case AggCount:
		return "COUNT"
	case AggSum:
		return "SUM"
	case AggMin:
		return "MIN"
	case AggMax:
		return "MAX"
	}
	return fmt.Sprintf("AggFunc(%d)", uint8(f))
}

// AggCall is an aggregate: COUNT(*) (Arg nil), COUNT(e), SUM(e), MIN(e),
// MAX(e). [BindSelect] numbers the calls of a query with Slot.
type AggCall struct {
	Pos
	Func AggFunc
	Arg  Expr
	Slot int
}

func (*Literal) exprNode()   {}
func (*ColumnRef) exprNode() {}
func (*Unary) exprNode()     {}
func (*Binary) exprNode()    {}
func (*IsNull) exprNode()    {}
func (*Between) exprNode()   {}
func (*InList) exprNode()    {}
func (*AggCall) exprNode()   {}

// ---- printing ----

// Precedence levels, loosest first.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCmp // = <> < <= > >=, IS, BETWEEN, IN: left-associative
	precAdd
	precMul
	precUnary
	precAtom
)

func prec(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case OpOr:
			return precOr
		case OpAnd:
			return precAnd
		case OpAdd, OpSub:
			return precAdd
		case OpMul, OpDiv, OpMod:
			return precMul
		}
		return precCmp
	case *Unary:
		if e.Op == OpNot {
			return precNot
		}
		return precUnary
	case *IsNull, *Between, *InList:
		return precCmp
	case *Literal:
		if e.Value.kind == KindInt && e.Value.i < 0 {
			return precUnary // prints as -5
		}
	}
	return precAtom
}

// writeExpr prints e, in parentheses if it binds more loosely than min.
func writeExpr(b *strings.Builder, e Expr, min int) {
	if prec(e) < min {
		b.WriteByte('(')
		writeExpr(b, e, 0)
		b.WriteByte(')')
		return
	}
	switch e := e.(type) {
	case *Literal:
		b.WriteString(e.Value.SQL())
	case *ColumnRef:
		if e.Table != "" {
			b.WriteString(QuoteIdent(e.Table))
			b.WriteByte('.')
		}
		b.WriteString(QuoteIdent(e.Name))
	case *Unary:
		if e.Op == OpNot {
			b.WriteString("NOT ")
			writeExpr(b, e.X, precNot)
			return
		}
		b.WriteByte('-')
		// Only a name or a call may follow the minus bare: "-5" would read
		// back as a literal, "--x" as a comment.
		switch e.X.(type) {
		case *ColumnRef, *AggCall:
			writeExpr(b, e.X, precUnary)
		default:
			b.WriteByte('(')
			writeExpr(b, e.X, 0)
			b.WriteByte(')')
		}
	case *Binary:
		p := prec(e)
		writeExpr(b, e.L, p)
		b.WriteByte(' ')
		b.WriteString(e.Op.String())
		b.WriteByte(' ')
		writeExpr(b, e.R, p+1)
	case *IsNull:
		writeExpr(b, e.X, precCmp)
		if e.Not {
			b.WriteString(" IS NOT NULL")
		} else {
			b.WriteString(" IS NULL")
		}
	case *Between:
		writeExpr(b, e.X, precCmp)
		if e.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" BETWEEN ")
		writeExpr(b, e.Lo, precAdd)
		b.WriteString(" AND ")
		writeExpr(b, e.Hi, precAdd)
	case *InList:
		writeExpr(b, e.X, precCmp)
		if e.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" IN (")
		writeExprs(b, e.List)
		b.WriteByte(')')
	case *AggCall:
		b.WriteString(e.Func.String())
		b.WriteByte('(')
		if e.Arg == nil {
			b.WriteByte('*')
		} else {
			writeExpr(b, e.Arg, 0)
		}
		b.WriteByte(')')
	default:
		fmt.Fprintf(b, "<%T>", e)
	}
}

func writeExprs(b *strings.Builder, es []Expr) {
	for i, e := range es {
		if i > 0 {
			b.WriteString(", ")
		}
		writeExpr(b, e, 0)
	}
}

func exprString(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e, 0)
	return b.String()
}

func (e *Literal) String() string   { return exprString(e) }
func (e *ColumnRef) String() string { return exprString(e) }
func (e *Unary) String() string     { return exprString(e) }
func (e *Binary) String() string    { return exprString(e) }
func (e *IsNull) String() string    { return exprString(e) }
func (e *Between) String() string   { return exprString(e) }
func (e *InList) String() string    { return exprString(e) }
func (e *AggCall) String() string   { return exprString(e) }

// String prints the column as in CREATE TABLE: name type [NOT NULL]
// [DEFAULT v] [PRIMARY KEY] [AUTO_INCREMENT].
func (c ColumnDef) String() string { return c.Column.String() }

func (s *CreateTable) String() string {
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	if s.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	b.WriteString(s.Table.String())
	b.WriteString(" (")
	for i, c := range s.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.String())
	}
	b.WriteByte(')')
	return b.String()
}

func (s *DropTable) String() string {
	if s.IfExists {
		return "DROP TABLE IF EXISTS " + s.Table.String()
	}
	return "DROP TABLE " + s.Table.String()
}

func (s *Insert) String() string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(s.Table.String())
	if s.Columns != nil {
		b.WriteString(" (")
		for i, c := range s.Columns {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.String())
		}
		b.WriteByte(')')
	}
	b.WriteString(" VALUES ")
	for i, row := range s.Rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		writeExprs(&b, row)
		b.WriteByte(')')
	}
	return b.String()
}

func (s *Update) String() string {
	var b strings.Builder
	b.WriteString("UPDATE ")
	b.WriteString(s.Table.String())
	b.WriteString(" SET ")
	for i, a := range s.Set {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Column.String())
		b.WriteString(" = ")
		writeExpr(&b, a.Value, 0)
	}
	writeWhere(&b, s.Where)
	return b.String()
}

func writeWhere(b *strings.Builder, where Expr) {
	if where != nil {
		b.WriteString(" WHERE ")
		writeExpr(b, where, 0)
	}
}

func (s *Delete) String() string {
	var b strings.Builder
	b.WriteString("DELETE FROM ")
	b.WriteString(s.Table.String())
	writeWhere(&b, s.Where)
	return b.String()
}

func (s *Select) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, it := range s.Items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(it.String())
	}
	if s.From != nil {
		b.WriteString(" FROM ")
		b.WriteString(s.From.String())
	}
	writeWhere(&b, s.Where)
	for i, o := range s.OrderBy {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		writeExpr(&b, o.Expr, 0)
		if o.Desc {
			b.WriteString(" DESC")
		}
	}
	if s.Limit != nil {
		b.WriteByte(' ')
		b.WriteString(s.Limit.String())
	}
	if s.ForUpdate {
		b.WriteString(" FOR UPDATE")
	}
	return b.String()
}

// String prints the item: *, e or e AS alias.
func (it SelectItem) String() string {
	if it.Star {
		return "*"
	}
	s := exprString(it.Expr)
	if it.Alias != "" {
		s += " AS " + QuoteIdent(it.Alias)
	}
	return s
}

// String prints the table and its alias: t or t AS a.
func (t TableRef) String() string {
	if t.Alias != "" {
		return t.Ident.String() + " AS " + QuoteIdent(t.Alias)
	}
	return t.Ident.String()
}

func (*Begin) String() string    { return "BEGIN" }
func (*Commit) String() string   { return "COMMIT" }
func (*Rollback) String() string { return "ROLLBACK" }

func (s *Set) String() string {
	var b strings.Builder
	b.WriteString("SET ")
	if s.Global {
		b.WriteString("GLOBAL ")
	}
	b.WriteString(s.Name.String())
	b.WriteString(" = ")
	switch {
	case s.Default:
		b.WriteString("DEFAULT")
	case s.Bare:
		b.WriteString(QuoteIdent(s.Value.s))
	default:
		b.WriteString(s.Value.SQL())
	}
	return b.String()
}

// String prints the clause: LIMIT n or LIMIT n OFFSET m.
func (l Limit) String() string {
	if l.Offset != 0 {
		return fmt.Sprintf("LIMIT %d OFFSET %d", l.Count, l.Offset)
	}
	return fmt.Sprintf("LIMIT %d", l.Count)
}
