package engine

import (
	"aurora-lab/engine/internal/script"
)

// statement is a SQL statement in progress on a console.
type statement struct {
	conn    string
	item    script.Item
	started Time
	done    bool
}

func (st *statement) output(con *console) Output {
	return Output{Console: con.name, Conn: st.conn, Kind: OutSQL, Line: st.item.Line, Col: st.item.Col, Input: st.item.Text, Started: st.started}
}

// fail ends the statement with an error.
func (st *statement) fail(l *Lab, con *console, err error) {
	if st.done {
		return
	}
	st.done = true
	o := st.output(con)
	o.Err = err.Error()
	if con.running == st {
		con.running = nil
	}
	l.finish(con, o)
}

func (l *Lab) startSQL(con *console, it script.Item) {
	st := &statement{conn: con.conn, item: it, started: l.c.Now()}
	con.running = st
	if it.Err != nil {
		st.fail(l, con, it.Err)
		return
	}
	st.fail(l, con, errNoSQL)
}
