package sql

import (
	"errors"
	"testing"
)

// testSchema is t (id INT PRIMARY KEY, name TEXT, n INT, s VARCHAR(5)).
func testSchema(t testing.TB) *Schema {
	t.Helper()
	s, err := ParseStatement("CREATE TABLE t (id INT PRIMARY KEY, name TEXT, n INT, s VARCHAR(5))", 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*CreateTable).Schema()
}

// evalSQL parses "SELECT <expr>", binds it to testSchema and evaluates it
// on row.
func evalSQL(t testing.TB, expr string, row Values) (Value, error) {
	t.Helper()
	st, err := ParseStatement("SELECT "+expr, 1, 1)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	e := st.(*Select).Items[0].Expr
	if err := Bind(e, testSchema(t), ClauseFieldList); err != nil {
		return Value{}, err
	}
	return Eval(e, row)
}

func TestEval(t *testing.T) {
	row := Values{Int(1), Text("alice"), Null(), Text("42")}
	tests := []struct {
		expr string
		want string // Value.SQL() of the result
	}{
		{"1 + 2 * 3", "7"},
		{"(1 + 2) * 3", "9"},
		{"7 / 2", "3"},
		{"-7 / 2", "-3"},
		{"7 % 3", "1"},
		{"-7 % 3", "-1"},
		{"7 % -3", "1"},
		{"-9223372036854775808 % -1", "0"},
		{"-(id)", "-1"},
		{"id + s", "43"},   // '42' converts
		{"' 5 ' + 1", "6"}, // spaces around are allowed
		{"id = 1", "1"},
		{"id <> 1", "0"},
		{"id < 2 AND id >= 1", "1"},
		{"name = 'alice'", "1"},
		{"name = 'Alice'", "0"}, // binary collation
		{"name < 'bob'", "1"},
		{"'b' > 'alice'", "1"},
		{"s = 42", "1"}, // text '42' compared as an integer
		{"id = '1'", "1"},
		{"id BETWEEN 0 AND 1", "1"},
		{"id NOT BETWEEN 0 AND 1", "0"},
		{"id IN (3, 2, 1)", "1"},
		{"id NOT IN (3, 2)", "1"},
		{"name IN ('bob', 'alice')", "1"},
		{"TRUE AND FALSE", "0"},
		{"TRUE OR FALSE", "1"},
		{"NOT 0", "1"},
		{"NOT 5", "0"},
		{"'x'", "'x'"},
		{"t.name", "'alice'"},
		// NULL semantics
		{"n", "NULL"},
		{"n + 1", "NULL"},
		{"-n", "NULL"},
		{"n = NULL", "NULL"},
		{"NULL = NULL", "NULL"},
		{"n <> 1", "NULL"},
		{"NOT n", "NULL"},
		{"n IS NULL", "1"},
		{"n IS NOT NULL", "0"},
		{"NULL IS NULL", "1"},
		{"id IS NULL", "0"},
		{"n AND 0", "0"},
		{"0 AND n", "0"},
		{"n AND 1", "NULL"},
		{"n OR 1", "1"},
		{"1 OR n", "1"},
		{"n OR 0", "NULL"},
		{"NULL AND NULL", "NULL"},
		{"id IN (2, NULL)", "NULL"},
		{"id IN (1, NULL)", "1"},
		{"id NOT IN (2, NULL)", "NULL"},
		{"n IN (1, 2)", "NULL"},
		{"n BETWEEN 1 AND 2", "NULL"},
		{"id BETWEEN NULL AND 0", "0"}, // 1 <= 0 is false, so unknown AND false
		{"id BETWEEN NULL AND 5", "NULL"},
		{"n / 0", "NULL"}, // NULL wins before the division is tried
		// Short-circuit: the right side is not evaluated.
		{"0 AND 1 / 0", "0"},
		{"1 OR 1 / 0", "1"},
	}
	for _, tt := range tests {
		v, err := evalSQL(t, tt.expr, row)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if got := v.SQL(); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.expr, got, tt.want)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	row := Values{Int(1), Text("alice"), Null(), Text("42")}
	tests := []struct {
		expr string
		want string
		code Code
	}{
		{"id / 0", "line 1, column 11: Division by 0", CodeDivisionByZero},
		{"id % (id - 1)", "line 1, column 11: Division by 0", CodeDivisionByZero},
		{"9223372036854775807 + id", "line 1, column 28: BIGINT value is out of range in '(9223372036854775807 + id)'", CodeDataOutOfRange},
		{"-9223372036854775808 - id", "line 1, column 29: BIGINT value is out of range in '(-9223372036854775808 - id)'", CodeDataOutOfRange},
		{"4611686018427387904 * 2", "line 1, column 28: BIGINT value is out of range in '(4611686018427387904 * 2)'", CodeDataOutOfRange},
		{"-9223372036854775808 / -1", "line 1, column 29: BIGINT value is out of range in '(-9223372036854775808 / -1)'", CodeDataOutOfRange},
		{"-(-9223372036854775808)", "line 1, column 8: BIGINT value is out of range in '-(-9223372036854775808)'", CodeDataOutOfRange},
		{"name + 1", "line 1, column 8: Truncated incorrect INTEGER value: 'alice'", CodeTruncatedWrongValue},
		{"1 + name", "line 1, column 12: Truncated incorrect INTEGER value: 'alice'", CodeTruncatedWrongValue},
		{"id = name", "line 1, column 13: Truncated incorrect INTEGER value: 'alice'", CodeTruncatedWrongValue},
		{"id IN (2, 'x')", "line 1, column 18: Truncated incorrect INTEGER value: 'x'", CodeTruncatedWrongValue},
		{"NOT name", "line 1, column 12: Truncated incorrect INTEGER value: 'alice'", CodeTruncatedWrongValue},
		{"-name", "line 1, column 9: Truncated incorrect INTEGER value: 'alice'", CodeTruncatedWrongValue},
		{"'12x' + 0", "line 1, column 8: Truncated incorrect INTEGER value: '12x'", CodeTruncatedWrongValue},
		{"nope", "line 1, column 8: Unknown column 'nope' in 'field list'", CodeBadField},
		{"x.id", "line 1, column 8: Unknown column 'x.id' in 'field list'", CodeBadField},
		{"COUNT(*)", "line 1, column 8: Invalid use of group function", CodeInvalidGroupFuncUse},
	}
	for _, tt := range tests {
		_, err := evalSQL(t, tt.expr, row)
		if err == nil {
			t.Errorf("%s: no error, want %s", tt.expr, tt.want)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.expr, got, tt.want)
		}
		if !errors.Is(err, tt.code) {
			t.Errorf("%s: code %d, want %d", tt.expr, CodeOf(err), tt.code)
		}
	}
}

