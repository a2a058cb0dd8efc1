package sql

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestValueString(t *testing.T) {
	tests := []struct {
		v        Value
		str, lit string
		kind     Kind
		isNull   bool
		asInt    int64
		asText   string
		comment  string
	}{
		{Null(), "NULL", "NULL", KindNull, true, 0, "", "null"},
		{Value{}, "NULL", "NULL", KindNull, true, 0, "", "zero value"},
		{Int(-42), "-42", "-42", KindInt, false, -42, "", "int"},
		{Bool(true), "1", "1", KindInt, false, 1, "", "true"},
		{Bool(false), "0", "0", KindInt, false, 0, "", "false"},
		{Text("it's"), "it's", "'it''s'", KindText, false, 0, "it's", "text"},
		{Text(""), "", "''", KindText, false, 0, "", "empty text"},
		{Text("NULL"), "NULL", "'NULL'", KindText, false, 0, "NULL", "text NULL"},
	}
	for _, tt := range tests {
		if tt.v.String() != tt.str || tt.v.SQL() != tt.lit || tt.v.Kind() != tt.kind ||
			tt.v.IsNull() != tt.isNull || tt.v.Int() != tt.asInt || tt.v.Text() != tt.asText {
			t.Errorf("%s: got %q %q %v", tt.comment, tt.v.String(), tt.v.SQL(), tt.v.Kind())
		}
	}
}

func TestCompare(t *testing.T) {
	ordered := []Value{Null(), Int(math.MinInt64), Int(-1), Int(0), Int(2), Int(math.MaxInt64),
		Text(""), Text("A"), Text("a"), Text("ab"), Text("b"), Text("é")}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", a.SQL(), b.SQL(), got, want)
			}
		}
	}
}

func TestCodec(t *testing.T) {
	tests := []struct {
		v    Value
		want []byte
	}{
		{Null(), []byte{0}},
		{Int(0), []byte{1, 0}},
		{Int(-1), []byte{1, 1}},
		{Int(1), []byte{1, 2}},
		{Int(300), []byte{1, 0xd8, 0x04}},
		{Text(""), []byte{2, 0}},
		{Text("ab"), []byte{2, 2, 'a', 'b'}},
	}
	for _, tt := range tests {
		got := tt.v.Encode()
		if !bytes.Equal(got, tt.want) {
			t.Errorf("Encode(%s) = %x, want %x", tt.v.SQL(), got, tt.want)
		}
		back, err := Decode(got)
		if err != nil || back != tt.v {
			t.Errorf("Decode(%x) = %s, %v", got, back.SQL(), err)
		}
	}
	row := []Value{Int(7), Text("seven"), Null(), Int(math.MinInt64)}
	enc := AppendRow([]byte{0xff}, row)
	back, n, err := DecodeRow(enc[1:])
	if err != nil || n != len(enc)-1 || len(back) != len(row) {
		t.Fatalf("DecodeRow: %v %d %v", back, n, err)
	}
	for i := range row {
		if back[i] != row[i] {
			t.Errorf("value %d: %s, want %s", i, back[i].SQL(), row[i].SQL())
		}
	}
	for _, bad := range [][]byte{
		{},              // empty
		{3},             // unknown tag
		{1},             // integer missing
		{1, 0x80, 0x00}, // overlong varint for 0
		{2, 5, 'a'},     // text shorter than its length
		{2, 0x80, 0x00}, // overlong length
		{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // varint overflow
		{0, 0}, // trailing byte (Decode only)
	} {
		if _, err := Decode(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Decode(%x): %v, want ErrCorrupt", bad, err)
		}
	}
	if _, _, err := DecodeRow([]byte{0xff, 0xff, 0xff, 0xff, 0x0f}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("DecodeRow of a huge count: %v", err)
	}
}

func TestErrorFormat(t *testing.T) {
	e := ErrNoSuchTable(Pos{3, 15}, "t")
	if got, want := e.Error(), "line 3, column 15: Table 't' doesn't exist"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := e.Report(), "ERROR 1146 (42S02) at line 3, column 15: Table 't' doesn't exist"; got != want {
		t.Errorf("Report() = %q, want %q", got, want)
	}
	d := ErrDeadlock(NoPos)
	if got, want := d.Report(), "ERROR 1213 (40001): Deadlock found when trying to get lock; try restarting transaction"; got != want {
		t.Errorf("Report() = %q, want %q", got, want)
	}
	if got, want := d.Error(), "Deadlock found when trying to get lock; try restarting transaction"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var err error = d
	if !errors.Is(err, CodeDeadlock) || errors.Is(err, CodeReadOnly) || CodeOf(err) != CodeDeadlock {
		t.Error("errors.Is by code")
	}
	if CodeOf(errors.New("other")) != 0 {
		t.Error("CodeOf of a foreign error")
	}
	for _, tt := range []struct {
		e    *Error
		want string
	}{
		{ErrUnknownColumn(Pos{1, 2}, "x", ClauseWhere), "ERROR 1054 (42S22) at line 1, column 2: Unknown column 'x' in 'where clause'"},
		{ErrDupEntry(Pos{1, 2}, Text("k")), "ERROR 1062 (23000) at line 1, column 2: Duplicate entry 'k' for key 'PRIMARY'"},
		{ErrIncorrectValue(Pos{1, 2}, TypeInt, Text("abc"), "n", 1), "ERROR 1366 (HY000) at line 1, column 2: Incorrect integer value: 'abc' for column 'n' at row 1"},
		{ErrTableExists(Pos{1, 2}, "t"), "ERROR 1050 (42S01) at line 1, column 2: Table 't' already exists"},
		{ErrUnknownTable(Pos{1, 2}, "t"), "ERROR 1051 (42S02) at line 1, column 2: Unknown table 't'"},
		{ErrDivisionByZero(Pos{1, 2}), "ERROR 1365 (22012) at line 1, column 2: Division by 0"},
		{ErrReadOnly(Pos{1, 1}), "ERROR 1290 (HY000) at line 1, column 1: The MySQL server is running with the --read-only option so it cannot execute this statement"},
		{ErrGeneric(Pos{2, 1}, "commit outcome unknown: %s", "no write quorum"), "ERROR 1105 (HY000) at line 2, column 1: commit outcome unknown: no write quorum"},
		{ErrorAt(Pos{2, 1}, Code(1099), "Table 't' was locked with a READ lock and can't be updated"), "ERROR 1099 (HY000) at line 2, column 1: Table 't' was locked with a READ lock and can't be updated"},
	} {
		if got := tt.e.Report(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}
