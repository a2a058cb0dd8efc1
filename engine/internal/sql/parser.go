package sql

import (
	"strconv"
)

// ParseStatement parses the text of one statement that starts at line and
// col of a script (both 1-based; col counts runes), so that every position in
// the tree and in errors is the script's. A terminating ';' is optional.
// Text with no statement is ERROR 1065 "Query was empty"; a second statement
// after the ';' is a syntax error at its first token. A line or col below 1
// means the statement starts at line 1, column 1.
//
// The error, if any, is an *Error.
func ParseStatement(src string, line, col int) (Stmt, error) {
	var sp StatementParser
	return sp.Parse(src, line, col)
}

// StatementParser parses statements as ParseStatement does, keeping its
// token array from one statement to the next: the tokens live only while a
// statement is parsed (the tree copies what it keeps), so a console that
// runs statement after statement need not allocate them each time. The
// zero value is ready to use; it is not for use by two callers at once.
type StatementParser struct {
	toks []token
	// chunks are what is left of the parser's chunks for literals and
	// expression lists, for the next statement to carve from.
	chunks chunks
}

// maxKeptTokens bounds the token array a StatementParser keeps: a huge
// statement's array is left to the collector.
const maxKeptTokens = 1024

// Parse parses one statement, as ParseStatement does.
func (sp *StatementParser) Parse(src string, line, col int) (Stmt, error) {
	if line < 1 || col < 1 {
		line, col = 1, 1
	}
	buf := sp.toks
	if buf == nil {
		buf = make([]token, 0, min(len(src)/3, 64)+2)
	}
	toks, lerr := lexInto(buf[:0], src, line, col)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{toks: toks, chunks: sp.chunks}
	defer func() {
		clear(toks)
		if cap(toks) <= maxKeptTokens {
			sp.toks = toks[:0]
		}
		sp.chunks = p.chunks
	}()
	if p.peek().kind == tEOF || p.isOp(";") {
		return nil, errAt(p.peek().pos, CodeEmptyQuery, "Query was empty")
	}
	s, err := p.statement()
	if err != nil {
		return nil, err
	}
	p.acceptOp(";")
	if t := p.peek(); t.kind != tEOF {
		return nil, p.syntaxError(t)
	}
	return s, nil
}

// Parse parses a script of statements separated by ';' (positions start at
// line 1, column 1). Empty statements (";;") are skipped; an empty script
// gives no statements and no error. It stops at the first error, an *Error.
func Parse(src string) ([]Stmt, error) {
	toks, lerr := lex(src, 1, 1)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{toks: toks}
	var out []Stmt
	for {
		for p.acceptOp(";") {
		}
		if p.peek().kind == tEOF {
			return out, nil
		}
		s, err := p.statement()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		if t := p.peek(); t.kind != tEOF && !p.isOp(";") {
			return nil, p.syntaxError(t)
		}
	}
}

type parser struct {
	toks []token
	i    int
	chunks
}

// chunks hold room for the tree's literals, expression lists and lists of
// rows, handed out a piece at a time: a statement has a few of each, and
// one allocation serves many. A piece is never handed out twice, and a
// list's capacity ends where its piece does, so appending to it moves it
// out rather than over its neighbour.
type chunks struct {
	lits    []Literal
	exprs   []Expr
	rows    [][]Expr
	inserts []Insert
}

// Sizes of the chunks, in pieces; an expression list's piece holds
// exprPiece expressions.
const (
	litChunk  = 16
	exprPiece = 4
	exprChunk = 16 * exprPiece
	rowsChunk = 16
	// insChunk Inserts of 96 bytes, with the 8-byte header the
	// allocator adds to a large object holding pointers, fill a 2 KB
	// size class: 16 would round up to 1792 bytes.
	insChunk = 21
)

// literal returns a new literal at pos holding v.
func (c *chunks) literal(pos Pos, v Value) *Literal {
	if len(c.lits) == 0 {
		c.lits = make([]Literal, litChunk)
	}
	l := &c.lits[0]
	c.lits = c.lits[1:]
	*l = Literal{Pos: pos, Value: v}
	return l
}

