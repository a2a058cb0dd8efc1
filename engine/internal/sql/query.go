package sql

import (
	"math"
	"sort"
)

// QueryRun runs a [Query] over rows the executor feeds it, in the order it
// reads them (the primary key order of a scan). It filters with WHERE,
// projects the items or folds the aggregates, sorts by ORDER BY (stably:
// rows with equal keys keep the order they were added in) and applies
// LIMIT and OFFSET.
//
//	run := q.Start()
//	for each row of the table in key order {
//		more, err := run.Add(row)
//		if err != nil { fail the statement }
//		if !more { break } // LIMIT is satisfied: no need to read further
//	}
//	res, err := run.Result()
//
// For a SELECT without FROM, add exactly one row: Values(nil).
type QueryRun struct {
	q    *Query
	aggs []*Aggregator
	rows []sortRow
	done bool
}

type sortRow struct {
	vals []Value
	keys []Value // one per OrderKey with Item < 0
}

// Start returns a run of q.
func (q *Query) Start() *QueryRun {
	r := &QueryRun{q: q}
	for _, c := range q.Aggs {
		r.aggs = append(r.aggs, NewAggregator(c))
	}
	return r
}

// Add feeds one row of the table. It does not keep row. more is false once
// the result is decided and reading further rows is useless (a LIMIT
// without ORDER BY is satisfied); adding more rows then does no harm.
func (r *QueryRun) Add(row Row) (more bool, err error) {
	q := r.q
	if r.done {
		return false, nil
	}
	ok, err := Matches(q.Where, row)
	if err != nil || !ok {
		return err == nil, err
	}
	if q.Aggregate {
		for _, a := range r.aggs {
			if err := a.Add(row); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	sr := sortRow{vals: make([]Value, len(q.Items))}
	for i, e := range q.Items {
		v, err := eval(e, row, nil)
		if err != nil {
			return false, err
		}
		sr.vals[i] = v
	}
	for _, k := range q.Order {
		if k.Item < 0 {
			v, err := eval(k.Expr, row, nil)
			if err != nil {
				return false, err
			}
			sr.keys = append(sr.keys, v)
		}
	}
	r.rows = append(r.rows, sr)
	if len(q.Order) == 0 && q.Limit >= 0 && q.Offset <= math.MaxInt64-q.Limit &&
		int64(len(r.rows)) >= q.Offset+q.Limit {
		r.done = true
		return false, nil
	}
	return true, nil
}

// Result returns the query's result. Call it once, after the last Add.
func (r *QueryRun) Result() (*Result, error) {
	q := r.q
	res := &Result{Columns: q.Columns, Rows: [][]Value{}}
	if q.Aggregate {
		vals := make([]Value, len(r.aggs))
		for i, a := range r.aggs {
			vals[i] = a.Value()
		}
		row := make([]Value, len(q.Items))
		for i, e := range q.Items {
			v, err := eval(e, nil, vals)
			if err != nil {
				return nil, err
			}
			row[i] = v
		}
		r.rows = []sortRow{{vals: row}}
	} else if len(q.Order) > 0 {
		sort.SliceStable(r.rows, func(i, j int) bool {
			return r.less(r.rows[i], r.rows[j])
		})
	}
	rows := r.rows
	if q.Offset >= int64(len(rows)) {
		rows = nil
	} else {
		rows = rows[q.Offset:]
	}
	if q.Limit >= 0 && q.Limit < int64(len(rows)) {
		rows = rows[:q.Limit]
	}
	for _, sr := range rows {
		res.Rows = append(res.Rows, sr.vals)
	}
	return res, nil
}

func (r *QueryRun) less(a, b sortRow) bool {
	k := 0
	for _, o := range r.q.Order {
		var x, y Value
		if o.Item >= 0 {
			x, y = a.vals[o.Item], b.vals[o.Item]
		} else {
			x, y = a.keys[k], b.keys[k]
			k++
		}
		c := Compare(x, y)
		if o.Desc {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
	}
	return false
}
