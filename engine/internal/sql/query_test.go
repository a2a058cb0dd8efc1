package sql

import (
	"errors"
	"sort"
	"strings"
	"testing"
)

// memDB is a test-only executor over in-memory tables, as the real one in
// package db is over pages: it shows how the helpers fit together.
type memDB struct {
	schemas map[string]*Schema
	rows    map[string][][]Value // kept in primary key order
	autoInc map[string]int64
}

func newMemDB() *memDB {
	return &memDB{schemas: map[string]*Schema{}, rows: map[string][][]Value{}, autoInc: map[string]int64{}}
}

func (db *memDB) table(id Ident) (*Schema, error) {
	s, ok := db.schemas[id.Name]
	if !ok {
		return nil, ErrNoSuchTable(id.Pos, id.Name)
	}
	return s, nil
}

func (db *memDB) exec(src string) (*Result, error) {
	st, err := ParseStatement(src, 1, 1)
	if err != nil {
		return nil, err
	}
	switch st := st.(type) {
	case *CreateTable:
		if _, ok := db.schemas[st.Table.Name]; ok {
			if st.IfNotExists {
				return &Result{}, nil
			}
			return nil, ErrTableExists(st.Table.Pos, st.Table.Name)
		}
		db.schemas[st.Table.Name] = st.Schema()
		return &Result{}, nil
	case *DropTable:
		if _, ok := db.schemas[st.Table.Name]; !ok {
			if st.IfExists {
				return &Result{}, nil
			}
			return nil, ErrUnknownTable(st.Table.Pos, st.Table.Name)
		}
		delete(db.schemas, st.Table.Name)
		delete(db.rows, st.Table.Name)
		return &Result{}, nil
	case *Insert:
		s, err := db.table(st.Table)
		if err != nil {
			return nil, err
		}
		p, err := BindInsert(st, s)
		if err != nil {
			return nil, err
		}
		rows := db.rows[s.Table]
		for i := range st.Rows {
			row, auto, err := p.Row(i)
			if err != nil {
				return nil, err
			}
			if auto {
				db.autoInc[s.Table]++
				row[s.PrimaryKey] = Int(db.autoInc[s.Table])
			} else if k := s.Key(row); k.Kind() == KindInt && k.Int() > db.autoInc[s.Table] {
				db.autoInc[s.Table] = k.Int()
			}
			j := sort.Search(len(rows), func(j int) bool { return Compare(s.Key(rows[j]), s.Key(row)) >= 0 })
			if j < len(rows) && Compare(s.Key(rows[j]), s.Key(row)) == 0 {
				return nil, ErrDupEntry(st.Rows[i][0].Position(), s.Key(row))
			}
			rows = append(rows[:j], append([][]Value{row}, rows[j:]...)...)
		}
		db.rows[s.Table] = rows
		return &Result{Affected: int64(len(st.Rows))}, nil
	case *Update:
		s, err := db.table(st.Table)
		if err != nil {
			return nil, err
		}
		p, err := BindUpdate(st, s)
		if err != nil {
			return nil, err
		}
		res := &Result{}
		kr := PrimaryKeyRange(p.Where, s)
		for i, row := range db.rows[s.Table] {
			if !kr.Contains(s.Key(row)) {
				continue
			}
			ok, err := Matches(p.Where, Values(row))
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			nrow, changed, err := p.Apply(row, int(res.Affected)+1)
			if err != nil {
				return nil, err
			}
			if changed {
				db.rows[s.Table][i] = nrow
				res.Affected++
			}
		}
		return res, nil
	case *Delete:
		s, err := db.table(st.Table)
		if err != nil {
			return nil, err
		}
		if err := Bind(st.Where, s, ClauseWhere); st.Where != nil && err != nil {
			return nil, err
		}
		res := &Result{}
		var keep [][]Value
		for _, row := range db.rows[s.Table] {
			ok, err := Matches(st.Where, Values(row))
			if err != nil {
				return nil, err
			}
			if ok {
				res.Affected++
			} else {
				keep = append(keep, row)
			}
		}
		db.rows[s.Table] = keep
		return res, nil
	case *Select:
		var s *Schema
		if st.From != nil {
			if s, err = db.table(st.From.Ident); err != nil {
				return nil, err
			}
		}
		q, err := BindSelect(st, s)
		if err != nil {
			return nil, err
		}
		run := q.Start()
		if s == nil {
			if _, err := run.Add(Values(nil)); err != nil {
				return nil, err
			}
			return run.Result()
		}
		kr := PrimaryKeyRange(q.Where, s)
		for _, row := range db.rows[s.Table] {
			if !kr.Contains(s.Key(row)) {
				continue
			}
			more, err := run.Add(Values(row))
			if err != nil {
				return nil, err
			}
			if !more {
				break
			}
		}
		return run.Result()
	}
	return &Result{}, nil
}

