package engine

import (
	"fmt"
	"strconv"
	"strings"

	"aurora-lab/engine/internal/db"
	"aurora-lab/engine/internal/script"
	"aurora-lab/engine/internal/sql"
)

// statement is a SQL statement in progress on a console.
type statement struct {
	conn    string
	item    script.Item
	started Time
	done    bool
	// l and con are where the outcome goes (Done).
	l   *Lab
	con *console
}

// Done implements db.Waiter. The instance calls it once, when it has
// finished the statement's request, and keeps no other use for it: from
// then on nothing refers to st (the console's running statement, if it
// was st, is cleared by complete, or was by an earlier fail), so it
// becomes the console's spare for its next statement.
func (st *statement) Done(out db.Outcome) {
	con := st.con
	st.complete(st.l, con, out)
	if con.spare == nil && con.running != st {
		con.spare = st
	}
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
	o.Err = errorText(err)
	if con.running == st {
		con.running = nil
	}
	l.finish(con, o)
}

// errorText prints an error as the console shows it: SQL errors in MySQL's
// form with their position.
func errorText(err error) string {
	if e, ok := err.(*sql.Error); ok {
		return e.Report()
	}
	if e, ok := err.(*script.Error); ok {
		return fmt.Sprintf("ERROR 1064 (42000) at line %d, column %d: %s", e.Line, e.Col, e.Msg)
	}
	return err.Error()
}

func (st *statement) complete(l *Lab, con *console, out db.Outcome) {
	if st.done {
		return
	}
	if out.Err != nil {
		st.fail(l, con, out.Err)
		return
	}
	st.done = true
	o := st.output(con)
	o.OK = true
	o.Text = out.Text
	o.Result = out.Result
	took := l.c.Now() - st.started
	// The note is built in a buffer on the stack: every statement prints
	// one, and only the final text needs to be kept, in the Lab's texts.
	var buf [128]byte
	switch {
	case out.CommitLSN != 0:
		o.CommitLSN = uint64(out.CommitLSN)
		b := append(append(buf[:0], o.Text...), "\n(commit LSN "...)
		b = strconv.AppendUint(b, uint64(out.CommitLSN), 10)
		b = append(took.Append(append(b, " durable after "...)), ')')
		o.Text = l.texts.keep(b)
	case took > 0:
		b := append(append(buf[:0], o.Text...), "\n(took "...)
		o.Text = l.texts.keep(append(took.Append(b), ')'))
	}
	if con.running == st {
		con.running = nil
	}
	l.finish(con, o)
}

// session returns the console's session on an instance.
func (con *console) session(name string) *db.Session {
	if con.sessions == nil {
		con.sessions = map[string]*db.Session{}
	}
	s := con.sessions[name]
	if s == nil {
		s = db.NewSession()
		con.sessions[name] = s
	}
	return s
}

func (l *Lab) startSQL(con *console, it script.Item) {
	st := con.spare
	if st != nil {
		con.spare = nil
		*st = statement{conn: con.conn, item: it, started: l.c.Now(), l: l, con: con}
	} else {
		st = &statement{conn: con.conn, item: it, started: l.c.Now(), l: l, con: con}
	}
	con.running = st
	if it.Err != nil {
		st.fail(l, con, it.Err)
		return
	}
	if strings.TrimSpace(it.Text) == "" {
		st.fail(l, con, sql.ErrorAt(sql.Pos{Line: it.Line, Col: it.Col}, sql.CodeEmptyQuery, "Query was empty"))
		return
	}
	stmt, err := l.parser.Parse(it.Text, it.Line, it.Col)
	if err != nil {
		st.fail(l, con, err)
		return
	}
	in := l.c.Instance(con.conn)
	if in == nil || !l.c.Up(in.ID) {
		st.fail(l, con, fmt.Errorf("ERROR 2003 (HY000): Can't connect to server on '%s': the instance is down", con.conn))
		return
	}
	sess := con.session(con.conn)
	in.ExecFor(l.c, sess, stmt, st)
}

// textArena keeps short output texts in shared blocks, one allocation for
// many texts rather than one each. A block is a strings.Builder's buffer:
// a Builder only ever appends, never changing the bytes of a string it
// has returned, so every text handed out stays as it was for as long as
// anything holds it, which also keeps its whole block alive. A full block
// is left to the texts in it, and a new Builder starts the next.
type textArena struct {
	b strings.Builder
}

// textBlock is the size of a block: a few dozen statements' notes.
const textBlock = 2048

// keep returns a string holding b.
func (a *textArena) keep(b []byte) string {
	if len(b) > textBlock/4 {
		return string(b)
	}
	if a.b.Cap()-a.b.Len() < len(b) {
		a.b = strings.Builder{}
		a.b.Grow(textBlock)
	}
	n := a.b.Len()
	a.b.Write(b)
	return a.b.String()[n:]
}
