package sql

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// parseSeeds are realistic statements and scripts, and a few broken ones,
// that seed FuzzParse.
var parseSeeds = []string{
	"CREATE TABLE accounts (id INT PRIMARY KEY, owner TEXT NOT NULL, balance INT NOT NULL DEFAULT 0);",
	"CREATE TABLE IF NOT EXISTS kv (k VARCHAR(32), v TEXT, PRIMARY KEY (k))",
	"create table t (id bigint auto_increment primary key, name char(10) default 'x', n int(11) null)",
	"DROP TABLE IF EXISTS accounts;",
	"INSERT INTO accounts (id, owner, balance) VALUES (1, 'alice', 100), (2, 'bob', 50);",
	"INSERT INTO kv VALUES ('a', 'it''s'), ('b', NULL), ('c', -9223372036854775808)",
	"UPDATE accounts SET balance = balance - 10 WHERE id = 1;",
	"UPDATE accounts SET balance = balance + 10, owner = 'carol' WHERE id IN (2, 3) AND NOT balance < 0",
	"DELETE FROM accounts WHERE balance BETWEEN 0 AND 10 OR owner IS NULL",
	"SELECT * FROM accounts WHERE id = 1 FOR UPDATE;",
	"SELECT owner, balance AS b FROM accounts a WHERE a.balance >= 10 ORDER BY b DESC, 1 LIMIT 10 OFFSET 5",
	"SELECT COUNT(*), SUM(balance), MIN(owner), MAX(id) FROM accounts WHERE id <> 3",
	"SELECT 1 + 2 * 3 - -4 / 2 % 3, 'x', NULL, TRUE, FALSE",
	"select a = b = c, not not a, (a or b) and c, a is not null, a not in (1, 2), -(a)",
	"BEGIN; INSERT INTO t VALUES (1); COMMIT;",
	"START TRANSACTION; UPDATE t SET n = 1; ROLLBACK WORK;",
	"SET aurora_mm_session_consistency_level = 'REGIONAL_RAW';",
	"SET SESSION aurora_mm_session_consistency_level = INSTANCE_RAW",
	"set @@session.autocommit = 0; set global x = default",
	"-- a comment\nSELECT /* inline */ `quoted`, \"Mixed Case\" FROM \"select\";",
	"SELECT * FROM t LIMIT 3, 4",
	"SELECT 'héllo', ünïcode FROM t",
	"select * frm t",
	"select 'unterminated",
	"select 99999999999999999999",
	"create table t (id int, name text)",
	"create table t (a int primary key, b int primary key)",
	"select 1.5, 12abc",
	";;;",
	"",
}

// FuzzParse checks that the parser never panics; that every error is an
// *Error positioned inside the input; that every statement's String() parses
// back to the same tree; that Split finds the same statements at the same
// places; and that binding and evaluating what parses never panics, fails
// only with positioned *Errors, and that PrimaryKeyRange never excludes a
// row that WHERE matches.
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		stmts, err := Parse(src)
		if err == nil && len(stmts) > 0 && !Complete(src+"\n;") {
			t.Fatalf("Complete(%q) is false for a script that parses", src+"\n;")
		}
		if err != nil {
			checkPositioned(t, src, err)
			return
		}
		chunks, err := Split(src, 1, 1)
		if err != nil {
			t.Fatalf("Parse succeeded but Split failed: %v", err)
		}
		if len(chunks) != len(stmts) {
			t.Fatalf("Split found %d statements, Parse %d", len(chunks), len(stmts))
		}
		for i, s := range stmts {
			c, err := ParseStatement(chunks[i].Text, chunks[i].Line, chunks[i].Col)
			if err != nil {
				t.Fatalf("chunk %q: %v", chunks[i].Text, err)
			}
			if !reflect.DeepEqual(c, s) {
				t.Fatalf("chunk %q parses differently from the script", chunks[i].Text)
			}
			text := s.String()
			again, err := ParseStatement(text, 1, 1)
			if err != nil {
				t.Fatalf("String() of a parsed statement does not parse:\n%s\n%v", text, err)
			}
			if again.String() != text {
				t.Fatalf("String() is not stable:\n%s\n%s", text, again.String())
			}
			if !sameTree(again, c) {
				t.Fatalf("round trip changed the tree: %s", text)
			}
			exercise(t, s)
		}
	})
}