func TestQueries(t *testing.T) {
	db := newMemDB()
	// Each step is a statement and what it gives: Format() of the result,
	// "ok" for a statement without rows, or the error's Report().
	steps := []struct{ sql, want string }{
		{"CREATE TABLE users (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(10) NOT NULL, age INT, city TEXT DEFAULT 'paris')", "ok"},
		{"CREATE TABLE users (id INT PRIMARY KEY)", "ERROR 1050 (42S01) at line 1, column 14: Table 'users' already exists"},
		{"CREATE TABLE IF NOT EXISTS users (id INT PRIMARY KEY)", "ok"},
		{"INSERT INTO users (name, age) VALUES ('carol', 41), ('alice', 30)", "ok"},
		{"INSERT INTO users VALUES (10, 'bob', NULL, 'rome')", "ok"},
		{"INSERT INTO users (name) VALUES ('dave')", "ok"},
		{"INSERT INTO users (id, name) VALUES (0, 'erin'), (NULL, 'fay')", "ok"},
		{"SELECT * FROM users", "1|carol|41|paris; 2|alice|30|paris; 10|bob|NULL|rome; 11|dave|NULL|paris; 12|erin|NULL|paris; 13|fay|NULL|paris"},
		{"SELECT name FROM users WHERE age > 35", "carol"},
		{"SELECT name FROM users WHERE age IS NULL ORDER BY name DESC", "fay; erin; dave; bob"},
		{"SELECT name, age FROM users ORDER BY age, id LIMIT 3", "bob|NULL; dave|NULL; erin|NULL"},
		{"SELECT name, age FROM users ORDER BY age DESC LIMIT 2", "carol|41; alice|30"},
		{"SELECT id FROM users LIMIT 2 OFFSET 1", "2; 10"},
		{"SELECT id FROM users LIMIT 1, 100", "2; 10; 11; 12; 13"},
		{"SELECT id FROM users LIMIT 0", ""},
		{"SELECT id FROM users WHERE id BETWEEN 2 AND 11 AND name <> 'bob'", "2; 11"},
		{"SELECT id FROM users WHERE id IN (13, 1, 99)", "1; 13"},
		{"SELECT id AS k, name FROM users ORDER BY k DESC LIMIT 1", "13|fay"},
		{"SELECT name, id * 2 FROM users ORDER BY 2 DESC LIMIT 2", "fay|26; erin|24"},
		{"SELECT u.name FROM users u WHERE u.id = 10", "bob"},
		{"SELECT COUNT(*), COUNT(age), SUM(age), MIN(name), MAX(id) FROM users", "6|2|71|alice|13"},
		{"SELECT COUNT(*) FROM users WHERE id > 100", "0"},
		{"SELECT SUM(age) FROM users WHERE id > 100", "NULL"},
		{"SELECT COUNT(*) * 10 + 1 AS x FROM users", "61"},
		{"SELECT 1 + 1, 'x', NULL", "2|x|NULL"},
		{"SELECT COUNT(*)", "1"},
		{"UPDATE users SET age = age + 1 WHERE id = 2", "ok"},
		{"UPDATE users SET age = 31 WHERE id = 2", "ok"}, // unchanged: 0 affected
		{"UPDATE users SET age = 1, city = age WHERE id = 1", "ok"},
		{"SELECT age, city FROM users WHERE id <= 2", "1|1; 31|paris"},
		{"DELETE FROM users WHERE age IS NULL AND id > 11", "ok"},
		{"SELECT id FROM users", "1; 2; 10; 11"},
		// errors
		{"SELECT * FROM nope", "ERROR 1146 (42S02) at line 1, column 15: Table 'nope' doesn't exist"},
		{"DROP TABLE nope", "ERROR 1051 (42S02) at line 1, column 12: Unknown table 'nope'"},
		{"SELECT nope FROM users", "ERROR 1054 (42S22) at line 1, column 8: Unknown column 'nope' in 'field list'"},
		{"SELECT id FROM users WHERE nope = 1", "ERROR 1054 (42S22) at line 1, column 28: Unknown column 'nope' in 'where clause'"},
		{"SELECT id FROM users ORDER BY nope", "ERROR 1054 (42S22) at line 1, column 31: Unknown column 'nope' in 'order clause'"},
		{"SELECT id FROM users ORDER BY 2", "ERROR 1054 (42S22) at line 1, column 31: Unknown column '2' in 'order clause'"},
		{"SELECT users.id FROM users u", "ERROR 1054 (42S22) at line 1, column 8: Unknown column 'users.id' in 'field list'"},
		{"SELECT *", "ERROR 1096 (HY000) at line 1, column 8: No tables used"},
		{"SELECT id, COUNT(*) FROM users", "ERROR 1140 (42000) at line 1, column 8: In aggregated query without GROUP BY, expression #1 of SELECT list contains nonaggregated column 'users.id'; this is incompatible with sql_mode=only_full_group_by"},
		{"SELECT COUNT(*) FROM users ORDER BY id", "ERROR 1140 (42000) at line 1, column 37: In aggregated query without GROUP BY, expression #1 of ORDER BY clause contains nonaggregated column 'users.id'; this is incompatible with sql_mode=only_full_group_by"},
		{"SELECT id FROM users WHERE COUNT(*) > 1", "ERROR 1111 (HY000) at line 1, column 28: Invalid use of group function"},
		{"SELECT SUM(COUNT(*)) FROM users", "ERROR 1111 (HY000) at line 1, column 12: Invalid use of group function"},
		{"SELECT id FROM users WHERE name + 1 = 2", "ERROR 1292 (22007) at line 1, column 28: Truncated incorrect INTEGER value: 'carol'"},
		{"SELECT id / (id - 1) FROM users", "ERROR 1365 (22012) at line 1, column 11: Division by 0"},
		{"INSERT INTO users VALUES (1, 'again', 1, 'x')", "ERROR 1062 (23000) at line 1, column 27: Duplicate entry '1' for key 'PRIMARY'"},
		{"INSERT INTO users VALUES (1, 'x')", "ERROR 1136 (21S01) at line 1, column 27: Column count doesn't match value count at row 1"},
		{"INSERT INTO users (id, name) VALUES (50, 'x'), (51)", "ERROR 1136 (21S01) at line 1, column 49: Column count doesn't match value count at row 2"},
		{"INSERT INTO users (id, nope) VALUES (50, 'x')", "ERROR 1054 (42S22) at line 1, column 24: Unknown column 'nope' in 'field list'"},
		{"INSERT INTO users (id, id) VALUES (50, 51)", "ERROR 1110 (42000) at line 1, column 24: Column 'id' specified twice"},
		{"INSERT INTO users (id) VALUES (50)", "ERROR 1364 (HY000) at line 1, column 13: Field 'name' doesn't have a default value"},
		{"INSERT INTO users (name, age) VALUES ('x', 'abc')", "ERROR 1366 (HY000) at line 1, column 44: Incorrect integer value: 'abc' for column 'age' at row 1"},
		{"INSERT INTO users (name, age) VALUES ('x', 1), ('y', NULL), ('z', 'q')", "ERROR 1366 (HY000) at line 1, column 67: Incorrect integer value: 'q' for column 'age' at row 3"},
		{"INSERT INTO users (name) VALUES (NULL)", "ERROR 1048 (23000) at line 1, column 34: Column 'name' cannot be null"},
		{"INSERT INTO users (name) VALUES ('abcdefghijk')", "ERROR 1406 (22001) at line 1, column 34: Data too long for column 'name' at row 1"},
		{"INSERT INTO users (name) VALUES (age)", "ERROR 1054 (42S22) at line 1, column 34: Unknown column 'age' in 'field list'"},
		{"INSERT INTO users (name) VALUES (1 / 0)", "ERROR 1365 (22012) at line 1, column 36: Division by 0"},
		{"UPDATE users SET nope = 1", "ERROR 1054 (42S22) at line 1, column 18: Unknown column 'nope' in 'field list'"},
		{"UPDATE users SET age = nope", "ERROR 1054 (42S22) at line 1, column 24: Unknown column 'nope' in 'field list'"},
		{"UPDATE users SET age = 1 WHERE nope", "ERROR 1054 (42S22) at line 1, column 32: Unknown column 'nope' in 'where clause'"},
		{"UPDATE users SET name = NULL", "ERROR 1048 (23000) at line 1, column 25: Column 'name' cannot be null"},
		{"UPDATE users SET age = 'x' WHERE id > 1", "ERROR 1366 (HY000) at line 1, column 24: Incorrect integer value: 'x' for column 'age' at row 1"},
		{"UPDATE users SET age = COUNT(*)", "ERROR 1111 (HY000) at line 1, column 24: Invalid use of group function"},
		{"DELETE FROM users WHERE nope = 1", "ERROR 1054 (42S22) at line 1, column 25: Unknown column 'nope' in 'where clause'"},
		{"DROP TABLE users", "ok"},
		{"SELECT * FROM users", "ERROR 1146 (42S02) at line 1, column 15: Table 'users' doesn't exist"},
	}
	for _, st := range steps {
		res, err := db.exec(st.sql)
		var got string
		switch {
		case err != nil:
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: error %T is not *Error", st.sql, err)
			}
			got = e.Report()
		case res.Columns == nil:
			got = "ok"
		default:
			got = res.Format()
		}
		if got != st.want {
			t.Errorf("%s\n got %s\nwant %s", st.sql, got, st.want)
		}
	}
}

