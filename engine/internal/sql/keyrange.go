package sql

import (
	"sort"
	"strings"
)

// KeyRange is a set of primary key values that contains every row a WHERE
// condition can match, found by [PrimaryKeyRange] so that the executor reads
// only the pages that can hold such rows (a point update then touches one
// page, which matters for multi-master conflicts). The executor still tests
// each row with [Matches]: the range may hold rows the condition rejects.
//
// It is one of: Empty (no row can match); a set of Points (sorted, without
// duplicates; Lo and Hi are then unused); or the interval from Lo to Hi,
// where a NULL bound means unbounded and LoIncl/HiIncl say whether a bound
// itself is in. The zero KeyRange is the whole table.
type KeyRange struct {
	Empty          bool
	Points         []Value
	Lo, Hi         Value
	LoIncl, HiIncl bool
}

// Full reports whether r is the whole table.
func (r KeyRange) Full() bool {
	return !r.Empty && r.Points == nil && r.Lo.IsNull() && r.Hi.IsNull()
}

// Contains reports whether key k is in r.
func (r KeyRange) Contains(k Value) bool {
	switch {
	case r.Empty:
		return false
	case r.Points != nil:
		i := sort.Search(len(r.Points), func(i int) bool { return Compare(r.Points[i], k) >= 0 })
		return i < len(r.Points) && Compare(r.Points[i], k) == 0
	}
	if !r.Lo.IsNull() {
		if c := Compare(k, r.Lo); c < 0 || c == 0 && !r.LoIncl {
			return false
		}
	}
	if !r.Hi.IsNull() {
		if c := Compare(k, r.Hi); c > 0 || c == 0 && !r.HiIncl {
			return false
		}
	}
	return true
}

// String prints r for logs: "empty", "all", "{1, 5}", "[1, 10)", "(5, +inf)".
func (r KeyRange) String() string {
	switch {
	case r.Empty:
		return "empty"
	case r.Points != nil:
		parts := make([]string, len(r.Points))
		for i, p := range r.Points {
			parts[i] = p.SQL()
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case r.Full():
		return "all"
	}
	var b strings.Builder
	if r.Lo.IsNull() {
		b.WriteString("(-inf")
	} else {
		b.WriteString(pick(r.LoIncl, "[", "("))
		b.WriteString(r.Lo.SQL())
	}
	b.WriteString(", ")
	if r.Hi.IsNull() {
		b.WriteString("+inf)")
	} else {
		b.WriteString(r.Hi.SQL())
		b.WriteString(pick(r.HiIncl, "]", ")"))
	}
	return b.String()
}

// PrimaryKeyRange returns the primary key values that a bound WHERE
// condition (nil for none) can match in the table s. It understands, at the
// top level and under AND: comparisons of the key with constants (pk = 5,
// 3 < pk, pk >= 1 + 1), pk BETWEEN c1 AND c2, pk IN (c, ...), pk IS NULL,
// and constant conditions (WHERE 1 = 0); under OR, only sets of points
// (pk = 1 OR pk = 7). Anything else leaves the range unconstrained; a
// constant that does not evaluate or convert to the key's type is ignored,
// so that its error comes from [Matches].
func PrimaryKeyRange(where Expr, s *Schema) KeyRange {
	if where == nil {
		return KeyRange{}
	}
	return rangeOf(where, s.PrimaryKey, s.Columns[s.PrimaryKey].Type).norm()
}

func rangeOf(e Expr, pk int, typ Type) KeyRange {
	isKey := func(x Expr) bool {
		c, ok := x.(*ColumnRef)
		return ok && c.Bound && c.Index == pk
	}
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case OpAnd:
			return rangeOf(e.L, pk, typ).and(rangeOf(e.R, pk, typ))
		case OpOr:
			return rangeOf(e.L, pk, typ).or(rangeOf(e.R, pk, typ))
		case OpEq, OpLt, OpLe, OpGt, OpGe:
			op, other := e.Op, e.R
			switch {
			case isKey(e.L):
			case isKey(e.R):
				op, other = flip(op), e.L
			default:
				return constRange(e)
			}
			v, null, ok := keyConst(other, typ)
			switch {
			case !ok:
				return KeyRange{}
			case null:
				return KeyRange{Empty: true}
			}
			switch op {
			case OpEq:
				return KeyRange{Points: []Value{v}}
			case OpLt, OpLe:
				return KeyRange{Hi: v, HiIncl: op == OpLe}
			default:
				return KeyRange{Lo: v, LoIncl: op == OpGe}
			}
		}
	case *Between:
		if e.Not || !isKey(e.X) {
			return constRange(e)
		}
		lo, loNull, ok1 := keyConst(e.Lo, typ)
		hi, hiNull, ok2 := keyConst(e.Hi, typ)
		var r KeyRange
		if ok1 {
			r = r.and(KeyRange{Lo: lo, LoIncl: true, Empty: loNull})
		}
		if ok2 {
			r = r.and(KeyRange{Hi: hi, HiIncl: true, Empty: hiNull})
		}
		return r
	case *InList:
		if e.Not || !isKey(e.X) {
			return constRange(e)
		}
		r := KeyRange{Points: []Value{}}
		for _, x := range e.List {
			v, null, ok := keyConst(x, typ)
			if !ok {
				return KeyRange{}
			}
			if !null {
				r.Points = append(r.Points, v)
			}
		}
		return r
	case *IsNull:
		if !e.Not && isKey(e.X) {
			return KeyRange{Empty: true} // a primary key is never NULL
		}
	}
	return constRange(e)
}