// checkPositioned fails unless err is an *Error whose position is in src:
// a line of src and a column from 1 to one past the line's last rune.
func checkPositioned(t *testing.T, src string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T (%v) is not *Error", err, err)
	}
	lines := strings.Split(src, "\n")
	if e.Line < 1 || e.Line > len(lines) || e.Col < 1 || e.Col > len([]rune(lines[e.Line-1]))+1 {
		t.Fatalf("error %q is outside the input (%d lines)", e.Error(), len(lines))
	}
	if e.Code == 0 || e.Msg == "" {
		t.Fatalf("error %q has no code or message", e.Error())
	}
}

// fuzzRows are rows of testSchema's table for exercise.
var fuzzRows = []Values{
	{Int(1), Text("alice"), Int(10), Text("7")},
	{Int(2), Text("bob"), Null(), Null()},
	{Int(3), Text("3"), Int(-1), Text("x")},
}

// exercise binds s against testSchema's table, whatever table s names, and
// runs it over fuzzRows as an executor would.
func exercise(t *testing.T, s Stmt) {
	sc := testSchema(t)
	ok := func(err error) bool {
		if err == nil {
			return true
		}
		var e *Error
		if !errors.As(err, &e) || !e.Pos().IsValid() || e.Code == 0 {
			t.Fatalf("%s: error %v is not a positioned *Error", s, err)
		}
		return false
	}
	checkRange := func(where Expr) {
		kr := PrimaryKeyRange(where, sc)
		for _, r := range fuzzRows {
			if m, err := Matches(where, r); err == nil && m && !kr.Contains(sc.Key(r)) {
				t.Fatalf("%s: key range %s excludes matching row %v", s, kr, r)
			}
		}
	}
	switch s := s.(type) {
	case *Select:
		if s.From != nil {
			s.From.Name = "t"
		}
		var schema *Schema
		if s.From != nil {
			schema = sc
		}
		q, err := BindSelect(s, schema)
		if !ok(err) {
			return
		}
		if schema != nil {
			checkRange(q.Where)
		}
		run := q.Start()
		rows := fuzzRows
		if schema == nil {
			rows = []Values{nil}
		}
		for _, r := range rows {
			more, err := run.Add(r)
			if !ok(err) {
				return
			}
			if !more {
				break
			}
		}
		res, err := run.Result()
		if ok(err) {
			res.Format()
			res.Table()
		}
	case *Insert:
		p, err := BindInsert(s, sc)
		if !ok(err) {
			return
		}
		for i := range s.Rows {
			if _, _, err := p.Row(i); !ok(err) {
				return
			}
		}
	case *Update:
		p, err := BindUpdate(s, sc)
		if !ok(err) {
			return
		}
		checkRange(p.Where)
		for i, r := range fuzzRows {
			m, err := Matches(p.Where, r)
			if !ok(err) {
				return
			}
			if m {
				if _, _, err := p.Apply(r, i+1); !ok(err) {
					return
				}
			}
		}
	case *Delete:
		if s.Where != nil && ok(Bind(s.Where, sc, ClauseWhere)) {
			checkRange(s.Where)
		}
	case *CreateTable:
		sc := s.Schema()
		again, err := ParseStatement(sc.String(), 1, 1)
		if err != nil || !reflect.DeepEqual(again.(*CreateTable).Schema(), sc) {
			t.Fatalf("schema %s does not round-trip: %v", sc, err)
		}
	}
}

// FuzzValueCodec checks that the value and row encodings are canonical:
// whatever decodes re-encodes to the same bytes, and values made from the
// input round-trip.
func FuzzValueCodec(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{1, 0xd8, 0x04})
	f.Add([]byte{2, 2, 'a', 'b'})
	f.Add(AppendRow(nil, []Value{Int(7), Text("seven"), Null()}))
	f.Add([]byte{1, 0x80, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, n, err := DecodeValue(b); err == nil {
			if got := AppendValue(nil, v); !bytes.Equal(got, b[:n]) {
				t.Fatalf("DecodeValue(%x) = %s re-encodes as %x", b[:n], v.SQL(), got)
			}
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("DecodeValue error %v is not ErrCorrupt", err)
		}
		if row, n, err := DecodeRow(b); err == nil {
			if got := AppendRow(nil, row); !bytes.Equal(got, b[:n]) {
				t.Fatalf("DecodeRow(%x) re-encodes as %x", b[:n], got)
			}
		}
		var i int64
		for k, c := range b {
			if k == 8 {
				break
			}
			i = i<<8 | int64(c)
		}
		for _, v := range []Value{Text(string(b)), Int(i), Int(-i), Null()} {
			back, err := Decode(v.Encode())
			if err != nil || back != v {
				t.Fatalf("%s does not round-trip: %s, %v", v.SQL(), back.SQL(), err)
			}
		}
	})
}