func TestMatches(t *testing.T) {
	sc := testSchema(t)
	row := Values{Int(1), Text("alice"), Null(), Text("42")}
	for where, want := range map[string]bool{
		"id = 1": true, "id = 2": false, "n = 1": false, "NOT (n = 1)": false,
		"n IS NULL": true, "id = 1 OR n = 1": true, "'1'": true, "0": false,
	} {
		st, err := ParseStatement("DELETE FROM t WHERE "+where, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		w := st.(*Delete).Where
		if err := Bind(w, sc, ClauseWhere); err != nil {
			t.Fatal(err)
		}
		got, err := Matches(w, row)
		if err != nil || got != want {
			t.Errorf("Matches(%s) = %v, %v; want %v", where, got, err, want)
		}
	}
	if ok, err := Matches(nil, row); !ok || err != nil {
		t.Errorf("Matches(nil) = %v, %v", ok, err)
	}
	st, _ := ParseStatement("DELETE FROM t WHERE nope = 1", 2, 1)
	err := Bind(st.(*Delete).Where, sc, ClauseWhere)
	if got, want := err.Error(), "line 2, column 21: Unknown column 'nope' in 'where clause'"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestAggregator(t *testing.T) {
	sc := testSchema(t)
	rows := []Values{
		{Int(1), Text("b"), Int(10), Null()},
		{Int(2), Text("a"), Null(), Null()},
		{Int(3), Text("c"), Int(-4), Null()},
	}
	tests := []struct{ call, all, none string }{
		{"COUNT(*)", "3", "0"},
		{"COUNT(n)", "2", "0"},
		{"SUM(n)", "6", "NULL"},
		{"MIN(n)", "-4", "NULL"},
		{"MAX(n)", "10", "NULL"},
		{"MIN(name)", "'a'", "NULL"},
		{"MAX(name)", "'c'", "NULL"},
		{"SUM(id * 2)", "12", "NULL"},
		{"COUNT(s)", "0", "0"},
	}
	for _, tt := range tests {
		st, err := ParseStatement("SELECT "+tt.call+" FROM t", 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		q, err := BindSelect(st.(*Select), sc)
		if err != nil {
			t.Fatal(err)
		}
		a := NewAggregator(q.Aggs[0])
		if got := a.Value().SQL(); got != tt.none {
			t.Errorf("%s over no rows = %s, want %s", tt.call, got, tt.none)
		}
		for _, r := range rows {
			if err := a.Add(r); err != nil {
				t.Fatal(err)
			}
		}
		if got := a.Value().SQL(); got != tt.all {
			t.Errorf("%s = %s, want %s", tt.call, got, tt.all)
		}
	}
	// SUM overflows as an error, not silently.
	st, _ := ParseStatement("SELECT SUM(n) FROM t", 1, 1)
	q, _ := BindSelect(st.(*Select), sc)
	a := NewAggregator(q.Aggs[0])
	_ = a.Add(Values{Int(1), Null(), Int(1 << 62), Null()})
	_ = a.Add(Values{Int(1), Null(), Int(1 << 62), Null()})
	if err := a.Add(Values{Int(1), Null(), Int(1 << 62), Null()}); CodeOf(err) != CodeDataOutOfRange {
		t.Errorf("SUM overflow: %v", err)
	}
}

func TestColumnAssign(t *testing.T) {
	sc := testSchema(t)
	nn := Column{Name: "k", Type: TypeInt, NotNull: true}
	tests := []struct {
		col  Column
		in   Value
		want string // SQL() of the value, or the error
	}{
		{sc.Columns[2], Int(5), "5"},
		{sc.Columns[2], Text(" 17 "), "17"},
		{sc.Columns[2], Text("-3"), "-3"},
		{sc.Columns[2], Text("abc"), "line 1, column 1: Incorrect integer value: 'abc' for column 'n' at row 2"},
		{sc.Columns[2], Text("99999999999999999999"), "line 1, column 1: Out of range value for column 'n' at row 2"},
		{sc.Columns[2], Null(), "NULL"},
		{nn, Null(), "line 1, column 1: Column 'k' cannot be null"},
		{sc.Columns[1], Int(-12), "'-12'"},
		{sc.Columns[3], Text("héllo"), "'héllo'"},
		{sc.Columns[3], Text("héllo!"), "line 1, column 1: Data too long for column 's' at row 2"},
		{sc.Columns[3], Int(123456), "line 1, column 1: Data too long for column 's' at row 2"},
	}
	for _, tt := range tests {
		v, err := tt.col.Assign(Pos{1, 1}, tt.in, 2)
		got := v.SQL()
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s.Assign(%s) = %s, want %s", tt.col.Name, tt.in.SQL(), got, tt.want)
		}
	}
}