func TestAffected(t *testing.T) {
	db := newMemDB()
	for _, s := range []string{
		"CREATE TABLE t (id INT PRIMARY KEY, n INT)",
		"INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)",
	} {
		if _, err := db.exec(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		sql  string
		want int64
	}{
		{"UPDATE t SET n = 2", 2}, // the row that already has 2 is unchanged
		{"UPDATE t SET n = 2", 0},
		{"DELETE FROM t WHERE id > 1", 2},
		{"INSERT INTO t VALUES (5, 5), (6, 6)", 2},
	} {
		res, err := db.exec(tt.sql)
		if err != nil {
			t.Fatal(err)
		}
		if res.Affected != tt.want {
			t.Errorf("%s: %d affected, want %d", tt.sql, res.Affected, tt.want)
		}
	}
}

// A LIMIT without ORDER BY stops the scan early: the executor reads no more
// pages than it must.
func TestQueryRunStopsEarly(t *testing.T) {
	sc := testSchema(t)
	st, _ := ParseStatement("SELECT id FROM t WHERE id > 1 LIMIT 2 OFFSET 1", 1, 1)
	q, err := BindSelect(st.(*Select), sc)
	if err != nil {
		t.Fatal(err)
	}
	run := q.Start()
	fed := 0
	for i := int64(1); i <= 100; i++ {
		fed++
		more, err := run.Add(Values{Int(i), Null(), Null(), Null()})
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
	}
	res, _ := run.Result()
	if fed != 4 || res.Format() != "3; 4" {
		t.Errorf("fed %d rows, result %q; want 4 rows, \"3; 4\"", fed, res.Format())
	}
	if got, want := strings.Join(res.Columns, ","), "id"; got != want {
		t.Errorf("columns %s, want %s", got, want)
	}
}

func TestResultFormat(t *testing.T) {
	r := &Result{
		Columns: []string{"id", "name", "COUNT(*)"},
		Rows: [][]Value{
			{Int(1), Text("alice"), Int(12345)},
			{Int(22), Text("bob"), Null()},
			{Int(-3), Text("zoë"), Int(0)},
		},
	}
	if got, want := r.Format(), "1|alice|12345; 22|bob|NULL; -3|zoë|0"; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
	want := strings.Join([]string{
		" id | name  | COUNT(*)",
		"----+-------+----------",
		"  1 | alice |    12345",
		" 22 | bob   |     NULL",
		" -3 | zoë   |        0",
		"(3 rows)",
	}, "\n")
	if got := r.Table(); got != want {
		t.Errorf("Table:\n%s\nwant:\n%s", got, want)
	}
	one := &Result{Columns: []string{"a"}, Rows: [][]Value{{Text("x")}}}
	if got, want := one.Table(), " a\n---\n x\n(1 row)"; got != want {
		t.Errorf("Table:\n%q\nwant:\n%q", got, want)
	}
	empty := &Result{Columns: []string{"id", "name"}, Rows: [][]Value{}}
	if got, want := empty.Format(), ""; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
	if got, want := empty.Table(), " id | name\n----+------\n(0 rows)"; got != want {
		t.Errorf("Table:\n%q\nwant:\n%q", got, want)
	}
	for n, want := range map[int64]string{0: "Query OK, 0 rows affected", 1: "Query OK, 1 row affected", 7: "Query OK, 7 rows affected"} {
		if got := (&Result{Affected: n}).Table(); got != want {
			t.Errorf("Table = %q, want %q", got, want)
		}
	}
}

func TestPrimaryKeyRange(t *testing.T) {
	sc := testSchema(t)
	textKey, _ := ParseStatement("CREATE TABLE k (name TEXT PRIMARY KEY, n INT)", 1, 1)
	tsc := textKey.(*CreateTable).Schema()
	tests := []struct {
		s     *Schema
		where string
		want  string
	}{
		{sc, "id = 5", "{5}"},
		{sc, "5 = id", "{5}"},
		{sc, "id = 2 + 3", "{5}"},
		{sc, "id = '5'", "{5}"},
		{sc, "id = 'x'", "all"},
		{sc, "id = NULL", "empty"},
		{sc, "id IS NULL", "empty"},
		{sc, "id IS NOT NULL", "all"},
		{sc, "id > 3", "(3, +inf)"},
		{sc, "3 > id", "(-inf, 3)"},
		{sc, "id >= 3 AND id < 10", "[3, 10)"},
		{sc, "id >= 3 AND id < 10 AND id > 4 AND id <= 20", "(4, 10)"},
		{sc, "id BETWEEN 1 AND 5", "[1, 5]"},
		{sc, "id BETWEEN 5 AND 1", "empty"},
		{sc, "id > 5 AND id < 5", "empty"},
		{sc, "id >= 5 AND id <= 5", "[5, 5]"},
		{sc, "id IN (3, 1, 3, NULL)", "{1, 3}"},
		{sc, "id IN (3, 1) AND id > 1", "{3}"},
		{sc, "id IN (3, 1) AND id IN (1, 2)", "{1}"},
		{sc, "id IN (3, 1) AND id = 2", "empty"},
		{sc, "id = 1 OR id = 7", "{1, 7}"},
		{sc, "id = 1 OR id > 7", "all"},
		{sc, "id = 1 OR n = 7", "all"},
		{sc, "id = 1 AND n = 7", "{1}"},
		{sc, "n = 7", "all"},
		{sc, "NOT id = 1", "all"},
		{sc, "id NOT IN (1)", "all"},
		{sc, "id <> 1", "all"},
		{sc, "1 = 0", "empty"},
		{sc, "1 = 1 AND id = 2", "{2}"},
		{sc, "id = 1 / 0", "all"}, // the error is left to Matches
		{sc, "id = n", "all"},
		{tsc, "name = 'bob'", "{'bob'}"},
		{tsc, "name >= 'a' AND name < 'b'", "['a', 'b')"},
		{tsc, "name = 5", "all"},
	}
	for _, tt := range tests {
		st, err := ParseStatement("DELETE FROM t WHERE "+tt.where, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		w := st.(*Delete).Where
		if err := Bind(w, tt.s, ClauseWhere); err != nil {
			t.Fatal(err)
		}
		if got := PrimaryKeyRange(w, tt.s).String(); got != tt.want {
			t.Errorf("PrimaryKeyRange(%s) = %s, want %s", tt.where, got, tt.want)
		}
	}
	if !PrimaryKeyRange(nil, sc).Full() {
		t.Error("PrimaryKeyRange(nil) is not the whole table")
	}
}
