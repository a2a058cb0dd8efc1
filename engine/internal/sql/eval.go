package sql

import "math"

// Row gives the values of a row by column index (the index in the table's
// [Schema], which binding has stored in each [ColumnRef]). The executor may
// implement it over its own row format; [Values] implements it over a slice.
type Row interface {
	Column(i int) Value
}

// Values is a row held as a slice, one value per column.
type Values []Value

// Column returns r[i].
func (r Values) Column(i int) Value { return r[i] }

// Eval evaluates a bound expression against row (row may be nil for an
// expression without columns). The rules, MySQL's in strict mode:
//
//   - NULL in, NULL out: arithmetic and comparisons with a NULL operand are
//     NULL (unknown). AND, OR and NOT use three-valued logic: FALSE AND NULL
//     is FALSE, TRUE OR NULL is TRUE, NOT NULL is NULL. IS [NOT] NULL is
//     never NULL. x IN (list) is TRUE if x equals an element, else NULL if x
//     or an element is NULL, else FALSE. BETWEEN is x >= lo AND x <= hi.
//   - Truth values are the integers 1 and 0.
//   - Arithmetic is on 64-bit integers. "/" is integer division truncated
//     toward zero (MySQL's DIV: 7 / 2 = 3, -7 / 2 = -3); "%" has the sign
//     of the dividend. Division or modulo by zero is ERROR 1365 "Division by
//     0"; overflow is ERROR 1690 "BIGINT value is out of range in '(a + b)'".
//   - A text operand of arithmetic, of a comparison with an integer, or used
//     as a truth value is converted to an integer if it is one ('42', ' -7 ')
//     and is otherwise ERROR 1292 "Truncated incorrect INTEGER value: 'abc'"
//     at the text's position, as MySQL's strict mode fails such statements.
//   - Texts compare with texts byte by byte (a binary collation: 'a' <> 'A',
//     as in PostgreSQL's "C" collation, unlike MySQL's default).
//   - An aggregate is ERROR 1111 "Invalid use of group function": aggregates
//     are computed by a [QueryRun] (or an [Aggregator]), not by Eval.
//
// Every error is an *Error positioned at the operator or operand at fault.
func Eval(e Expr, row Row) (Value, error) {
	v, err := eval(e, row, nil)
	if err != nil {
		return v, err
	}
	return v, nil
}

// Matches reports whether row satisfies a bound WHERE condition: true for a
// nil condition, false when the condition is FALSE or NULL (unknown).
func Matches(where Expr, row Row) (bool, error) {
	if where == nil {
		return true, nil
	}
	v, err := eval(where, row, nil)
	if err != nil {
		return false, err
	}
	t, err := truth(v, where.Position())
	if err != nil {
		return false, err
	}
	return t == isTrue, nil
}

type tri uint8

const (
	isFalse tri = iota
	isTrue
	isUnknown
)

func (t tri) value() Value {
	switch t {
	case isTrue:
		return Int(1)
	case isFalse:
		return Int(0)
	}
	return Value{}
}

func truth(v Value, pos Pos) (tri, *Error) {
	if v.kind == KindNull {
		return isUnknown, nil
	}
	n, err := toInt(v, pos)
	if err != nil {
		return isFalse, err
	}
	if n != 0 {
		return isTrue, nil
	}
	return isFalse, nil
}

// toInt converts an operand to an integer (see Eval); v must not be NULL.
func toInt(v Value, pos Pos) (int64, *Error) {
	if v.kind == KindInt {
		return v.i, nil
	}
	n, ok, _ := parseIntText(v.s)
	if !ok {
		return 0, ErrorAt(pos, CodeTruncatedWrongValue, "Truncated incorrect INTEGER value: '%s'", v.s)
	}
	return n, nil
}

func outOfRange(pos Pos, what string) *Error {
	return ErrorAt(pos, CodeDataOutOfRange, "BIGINT value is out of range in '%s'", what)
}