func flip(op Op) Op {
	switch op {
	case OpLt:
		return OpGt
	case OpLe:
		return OpGe
	case OpGt:
		return OpLt
	case OpGe:
		return OpLe
	}
	return op
}

func isConst(e Expr) bool {
	c := true
	Walk(e, func(x Expr) bool {
		switch x.(type) {
		case *ColumnRef, *AggCall:
			c = false
		}
		return c
	})
	return c
}

// constRange is the range of a condition without columns: empty if it is
// FALSE or NULL, else unconstrained.
func constRange(e Expr) KeyRange {
	if !isConst(e) {
		return KeyRange{}
	}
	v, err := eval(e, nil, nil)
	if err != nil {
		return KeyRange{}
	}
	t, err := truth(v, e.Position())
	if err != nil || t == isTrue {
		return KeyRange{}
	}
	return KeyRange{Empty: true}
}

// keyConst evaluates a constant compared with the key and converts it to
// the key's type; ok is false when that cannot be done.
func keyConst(e Expr, typ Type) (v Value, null, ok bool) {
	if !isConst(e) {
		return v, false, false
	}
	v, err := eval(e, nil, nil)
	if err != nil {
		return v, false, false
	}
	switch {
	case v.kind == KindNull:
		return v, true, true
	case typ == TypeInt && v.kind == KindText:
		n, ok, _ := parseIntText(v.s)
		return Int(n), false, ok
	case typ == TypeText && v.kind == KindInt:
		return v, false, false // compared numerically: no key order to use
	}
	return v, false, true
}

// and intersects two ranges.
func (r KeyRange) and(o KeyRange) KeyRange {
	if r.Empty || o.Empty {
		return KeyRange{Empty: true}
	}
	out := r
	switch {
	case r.Points != nil && o.Points != nil:
		out.Points = []Value{}
		other := KeyRange{Points: sortedPoints(o.Points)}
		for _, p := range sortedPoints(r.Points) {
			if other.Contains(p) {
				out.Points = append(out.Points, p)
			}
		}
	case o.Points != nil:
		out.Points = o.Points
	}
	if !o.Lo.IsNull() {
		if c := Compare(o.Lo, r.Lo); r.Lo.IsNull() || c > 0 || c == 0 && !o.LoIncl {
			out.Lo, out.LoIncl = o.Lo, o.LoIncl
		}
	}
	if !o.Hi.IsNull() {
		if c := Compare(o.Hi, r.Hi); r.Hi.IsNull() || c < 0 || c == 0 && !o.HiIncl {
			out.Hi, out.HiIncl = o.Hi, o.HiIncl
		}
	}
	return out
}

// or unites two ranges when the union is a set of points, and otherwise
// gives up (the whole table).
func (r KeyRange) or(o KeyRange) KeyRange {
	r, o = r.norm(), o.norm()
	switch {
	case r.Empty:
		return o
	case o.Empty:
		return r
	case r.Points != nil && o.Points != nil:
		return KeyRange{Points: append(append([]Value{}, r.Points...), o.Points...)}.norm()
	}
	return KeyRange{}
}

// norm puts r in its documented form: points sorted, deduplicated and
// within the bounds, which are then dropped; an empty set or interval is
// Empty.
func (r KeyRange) norm() KeyRange {
	if r.Empty {
		return KeyRange{Empty: true}
	}
	if r.Points != nil {
		bounds := KeyRange{Lo: r.Lo, Hi: r.Hi, LoIncl: r.LoIncl, HiIncl: r.HiIncl}
		pts := []Value{}
		for _, p := range sortedPoints(r.Points) {
			if bounds.Contains(p) {
				pts = append(pts, p)
			}
		}
		if len(pts) == 0 {
			return KeyRange{Empty: true}
		}
		return KeyRange{Points: pts}
	}
	if !r.Lo.IsNull() && !r.Hi.IsNull() {
		if c := Compare(r.Lo, r.Hi); c > 0 || c == 0 && !(r.LoIncl && r.HiIncl) {
			return KeyRange{Empty: true}
		}
	}
	return r
}

func sortedPoints(ps []Value) []Value {
	out := append([]Value{}, ps...)
	sort.Slice(out, func(i, j int) bool { return Compare(out[i], out[j]) < 0 })
	n := 0
	for i, p := range out {
		if i == 0 || Compare(p, out[n-1]) != 0 {
			out[n] = p
			n++
		}
	}
	return out[:n]
}

func pick(c bool, yes, no string) string {
	if c {
		return yes
	}
	return no
}
