package sql

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// stripPos zeroes every Pos in a tree, so that trees parsed from different
// texts can be compared.
func stripPos(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			stripPos(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[Pos]() {
			if v.CanSet() {
				v.Set(reflect.Zero(v.Type()))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			stripPos(v.Field(i))
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			stripPos(v.Index(i))
		}
	}
}

func sameTree(a, b Stmt) bool {
	stripPos(reflect.ValueOf(a))
	stripPos(reflect.ValueOf(b))
	return reflect.DeepEqual(a, b)
}

func TestParseCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		// CREATE TABLE
		{"create table t (id int primary key, name text)", "CREATE TABLE t (id INT PRIMARY KEY, name TEXT)"},
		{"CREATE TABLE IF NOT EXISTS Accounts (ID BIGINT NOT NULL, Balance INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (id))",
			"CREATE TABLE IF NOT EXISTS accounts (id INT PRIMARY KEY, balance INT NOT NULL DEFAULT 0)"},
		{"create table t (id int auto_increment primary key, name varchar(20) default 'x', c char, n int(11) null)",
			"CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(20) DEFAULT 'x', c VARCHAR(1), n INT)"},
		{"create table t (id int key, n int default '42', s text default 7, z int default null)",
			"CREATE TABLE t (id INT PRIMARY KEY, n INT DEFAULT 42, s TEXT DEFAULT '7', z INT)"},
		{`create table "Order" ("key" text primary key, ` + "`Select`" + ` int default -5)`,
			`CREATE TABLE "order" ("key" TEXT PRIMARY KEY, "select" INT DEFAULT -5)`},
		{"create table t (id int primary key, b int default true)", "CREATE TABLE t (id INT PRIMARY KEY, b INT DEFAULT 1)"},
		// DROP TABLE
		{"drop table t", "DROP TABLE t"},
		{"DROP TABLE IF EXISTS t;", "DROP TABLE IF EXISTS t"},
		// INSERT
		{"insert into t values (1, 'alice')", "INSERT INTO t VALUES (1, 'alice')"},
		{"INSERT t (id, name) VALUES (1, 'it''s'), (2, NULL), (3, -4), (4, TRUE), (5, 2*3)",
			"INSERT INTO t (id, name) VALUES (1, 'it''s'), (2, NULL), (3, -4), (4, 1), (5, 2 * 3)"},
		// UPDATE, DELETE
		{"update t set n = n + 1 where id = 5", "UPDATE t SET n = n + 1 WHERE id = 5"},
		{"UPDATE t SET a = 1, b = 'x'", "UPDATE t SET a = 1, b = 'x'"},
		{"delete from t", "DELETE FROM t"},
		{"DELETE FROM t WHERE id >= 3 AND id < 10", "DELETE FROM t WHERE id >= 3 AND id < 10"},
		// SELECT
		{"select * from t", "SELECT * FROM t"},
		{"select 1+1", "SELECT 1 + 1"},
		{"SELECT id, name AS n, COUNT(*), count(x), Sum(n), MIN(n), max(n) FROM t",
			"SELECT id, name AS n, COUNT(*), COUNT(x), SUM(n), MIN(n), MAX(n) FROM t"},
		{"select a b, c as \"D\" from t x", "SELECT a AS b, c AS d FROM t AS x"},
		{"select t.id from t where t.id = 1", "SELECT t.id FROM t WHERE t.id = 1"},
		{"select * from t order by id desc, name asc limit 10", "SELECT * FROM t ORDER BY id DESC, name LIMIT 10"},
		{"select * from t limit 5 offset 10", "SELECT * FROM t LIMIT 5 OFFSET 10"},
		{"select * from t limit 10, 5", "SELECT * FROM t LIMIT 5 OFFSET 10"},
		{"select * from t limit 5 offset 0", "SELECT * FROM t LIMIT 5"},
		{"select * from t where id = 1 for update", "SELECT * FROM t WHERE id = 1 FOR UPDATE"},
		{"select count from t", "SELECT count FROM t"},
		// transactions
		{"begin", "BEGIN"},
		{"BEGIN WORK;", "BEGIN"},
		{"start transaction", "BEGIN"},
		{"commit", "COMMIT"},
		{"commit work", "COMMIT"},
		{"rollback", "ROLLBACK"},
		// SET
		{"SET aurora_mm_session_consistency_level = 'REGIONAL_RAW'", "SET aurora_mm_session_consistency_level = 'REGIONAL_RAW'"},
		{"SET SESSION aurora_mm_session_consistency_level = REGIONAL_RAW", "SET aurora_mm_session_consistency_level = regional_raw"},
		{"set @@session.autocommit = 0", "SET autocommit = 0"},
		{"set @@global.x = on", "SET GLOBAL x = on"},
		{"set local x to -1", "SET x = -1"},
		{"set global x = default", "SET GLOBAL x = DEFAULT"},
		{"set session = 1", "SET session = 1"},
		{"set x = null", "SET x = NULL"},
		// expressions: precedence and associativity
		{"select 1 + 2 * 3", "SELECT 1 + 2 * 3"},
		{"select (1 + 2) * 3", "SELECT (1 + 2) * 3"},
		{"select 1 - (2 - 3), (1 - 2) - 3", "SELECT 1 - (2 - 3), 1 - 2 - 3"},
		{"select 7 / 2 % 3", "SELECT 7 / 2 % 3"},
		{"select a or b and c", "SELECT a OR b AND c"},
		{"select (a or b) and c", "SELECT (a OR b) AND c"},
		{"select not a = b", "SELECT NOT a = b"},
		{"select (not a) = b", "SELECT (NOT a) = b"},
		{"select not not a", "SELECT NOT NOT a"},
		{"select a = b = c, a = (b = c)", "SELECT a = b = c, a = (b = c)"},
		{"select a != b, a <> b", "SELECT a <> b, a <> b"},
		{"select a is null, a is not null, a + 1 is null", "SELECT a IS NULL, a IS NOT NULL, a + 1 IS NULL"},
		{"select a = b is null, a = (b is null)", "SELECT a = b IS NULL, a = (b IS NULL)"},
		{"select a between 1 and 2 and b", "SELECT a BETWEEN 1 AND 2 AND b"},
		{"select a not between 1+1 and (2 or 3)", "SELECT a NOT BETWEEN 1 + 1 AND (2 OR 3)"},
		{"select a in (1, 2, 'x'), a not in (null)", "SELECT a IN (1, 2, 'x'), a NOT IN (NULL)"},
		{"select -a, - a, -(a), -5, - 5, -(5), - -5, -(-a)", "SELECT -a, -a, -a, -5, -5, -(5), -(-5), -(-a)"},
		{"select 3 - -5, 3--5\n", "SELECT 3 - -5, 3"},
		{"select +5, +a", "SELECT 5, a"},
		{"select -9223372036854775808, 9223372036854775807", "SELECT -9223372036854775808, 9223372036854775807"},
		{"select -count(*), -(a + b)", "SELECT -COUNT(*), -(a + b)"},
		{"select true, false, null", "SELECT 1, 0, NULL"},
		{"select 'a' /* inline */ as x -- trailing\n", "SELECT 'a' AS x"},
		{"select \"a\"\"b\", `c``d`", `SELECT "a""b", "c` + "`" + `d"`},
		{"SELECT ÄBC, naïve FROM Tbl", "SELECT äbc, naïve FROM tbl"},
	}
	for _, tt := range tests {
		s, err := ParseStatement(tt.in, 1, 1)
		if err != nil {
			t.Errorf("ParseStatement(%q): %v", tt.in, err)
			continue
		}
		if got := s.String(); got != tt.want {
			t.Errorf("ParseStatement(%q).String()\n got %s\nwant %s", tt.in, got, tt.want)
		}
		again, err := ParseStatement(s.String(), 1, 1)
		if err != nil {
			t.Errorf("reparse of %q: %v", s.String(), err)
			continue
		}
		if !sameTree(s, again) {
			t.Errorf("round trip of %q changed the tree", tt.in)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // Error()
		code Code
	}{
		{"select * frm t", `line 1, column 10: syntax error at or near "frm"`, CodeSyntax},
		{"select 1 +", `line 1, column 11: syntax error at end of input`, CodeSyntax},
		{"select * from", `line 1, column 14: syntax error at end of input`, CodeSyntax},
		{"select * from t where", `line 1, column 22: syntax error at end of input`, CodeSyntax},
		{"select * from t where -- nothing\n", `line 1, column 22: syntax error at end of input`, CodeSyntax},
		{"selec * from t", `line 1, column 1: syntax error at or near "selec"`, CodeSyntax},
		{"select\n  *\nFROM t WHERE FROM", `line 3, column 14: syntax error at or near "FROM"`, CodeSyntax},
		{"select 'abc", `line 1, column 8: unterminated quoted string at or near "'abc"`, CodeSyntax},
		{"select 'it''s", `line 1, column 8: unterminated quoted string at or near "'it''s"`, CodeSyntax},
		{"select \"abc", `line 1, column 8: unterminated quoted identifier at or near ""abc"`, CodeSyntax},
		{"select 1 /* open", `line 1, column 10: unterminated /* comment at or near "/* open"`, CodeSyntax},
		{`select ""`, `line 1, column 8: zero-length delimited identifier at or near """"`, CodeSyntax},
		{"select 99999999999999999999", `line 1, column 8: BIGINT value is out of range in '99999999999999999999'`, CodeDataOutOfRange},
		{"select -9223372036854775809", `line 1, column 9: BIGINT value is out of range in '-9223372036854775809'`, CodeDataOutOfRange},
		{"select 1.5", `line 1, column 8: decimal numbers are not supported (the model's numbers are 64-bit integers): 1.5`, CodeNotSupported},
		{"select 12abc", `line 1, column 8: trailing junk after numeric literal at or near "12abc"`, CodeSyntax},
		{"select a # b", `line 1, column 10: syntax error at or near "#"`, CodeSyntax},
		{"select a ! b", `line 1, column 10: syntax error at or near "!"`, CodeSyntax},
		{"select @x", `line 1, column 8: user variables (@name) are not supported; use SET name = value`, CodeNotSupported},
		{"select from t", `line 1, column 8: syntax error at or near "from"`, CodeSyntax},
		{"select a, from t", `line 1, column 11: syntax error at or near "from"`, CodeSyntax},
		{"select avg(n) from t", `line 1, column 8: AVG is not supported: the model's numbers are integers (use SUM(x) and COUNT(x))`, CodeNotSupported},
		{"select now()", `line 1, column 8: FUNCTION now does not exist`, CodeNoSuchFunction},
		{"select sum(*) from t", `line 1, column 12: syntax error at or near "*"`, CodeSyntax},
		{"select count(distinct a) from t", `line 1, column 14: syntax error at or near "distinct"`, CodeSyntax},
		{"select * from t limit -1", `line 1, column 23: syntax error at or near "-"`, CodeSyntax},
		{"select * from t for share", `line 1, column 21: syntax error at or near "share"`, CodeSyntax},
		{"select a not like b", `line 1, column 10: syntax error at or near "not"`, CodeSyntax},
		{"select a is 5", `line 1, column 13: syntax error at or near "5"`, CodeSyntax},
		{"select * from t; select 1", `line 1, column 18: syntax error at or near "select"`, CodeSyntax},
		{"", `line 1, column 1: Query was empty`, CodeEmptyQuery},
		{"  -- just a comment", `line 1, column 1: Query was empty`, CodeEmptyQuery},
		{";", `line 1, column 1: Query was empty`, CodeEmptyQuery},
		{"insert into t", `line 1, column 14: syntax error at end of input`, CodeSyntax},
		{"insert into t values ()", `line 1, column 23: syntax error at or near ")"`, CodeSyntax},
		{"insert into t (a,) values (1)", `line 1, column 18: syntax error at or near ")"`, CodeSyntax},
		{"update t set a = 1 b = 2", `line 1, column 20: syntax error at or near "b"`, CodeSyntax},
		{"delete t where a = 1", `line 1, column 8: syntax error at or near "t"`, CodeSyntax},
		{"create index i on t (a)", `line 1, column 8: syntax error at or near "index"`, CodeSyntax},
		{"drop table if t", `line 1, column 15: syntax error at or near "t"`, CodeSyntax},
		{"start", `line 1, column 6: syntax error at end of input`, CodeSyntax},
		{"set x 1", `line 1, column 7: syntax error at or near "1"`, CodeSyntax},
		{"set x = a + 1", `line 1, column 11: syntax error at or near "+"`, CodeSyntax},
		{"set @@bogus.x = 1", `line 1, column 7: syntax error at or near "bogus"`, CodeSyntax},
		// CREATE TABLE checks
		{"create table t (id foo)", `line 1, column 20: expected a column type (INT, TEXT or VARCHAR(n)) at or near "foo"`, CodeSyntax},
		{"create table t (id float primary key)", `line 1, column 20: expected a column type (INT, TEXT or VARCHAR(n)) at or near "float"`, CodeSyntax},
		{"create table t (id", `line 1, column 19: expected a column type (INT, TEXT or VARCHAR(n)) at end of input`, CodeSyntax},
		{"create table t (id int, name text)", `line 1, column 14: This table type requires a primary key: declare exactly one column PRIMARY KEY`, CodeRequiresPrimaryKey},
		{"create table t (a int primary key, b int primary key)", `line 1, column 36: Multiple primary key defined`, CodeMultiplePrimaryKey},
		{"create table t (a int primary key, b int, primary key (b))", `line 1, column 43: Multiple primary key defined`, CodeMultiplePrimaryKey},
		{"create table t (a int, primary key (b))", `line 1, column 37: Key column 'b' doesn't exist in table`, CodeKeyColumnMissing},
		{"create table t (a int, b int, primary key (a, b))", `line 1, column 47: composite primary keys are not supported: the model's tables have one key column`, CodeNotSupported},
		{"create table t (a int primary key, a text)", `line 1, column 36: Duplicate column name 'a'`, CodeDupFieldName},
		{"create table t (a int primary key, b int auto_increment)", `line 1, column 36: Incorrect table definition; there can be only one auto column and it must be defined as a key`, CodeWrongAutoKey},
		{"create table t (a text primary key auto_increment)", `line 1, column 17: Incorrect column specifier for column 'a'`, CodeWrongFieldSpec},
		{"create table t (a int primary key, n int not null default null)", `line 1, column 59: Invalid default value for 'n'`, CodeInvalidDefault},
		{"create table t (a int primary key, n int default 'abc')", `line 1, column 50: Invalid default value for 'n'`, CodeInvalidDefault},
		{"create table t (a int primary key, s varchar(2) default 'abc')", `line 1, column 57: Invalid default value for 's'`, CodeInvalidDefault},
		{"create table t (a int primary key auto_increment default 1)", `line 1, column 17: Invalid default value for 'a'`, CodeInvalidDefault},
		{"create table t (a int null primary key)", `line 1, column 17: All parts of a PRIMARY KEY must be NOT NULL; if you need NULL in a key, use UNIQUE instead`, CodePrimaryCantHaveNull},
		{"create table t (a int primary key, s varchar(70000))", `line 1, column 46: Column length too big for column 's' (max = 65535); use BLOB or TEXT instead`, CodeTooBigFieldLength},
		{"create table t (a int primary key, s varchar(0))", `line 1, column 46: column length must be at least 1 at or near "0"`, CodeSyntax},
		{"create table t (a int primary key, b int default a)", `line 1, column 50: syntax error at or near "a"`, CodeSyntax},
		{"create table t ()", `line 1, column 17: syntax error at or near ")"`, CodeSyntax},
		{"create table " + strings.Repeat("x", 65) + " (a int primary key)", `line 1, column 14: Identifier name '` + strings.Repeat("x", 65) + `' is too long`, CodeTooLongIdent},
	}
	for _, tt := range tests {
		_, err := ParseStatement(tt.in, 1, 1)
		if err == nil {
			t.Errorf("ParseStatement(%q): no error, want %s", tt.in, tt.want)
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("ParseStatement(%q): error %T is not *Error", tt.in, err)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("ParseStatement(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
		if e.Code != tt.code {
			t.Errorf("ParseStatement(%q): code %d, want %d", tt.in, e.Code, tt.code)
		}
		if !errors.Is(err, tt.code) {
			t.Errorf("ParseStatement(%q): errors.Is(err, %d) is false", tt.in, tt.code)
		}
	}
}

// The console hands ParseStatement one statement with where it starts in
// the script; positions in errors and in the tree are the script's.
func TestParseStatementOffset(t *testing.T) {
	src := "SELECT *\n  FROM t\n  WHERE id = = 1"
	_, err := ParseStatement(src, 7, 5)
	if got, want := err.Error(), `line 9, column 14: syntax error at or near "="`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	s, err := ParseStatement("UPDATE t SET n = n + 1 WHERE id = 1;", 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	up := s.(*Update)
	if got, want := up.Position(), (Pos{3, 10}); got != want {
		t.Errorf("statement at %v, want %v", got, want)
	}
	if got, want := up.Table.Pos, (Pos{3, 17}); got != want {
		t.Errorf("table at %v, want %v", got, want)
	}
	plus := up.Set[0].Value.(*Binary)
	if got, want := plus.Position(), (Pos{3, 29}); got != want {
		t.Errorf("+ at %v, want %v", got, want)
	}
	if got, want := plus.L.Position(), (Pos{3, 27}); got != want {
		t.Errorf("n at %v, want %v", got, want)
	}
	// Columns count runes, not bytes.
	_, err = ParseStatement("SELECT 'héllo', ünknown ! 1", 1, 1)
	if got, want := err.Error(), `line 1, column 25: syntax error at or near "!"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestParseScript(t *testing.T) {
	stmts, err := Parse("CREATE TABLE t (id INT PRIMARY KEY);;\n INSERT INTO t VALUES (1);\nSELECT * FROM t -- done\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range stmts {
		got = append(got, s.String()+" @"+s.Position().String())
	}
	want := []string{
		"CREATE TABLE t (id INT PRIMARY KEY) @line 1, column 1",
		"INSERT INTO t VALUES (1) @line 2, column 2",
		"SELECT * FROM t @line 3, column 1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if stmts, err := Parse(" ; -- nothing\n"); err != nil || len(stmts) != 0 {
		t.Errorf("Parse of an empty script: %v, %v", stmts, err)
	}
	_, err = Parse("select 1;\nselect 2 select 3")
	if got, want := err.Error(), `line 2, column 10: syntax error at or near "select"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestSplit(t *testing.T) {
	src := "select 'a;b'; -- c;\n/* ; */ insert into t\n  values (1) ;;  \n select 3"
	chunks, err := Split(src, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []Chunk{
		{"select 'a;b'", 4, 1},
		{"insert into t\n  values (1)", 5, 9},
		{"select 3", 7, 2},
	}
	if !reflect.DeepEqual(chunks, want) {
		t.Errorf("got %+v, want %+v", chunks, want)
	}
	_, err = ParseStatement(chunks[1].Text+" x", chunks[1].Line, chunks[1].Col)
	if got, want := err.Error(), `line 6, column 14: syntax error at or near "x"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := Split("select 'open", 1, 1); err == nil {
		t.Error("Split of an open quote: no error")
	}
}

func TestComplete(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"select 1", false},
		{"select 1;", true},
		{"select 1;  \n", true},
		{"select 1; -- done", true},
		{"select 1; /* done */", true},
		{"select ';", false},
		{"select ';'", false},
		{"select ';';", true},
		{"select 'it''s;", false},
		{"select 'it''s';", true},
		{`select "a;`, false},
		{"select 1 /* ; */", false},
		{"select 1 /* ;", false},
		{"select 1 -- ;", false},
		{"select 1; select 2", false},
		{"select # ;", true},
	}
	for _, tt := range tests {
		if got := Complete(tt.in); got != tt.want {
			t.Errorf("Complete(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSchemaRoundTrip(t *testing.T) {
	s, err := ParseStatement("create table T (id int auto_increment, Name varchar(10) not null default 'x', n int, primary key (id))", 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	sc := s.(*CreateTable).Schema()
	if sc.PrimaryKey != 0 || sc.ColumnIndex("name") != 1 || sc.ColumnIndex("nope") != -1 {
		t.Errorf("schema %+v", sc)
	}
	again, err := ParseStatement(sc.String(), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sc2 := again.(*CreateTable).Schema(); !reflect.DeepEqual(sc, sc2) {
		t.Errorf("schema round trip: %+v, %+v", sc, sc2)
	}
	if got, want := sc.String(), "CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(10) NOT NULL DEFAULT 'x', n INT)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"abc": "abc", "a_b$1": "a_b$1", "_x": "_x", "1a": `"1a"`, "select": `"select"`,
		"count": "count", "a b": `"a b"`, `a"b`: `"a""b"`, "Abc": `"Abc"`, "ä": "ä",
	} {
		if got := QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}