// eval evaluates e; aggs holds the values of the aggregate calls by slot
// when a query's aggregated row is being computed, and is nil otherwise.
func eval(e Expr, row Row, aggs []Value) (Value, *Error) {
	switch e := e.(type) {
	case *Literal:
		return e.Value, nil
	case *ColumnRef:
		if !e.Bound || row == nil {
			return Value{}, ErrUnknownColumn(e.Pos, e.qualified(), ClauseFieldList)
		}
		return row.Column(e.Index), nil
	case *Unary:
		x, err := eval(e.X, row, aggs)
		if err != nil || x.kind == KindNull {
			return Value{}, err
		}
		if e.Op == OpNot {
			t, err := truth(x, e.X.Position())
			if err != nil {
				return Value{}, err
			}
			return Bool(t == isFalse), nil
		}
		n, err := toInt(x, e.X.Position())
		if err != nil {
			return Value{}, err
		}
		if n == math.MinInt64 {
			return Value{}, outOfRange(e.Pos, "-("+exprString(e.X)+")")
		}
		return Int(-n), nil
	case *Binary:
		switch e.Op {
		case OpAnd, OpOr:
			return evalLogic(e, row, aggs)
		}
		l, err := eval(e.L, row, aggs)
		if err != nil {
			return Value{}, err
		}
		r, err := eval(e.R, row, aggs)
		if err != nil {
			return Value{}, err
		}
		if l.kind == KindNull || r.kind == KindNull {
			return Value{}, nil
		}
		switch e.Op {
		case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
			c, err := compareSQL(l, r, e.L.Position(), e.R.Position())
			if err != nil {
				return Value{}, err
			}
			return Bool(cmpHolds(e.Op, c)), nil
		}
		a, err := toInt(l, e.L.Position())
		if err != nil {
			return Value{}, err
		}
		b, err := toInt(r, e.R.Position())
		if err != nil {
			return Value{}, err
		}
		n, ok := arith(e.Op, a, b)
		if !ok {
			if b == 0 && (e.Op == OpDiv || e.Op == OpMod) {
				return Value{}, ErrDivisionByZero(e.Pos)
			}
			return Value{}, outOfRange(e.Pos, "("+exprString(e)+")")
		}
		return Int(n), nil
	case *IsNull:
		x, err := eval(e.X, row, aggs)
		if err != nil {
			return Value{}, err
		}
		return Bool((x.kind == KindNull) != e.Not), nil
	case *Between:
		x, err := eval(e.X, row, aggs)
		if err != nil {
			return Value{}, err
		}
		lo, err := eval(e.Lo, row, aggs)
		if err != nil {
			return Value{}, err
		}
		hi, err := eval(e.Hi, row, aggs)
		if err != nil {
			return Value{}, err
		}
		ge, err := cmpTri(OpGe, x, lo, e.X.Position(), e.Lo.Position())
		if err != nil {
			return Value{}, err
		}
		le, err := cmpTri(OpLe, x, hi, e.X.Position(), e.Hi.Position())
		if err != nil {
			return Value{}, err
		}
		t := and3(ge, le)
		if e.Not {
			t = not3(t)
		}
		return t.value(), nil
	case *InList:
		x, err := eval(e.X, row, aggs)
		if err != nil {
			return Value{}, err
		}
		t := isFalse
		for _, item := range e.List {
			v, err := eval(item, row, aggs)
			if err != nil {
				return Value{}, err
			}
			c, err := cmpTri(OpEq, x, v, e.X.Position(), item.Position())
			if err != nil {
				return Value{}, err
			}
			if c == isTrue {
				t = isTrue
				break
			}
			if c == isUnknown {
				t = isUnknown
			}
		}
		if e.Not {
			t = not3(t)
		}
		return t.value(), nil
	case *AggCall:
		if aggs == nil || e.Slot < 0 || e.Slot >= len(aggs) {
			return Value{}, ErrorAt(e.Pos, CodeInvalidGroupFuncUse, "Invalid use of group function")
		}
		return aggs[e.Slot], nil
	}
	panic("sql: eval of an unknown expression node")
}

func evalLogic(e *Binary, row Row, aggs []Value) (Value, *Error) {
	l, err := eval(e.L, row, aggs)
	if err != nil {
		return Value{}, err
	}
	lt, err := truth(l, e.L.Position())
	if err != nil {
		return Value{}, err
	}
	// Short-circuit as MySQL does: the right side is not evaluated (and its
	// errors not raised) when the left side decides.
	if e.Op == OpAnd && lt == isFalse {
		return Int(0), nil
	}
	if e.Op == OpOr && lt == isTrue {
		return Int(1), nil
	}
	r, err := eval(e.R, row, aggs)
	if err != nil {
		return Value{}, err
	}
	rt, err := truth(r, e.R.Position())
	if err != nil {
		return Value{}, err
	}
	if e.Op == OpAnd {
		return and3(lt, rt).value(), nil
	}
	return not3(and3(not3(lt), not3(rt))).value(), nil
}