// insert returns a new INSERT at pos: a console runs them one after the
// other, and one allocation serves many.
func (c *chunks) insert(pos Pos) *Insert {
	if len(c.inserts) == 0 {
		c.inserts = make([]Insert, insChunk)
	}
	s := &c.inserts[0]
	c.inserts = c.inserts[1:]
	*s = Insert{Pos: pos}
	return s
}

// exprRoom returns an empty list with room for exprPiece expressions.
func (c *chunks) exprRoom() []Expr {
	if len(c.exprs) < exprPiece {
		c.exprs = make([]Expr, exprChunk)
	}
	l := c.exprs[:0:exprPiece]
	c.exprs = c.exprs[exprPiece:]
	return l
}

// rowRoom returns an empty list of rows with room for one.
func (c *chunks) rowRoom() [][]Expr {
	if len(c.rows) == 0 {
		c.rows = make([][]Expr, rowsChunk)
	}
	l := c.rows[:0:1]
	c.rows = c.rows[1:]
	return l
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isKw(kw string) bool {
	t := &p.toks[p.i]
	return t.kind == tIdent && t.val == kw
}

func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.i++
		return true
	}
	return false
}

// expectKw consumes keyword kw or reports a syntax error. It returns no
// token: a token is large to copy, costly in wasm, and no caller needs it.
func (p *parser) expectKw(kw string) *Error {
	if t := &p.toks[p.i]; t.kind != tIdent || t.val != kw {
		return p.syntaxError(*t)
	}
	p.i++ // not tEOF, which is no tIdent
	return nil
}

func (p *parser) isOp(op string) bool {
	t := &p.toks[p.i]
	return t.kind == tOp && t.val == op
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.i++
		return true
	}
	return false
}

// expectOp consumes operator op or reports a syntax error, returning no
// token as expectKw does.
func (p *parser) expectOp(op string) *Error {
	if t := &p.toks[p.i]; t.kind != tOp || t.val != op {
		return p.syntaxError(*t)
	}
	p.i++ // not tEOF, which is no tOp
	return nil
}

// syntaxError is PostgreSQL's error for an unexpected token.
func (p *parser) syntaxError(t token) *Error {
	if t.kind == tEOF {
		return errAt(t.pos, CodeSyntax, "syntax error at end of input")
	}
	return errAt(t.pos, CodeSyntax, "syntax error at or near \"%s\"", shorten(t.text))
}

// ident reads a name: a word that is not reserved, or a quoted identifier.
func (p *parser) ident() (Ident, *Error) {
	t := p.peek()
	if t.kind == tQIdent || t.kind == tIdent && !t.reserved {
		p.i++
		return Ident{Pos: t.pos, Name: t.val}, nil
	}
	return Ident{}, p.syntaxError(t)
}

func (p *parser) statement() (Stmt, *Error) {
	t := p.peek()
	if t.kind != tIdent {
		return nil, p.syntaxError(t)
	}
	switch t.val {
	case "select":
		return p.selectStmt()
	case "insert":
		return p.insert()
	case "update":
		return p.update()
	case "delete":
		return p.delete()
	case "create":
		return p.createTable()
	case "drop":
		return p.dropTable()
	case "begin":
		p.next()
		p.acceptKw("work")
		return &Begin{Pos: t.pos}, nil
	case "start":
		p.next()
		if err := p.expectKw("transaction"); err != nil {
			return nil, err
		}
		return &Begin{Pos: t.pos}, nil
	case "commit":
		p.next()
		p.acceptKw("work")
		return &Commit{Pos: t.pos}, nil
	case "rollback":
		p.next()
		p.acceptKw("work")
		return &Rollback{Pos: t.pos}, nil
	case "set":
		return p.set()
	}
	return nil, p.syntaxError(t)
}

// ---- CREATE TABLE / DROP TABLE ----