func and3(a, b tri) tri {
	switch {
	case a == isFalse || b == isFalse:
		return isFalse
	case a == isUnknown || b == isUnknown:
		return isUnknown
	}
	return isTrue
}

func not3(a tri) tri {
	switch a {
	case isTrue:
		return isFalse
	case isFalse:
		return isTrue
	}
	return isUnknown
}

// compareSQL compares two non-NULL operands: integers numerically, texts
// byte-wise, an integer and a text by converting the text to an integer.
func compareSQL(l, r Value, lpos, rpos Pos) (int, *Error) {
	if l.kind != r.kind {
		if l.kind == KindText {
			n, err := toInt(l, lpos)
			if err != nil {
				return 0, err
			}
			l = Int(n)
		} else {
			n, err := toInt(r, rpos)
			if err != nil {
				return 0, err
			}
			r = Int(n)
		}
	}
	return Compare(l, r), nil
}

func cmpTri(op Op, l, r Value, lpos, rpos Pos) (tri, *Error) {
	if l.kind == KindNull || r.kind == KindNull {
		return isUnknown, nil
	}
	c, err := compareSQL(l, r, lpos, rpos)
	if err != nil {
		return isFalse, err
	}
	if cmpHolds(op, c) {
		return isTrue, nil
	}
	return isFalse, nil
}

func cmpHolds(op Op, c int) bool {
	switch op {
	case OpEq:
		return c == 0
	case OpNe:
		return c != 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	case OpGt:
		return c > 0
	case OpGe:
		return c >= 0
	}
	return false
}

// arith computes a op b; ok is false on overflow or division by zero.
func arith(op Op, a, b int64) (int64, bool) {
	switch op {
	case OpAdd:
		r := a + b
		return r, !(a > 0 && b > 0 && r < 0 || a < 0 && b < 0 && r >= 0)
	case OpSub:
		r := a - b
		return r, !(a >= 0 && b < 0 && r < 0 || a < 0 && b > 0 && r >= 0)
	case OpMul:
		if a == 0 || b == 0 {
			return 0, true
		}
		r := a * b
		if r/b != a || a == -1 && b == math.MinInt64 || b == -1 && a == math.MinInt64 {
			return 0, false
		}
		return r, true
	case OpDiv:
		if b == 0 || a == math.MinInt64 && b == -1 {
			return 0, false
		}
		return a / b, true
	case OpMod:
		if b == 0 {
			return 0, false
		}
		if b == -1 {
			return 0, true
		}
		return a % b, true
	}
	return 0, false
}

func (c *ColumnRef) qualified() string {
	if c.Table != "" {
		return c.Table + "." + c.Name
	}
	return c.Name
}

// Aggregator computes one aggregate call over the rows added to it, with
// SQL's rules: COUNT(*) counts rows, COUNT(e) the rows where e is not NULL;
// SUM, MIN and MAX ignore NULLs and are NULL over no values. SUM is an
// integer sum (a text argument converts as in [Eval]); its overflow is
// ERROR 1690. MIN and MAX use [Compare].
type Aggregator struct {
	call  *AggCall
	count int64
	sum   int64
	best  Value
}

// NewAggregator returns an Aggregator for a bound call.
func NewAggregator(call *AggCall) *Aggregator { return &Aggregator{call: call} }

// Add feeds one row.
func (a *Aggregator) Add(row Row) error {
	if a.call.Arg == nil {
		a.count++
		return nil
	}
	v, err := eval(a.call.Arg, row, nil)
	if err != nil {
		return err
	}
	if v.kind == KindNull {
		return nil
	}
	switch a.call.Func {
	case AggSum:
		n, err := toInt(v, a.call.Arg.Position())
		if err != nil {
			return err
		}
		s, ok := arith(OpAdd, a.sum, n)
		if !ok {
			return outOfRange(a.call.Pos, exprString(a.call))
		}
		a.sum = s
	case AggMin:
		if a.count == 0 || Compare(v, a.best) < 0 {
			a.best = v
		}
	case AggMax:
		if a.count == 0 || Compare(v, a.best) > 0 {
			a.best = v
		}
	}
	a.count++
	return nil
}

// Value returns the aggregate over the rows added so far.
func (a *Aggregator) Value() Value {
	switch a.call.Func {
	case AggCount:
		return Int(a.count)
	case AggSum:
		if a.count == 0 {
			return Value{}
		}
		return Int(a.sum)
	}
	return a.best
}