func (p *parser) createTable() (Stmt, *Error) {
	s := &CreateTable{Pos: p.next().pos}
	if err := p.expectKw("table"); err != nil {
		return nil, err
	}
	if p.acceptKw("if") {
		if err := p.expectKw("not"); err != nil {
			return nil, err
		}
		if err := p.expectKw("exists"); err != nil {
			return nil, err
		}
		s.IfNotExists = true
	}
	var err *Error
	if s.Table, err = p.ident(); err != nil {
		return nil, err
	}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	var pks []Pos           // where each primary key is declared
	var pkCols []Ident      // the columns of table constraints
	var explicitNull []bool // per column: NULL written
	for {
		if p.isKw("primary") || p.isKw("key") {
			at := p.next()
			if at.val == "primary" {
				if err := p.expectKw("key"); err != nil {
					return nil, err
				}
			}
			if err := p.expectOp("("); err != nil {
				return nil, err
			}
			id, err := p.ident()
			if err != nil {
				return nil, err
			}
			if p.isOp(",") {
				return nil, errAt(p.peekAt(1).pos, CodeNotSupported,
					"composite primary keys are not supported: the model's tables have one key column")
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			pks = append(pks, at.pos)
			pkCols = append(pkCols, id)
		} else {
			c, null, err := p.columnDef()
			if err != nil {
				return nil, err
			}
			for _, o := range s.Columns {
				if o.Name == c.Name {
					return nil, errAt(c.Pos, CodeDupFieldName, "Duplicate column name '%s'", c.Name)
				}
			}
			if c.PrimaryKey {
				pks = append(pks, c.Pos)
			}
			s.Columns = append(s.Columns, c)
			explicitNull = append(explicitNull, null)
		}
		if p.acceptOp(")") {
			break
		}
		if err := p.expectOp(","); err != nil {
			return nil, err
		}
	}
	for _, id := range pkCols {
		i := -1
		for j := range s.Columns {
			if s.Columns[j].Name == id.Name {
				i = j
			}
		}
		if i < 0 {
			return nil, errAt(id.Pos, CodeKeyColumnMissing, "Key column '%s' doesn't exist in table", id.Name)
		}
		s.Columns[i].PrimaryKey = true
		s.Columns[i].NotNull = true
	}
	switch {
	case len(pks) == 0:
		return nil, errAt(s.Table.Pos, CodeRequiresPrimaryKey,
			"This table type requires a primary key: declare exactly one column PRIMARY KEY")
	case len(pks) > 1:
		return nil, errAt(pks[1], CodeMultiplePrimaryKey, "Multiple primary key defined")
	}
	for i, c := range s.Columns {
		switch {
		case c.PrimaryKey && explicitNull[i]:
			return nil, errAt(c.Pos, CodePrimaryCantHaveNull,
				"All parts of a PRIMARY KEY must be NOT NULL; if you need NULL in a key, use UNIQUE instead")
		case c.AutoIncrement && c.Type != TypeInt:
			return nil, errAt(c.Pos, CodeWrongFieldSpec, "Incorrect column specifier for column '%s'", c.Name)
		case c.AutoIncrement && !c.PrimaryKey:
			return nil, errAt(c.Pos, CodeWrongAutoKey,
				"Incorrect table definition; there can be only one auto column and it must be defined as a key")
		case c.AutoIncrement && !c.Default.IsNull():
			return nil, errAt(c.Pos, CodeInvalidDefault, "Invalid default value for '%s'", c.Name)
		}
	}
	return s, nil
}

// columnDef reads name type [options]; null reports whether NULL was
// written (an error on a primary key, checked once the key is known).
func (p *parser) columnDef() (c ColumnDef, null bool, err *Error) {
	id, err := p.ident()
	if err != nil {
		return c, false, err
	}
	c.Pos, c.Name = id.Pos, id.Name
	t := p.peek()
	if t.kind != tIdent {
		return c, false, p.typeError(t)
	}
	switch t.val {
	case "int", "integer", "bigint":
		p.next()
		c.Type = TypeInt
		if p.isOp("(") { // INT(11): a display width, ignored as MySQL 8 does
			p.next()
			if _, err := p.width(c.Name); err != nil {
				return c, false, err
			}
			if err := p.expectOp(")"); err != nil {
				return c, false, err
			}
		}
	case "text":
		p.next()
		c.Type = TypeText
	case "varchar", "char":
		p.next()
		c.Type = TypeText
		if t.val == "char" {
			c.Width = 1
		}
		if p.acceptOp("(") {
			if c.Width, err = p.width(c.Name); err != nil {
				return c, false, err
			}
			if err := p.expectOp(")"); err != nil {
				return c, false, err
			}
		}
	default:
		return c, false, p.typeError(t)
	}
	var defPos Pos
	defNull := false
	for {
		t := p.peek()
		switch {
		case p.isKw("not"):
			p.next()
			if err := p.expectKw("null"); err != nil {
				return c, false, err
			}
			c.NotNull, null = true, false
			continue
		case p.isKw("null"):
			p.next()
			c.NotNull, null = false, true
			continue
		case p.isKw("primary") || p.isKw("key"):
			p.next()
			if t.val == "primary" {
				if err := p.expectKw("key"); err != nil {
					return c, false, err
				}
			}
			c.PrimaryKey, c.NotNull = true, true
			continue
		case p.isKw("auto_increment"):
			p.next()
			c.AutoIncrement = true
			continue
		case p.isKw("default"):
			p.next()
			defPos = p.peek().pos
			v, err := p.literalValue()
			if err != nil {
				return c, false, err
			}
			c.Default, defNull = v, v.IsNull()
			continue
		}
		break
	}
	if defPos.IsValid() {
		if defNull && c.NotNull {
			return c, false, errAt(defPos, CodeInvalidDefault, "Invalid default value for '%s'", c.Name)
		}
		if !defNull {
			v, err := c.Column.Assign(defPos, c.Default, 1)
			if err != nil {
				return c, false, errAt(defPos, CodeInvalidDefault, "Invalid default value for '%s'", c.Name)
			}
			c.Default = v
		}
	}
	return c, null, nil
}

func (p *parser) typeError(t token) *Error {
	if t.kind == tEOF {
		return errAt(t.pos, CodeSyntax, "expected a column type (INT, TEXT or VARCHAR(n)) at end of input")
	}
	return errAt(t.pos, CodeSyntax, "expected a column type (INT, TEXT or VARCHAR(n)) at or near \"%s\"", shorten(t.text))
}

// width reads the n of VARCHAR(n).
func (p *parser) width(column string) (int, *Error) {
	t := p.peek()
	if t.kind != tInt {
		return 0, p.syntaxError(t)
	}
	p.next()
	n, err := strconv.ParseInt(t.val, 10, 64)
	if err != nil || n > maxWidth {
		return 0, errAt(t.pos, CodeTooBigFieldLength,
			"Column length too big for column '%s' (max = %d); use BLOB or TEXT instead", column, maxWidth)
	}
	if n == 0 {
		return 0, errAt(t.pos, CodeSyntax, "column length must be at least 1 at or near \"%s\"", t.text)
	}
	return int(n), nil
}

// literalValue reads a constant: [-]integer, 'text', NULL, TRUE, FALSE.
func (p *parser) literalValue() (Value, *Error) {
	t := p.peek()
	switch {
	case t.kind == tInt:
		p.next()
		return p.intValue(t, "")
	case t.kind == tOp && t.val == "-" && p.peekAt(1).kind == tInt:
		p.next()
		return p.intValue(p.next(), "-")
	case t.kind == tString:
		p.next()
		return Text(t.val), nil
	case p.isKw("null"):
		p.next()
		return Value{}, nil
	case p.isKw("true"):
		p.next()
		return Int(1), nil
	case p.isKw("false"):
		p.next()
		return Int(0), nil
	}
	return Value{}, p.syntaxError(t)
}

func (p *parser) intValue(t token, sign string) (Value, *Error) {
	n, err := strconv.ParseInt(sign+t.val, 10, 64)
	if err != nil {
		return Value{}, errAt(t.pos, CodeDataOutOfRange, "BIGINT value is out of range in '%s%s'", sign, t.val)
	}
	return Int(n), nil
}

func (p *parser) dropTable() (Stmt, *Error) {
	s := &DropTable{Pos: p.next().pos}
	if err := p.expectKw("table"); err != nil {
		return nil, err
	}
	if p.acceptKw("if") {
		if err := p.expectKw("exists"); err != nil {
			return nil, err
		}
		s.IfExists = true
	}
	var err *Error
	if s.Table, err = p.ident(); err != nil {
		return nil, err
	}
	return s, nil
}

// ---- DML ----

func (p *parser) insert() (Stmt, *Error) {
	s := p.chunks.insert(p.next().pos)
	p.acceptKw("into")
	var err *Error
	if s.Table, err = p.ident(); err != nil {
		return nil, err
	}
	if p.acceptOp("(") {
		s.Columns = []Ident{}
		for {
			id, err := p.ident()
			if err != nil {
				return nil, err
			}
			s.Columns = append(s.Columns, id)
			if p.acceptOp(")") {
				break
			}
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
	}
	if err := p.expectKw("values"); err != nil {
		return nil, err
	}
	s.Rows = p.rowRoom()
	for {
		if err := p.expectOp("("); err != nil {
			return nil, err
		}
		row, err := p.exprList()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		s.Rows = append(s.Rows, row)
		if !p.acceptOp(",") {
			break
		}
	}
	return s, nil
}

func (p *parser) exprList() ([]Expr, *Error) {
	// Room for a typical row of values at once, rather than growing
	// through 1, 2 and 4.
	out := p.exprRoom()
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if !p.acceptOp(",") {
			return out, nil
		}
	}
}

func (p *parser) update() (Stmt, *Error) {
	s := &Update{Pos: p.next().pos}
	var err *Error
	if s.Table, err = p.ident(); err != nil {
		return nil, err
	}
	if err := p.expectKw("set"); err != nil {
		return nil, err
	}
	for {
		col, err := p.ident()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		s.Set = append(s.Set, Assignment{Column: col, Value: e})
		if !p.acceptOp(",") {
			break
		}
	}
	if s.Where, err = p.where(); err != nil {
		return nil, err
	}
	return s, nil
}

func (p *parser) where() (Expr, *Error) {
	if !p.acceptKw("where") {
		return nil, nil
	}
	return p.expr()
}

func (p *parser) delete() (Stmt, *Error) {
	s := &Delete{Pos: p.next().pos}
	if err := p.expectKw("from"); err != nil {
		return nil, err
	}
	var err *Error
	if s.Table, err = p.ident(); err != nil {
		return nil, err
	}
	if s.Where, err = p.where(); err != nil {
		return nil, err
	}
	return s, nil
}

func (p *parser) selectStmt() (Stmt, *Error) {
	s := &Select{Pos: p.next().pos}
	for {
		t := p.peek()
		if p.acceptOp("*") {
			s.Items = append(s.Items, SelectItem{Pos: t.pos, Star: true})
		} else {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			it := SelectItem{Pos: t.pos, Expr: e}
			if p.acceptKw("as") {
				id, err := p.ident()
				if err != nil {
					return nil, err
				}
				it.Alias = id.Name
			} else if a := p.peek(); a.kind == tQIdent || a.kind == tIdent && !a.reserved {
				p.next()
				it.Alias = a.val
			}
			s.Items = append(s.Items, it)
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if p.acceptKw("from") {
		id, err := p.ident()
		if err != nil {
			return nil, err
		}
		s.From = &TableRef{Ident: id}
		if p.acceptKw("as") {
			a, err := p.ident()
			if err != nil {
				return nil, err
			}
			s.From.Alias = a.Name
		} else if a := p.peek(); a.kind == tQIdent || a.kind == tIdent && !a.reserved {
			p.next()
			s.From.Alias = a.val
		}
	}
	var err *Error
	if s.Where, err = p.where(); err != nil {
		return nil, err
	}
	if p.acceptKw("order") {
		if err := p.expectKw("by"); err != nil {
			return nil, err
		}
		for {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			o := OrderItem{Expr: e}
			if p.acceptKw("desc") {
				o.Desc = true
			} else {
				p.acceptKw("asc")
			}
			s.OrderBy = append(s.OrderBy, o)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if t := p.peek(); p.acceptKw("limit") {
		s.Limit = &Limit{Pos: t.pos}
		n, err := p.count()
		if err != nil {
			return nil, err
		}
		s.Limit.Count = n
		if p.acceptOp(",") { // MySQL's LIMIT offset, count
			m, err := p.count()
			if err != nil {
				return nil, err
			}
			s.Limit.Offset, s.Limit.Count = n, m
		} else if p.acceptKw("offset") {
			m, err := p.count()
			if err != nil {
				return nil, err
			}
			s.Limit.Offset = m
		}
	}
	if p.acceptKw("for") {
		if err := p.expectKw("update"); err != nil {
			return nil, err
		}
		s.ForUpdate = true
	}
	return s, nil
}

// count reads the non-negative integer of a LIMIT or OFFSET.
func (p *parser) count() (int64, *Error) {
	t := p.peek()
	if t.kind != tInt {
		return 0, p.syntaxError(t)
	}
	p.next()
	v, err := p.intValue(t, "")
	return v.i, err
}

// ---- SET ----

func (p *parser) set() (Stmt, *Error) {
	s := &Set{Pos: p.next().pos}
	if p.acceptOp("@@") {
		// @@name, @@session.name, @@local.name, @@global.name
		if p.peekAt(1).kind == tOp && p.peekAt(1).val == "." {
			switch t := p.peek(); {
			case t.kind == tIdent && (t.val == "session" || t.val == "local"):
			case t.kind == tIdent && t.val == "global":
				s.Global = true
			default:
				return nil, p.syntaxError(t)
			}
			p.next()
			p.next()
		}
	} else if p.isKw("session") || p.isKw("local") || p.isKw("global") {
		// A scope word, unless it is the variable's own name (SET session = 1).
		if n := p.peekAt(1); n.kind == tIdent && !n.reserved || n.kind == tQIdent {
			s.Global = p.next().val == "global"
		}
	}
	var err *Error
	if s.Name, err = p.ident(); err != nil {
		return nil, err
	}
	if !p.acceptOp("=") && !p.acceptKw("to") {
		return nil, p.syntaxError(p.peek())
	}
	t := p.peek()
	switch {
	case p.isKw("default"):
		p.next()
		s.Default = true
	case t.kind == tQIdent || t.kind == tIdent && !t.reserved:
		p.next()
		s.Value, s.Bare = Text(t.val), true
	default:
		if s.Value, err = p.literalValue(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ---- expressions ----

// expr parses an expression. Precedence, loosest first: OR; AND; NOT;
// comparisons, IS, BETWEEN, IN (left-associative); + -; * / %; unary -.
func (p *parser) expr() (Expr, *Error) {
	// A literal followed by a comma or a closing parenthesis, as most
	// VALUES lists are, comes out of the descent through every level of
	// precedence below unchanged: take it directly, which saves eight calls
	// (costly in wasm) per value.
	if t := p.peek(); t.kind == tInt || t.kind == tString {
		if n := p.peekAt(1); n.kind == tOp && (n.val == "," || n.val == ")") {
			return p.primary()
		}
	}
	return p.or()
}

func (p *parser) or() (Expr, *Error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isKw("or") {
		t := p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &Binary{Pos: t.pos, Op: OpOr, L: l, R: r}
	}
	return l, nil
}

func (p *parser) and() (Expr, *Error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isKw("and") {
		t := p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &Binary{Pos: t.pos, Op: OpAnd, L: l, R: r}
	}
	return l, nil
}

func (p *parser) not() (Expr, *Error) {
	if p.isKw("not") {
		t := p.next()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Unary{Pos: t.pos, Op: OpNot, X: x}, nil
	}
	return p.comparison()
}

var cmpOps = map[string]Op{"=": OpEq, "<>": OpNe, "<": OpLt, "<=": OpLe, ">": OpGt, ">=": OpGe}

func (p *parser) comparison() (Expr, *Error) {
	l, err := p.additive()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if op, ok := cmpOps[t.val]; ok && t.kind == tOp {
			p.next()
			r, err := p.additive()
			if err != nil {
				return nil, err
			}
			l = &Binary{Pos: t.pos, Op: op, L: l, R: r}
			continue
		}
		if p.isKw("is") {
			p.next()
			not := p.acceptKw("not")
			if err := p.expectKw("null"); err != nil {
				return nil, err
			}
			l = &IsNull{Pos: t.pos, X: l, Not: not}
			continue
		}
		not := false
		if p.isKw("not") {
			if n := p.peekAt(1); n.kind == tIdent && (n.val == "between" || n.val == "in") {
				p.next()
				not = true
			} else {
				return l, nil
			}
		}
		switch {
		case p.acceptKw("between"):
			lo, err := p.additive()
			if err != nil {
				return nil, err
			}
			if err := p.expectKw("and"); err != nil {
				return nil, err
			}
			hi, err := p.additive()
			if err != nil {
				return nil, err
			}
			l = &Between{Pos: t.pos, X: l, Lo: lo, Hi: hi, Not: not}
		case p.acceptKw("in"):
			if err := p.expectOp("("); err != nil {
				return nil, err
			}
			list, err := p.exprList()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			l = &InList{Pos: t.pos, X: l, List: list, Not: not}
		default:
			return l, nil
		}
	}
}

func (p *parser) additive() (Expr, *Error) {
	l, err := p.multiplicative()
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") {
		t := p.next()
		op := OpAdd
		if t.val == "-" {
			op = OpSub
		}
		r, err := p.multiplicative()
		if err != nil {
			return nil, err
		}
		l = &Binary{Pos: t.pos, Op: op, L: l, R: r}
	}
	return l, nil
}

func (p *parser) multiplicative() (Expr, *Error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		t := p.next()
		op := OpMul
		switch t.val {
		case "/":
			op = OpDiv
		case "%":
			op = OpMod
		}
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &Binary{Pos: t.pos, Op: op, L: l, R: r}
	}
	return l, nil
}

func (p *parser) unary() (Expr, *Error) {
	t := p.peek()
	switch {
	case p.isOp("-"):
		p.next()
		if n := p.peek(); n.kind == tInt {
			// -digits is one literal, so that -9223372036854775808 is in range.
			p.next()
			v, err := p.intValue(n, "-")
			if err != nil {
				return nil, err
			}
			return p.literal(t.pos, v), nil
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Unary{Pos: t.pos, Op: OpNeg, X: x}, nil
	case p.isOp("+"):
		p.next()
		return p.unary()
	}
	return p.primary()
}

func (p *parser) primary() (Expr, *Error) {
	t := p.peek()
	switch t.kind {
	case tInt:
		p.next()
		v, err := p.intValue(t, "")
		if err != nil {
			return nil, err
		}
		return p.literal(t.pos, v), nil
	case tString:
		p.next()
		return p.literal(t.pos, Text(t.val)), nil
	case tOp:
		if t.val == "(" {
			p.next()
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			return e, nil
		}
	case tQIdent:
		return p.columnRef()
	case tIdent:
		switch t.val {
		case "null":
			p.next()
			return p.literal(t.pos, Value{}), nil
		case "true", "false":
			p.next()
			return p.literal(t.pos, Bool(t.val == "true")), nil
		}
		if t.reserved {
			break
		}
		if n := p.peekAt(1); n.kind == tOp && n.val == "(" {
			return p.call()
		}
		return p.columnRef()
	}
	return nil, p.syntaxError(t)
}

func (p *parser) columnRef() (Expr, *Error) {
	id, err := p.ident()
	if err != nil {
		return nil, err
	}
	c := &ColumnRef{Pos: id.Pos, Name: id.Name}
	if p.acceptOp(".") {
		col, err := p.ident()
		if err != nil {
			return nil, err
		}
		c.Table, c.Name = id.Name, col.Name
	}
	return c, nil
}

func (p *parser) call() (Expr, *Error) {
	t := p.next()
	p.next() // (
	var fn AggFunc
	switch t.val {
	case "count":
		fn = AggCount
	case "sum":
		fn = AggSum
	case "min":
		fn = AggMin
	case "max":
		fn = AggMax
	case "avg":
		return nil, errAt(t.pos, CodeNotSupported,
			"AVG is not supported: the model's numbers are integers (use SUM(x) and COUNT(x))")
	default:
		return nil, errAt(t.pos, CodeNoSuchFunction, "FUNCTION %s does not exist", t.text)
	}
	c := &AggCall{Pos: t.pos, Func: fn}
	if fn == AggCount && p.acceptOp("*") {
		// COUNT(*)
	} else {
		arg, err := p.expr()
		if err != nil {
			return nil, err
		}
		c.Arg = arg
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	return c, nil
}
