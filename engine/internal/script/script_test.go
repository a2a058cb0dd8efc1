package script

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitsStatementsMetaCommandsAndComments(t *testing.T) {
	src := "-- a comment\n" +
		"CREATE TABLE t (id INT PRIMARY KEY,\n  v TEXT);\n" +
		"\\crash b1\n" +
		"INSERT INTO t VALUES (1, 'a;b'), (2, 'it''s');  SELECT 1;\n" +
		"\\expect result 1\n"
	items, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		kind      Kind
		line, col int
		text      string
	}
	wants := []want{
		{Comment, 1, 1, "-- a comment"},
		{SQL, 2, 1, "CREATE TABLE t (id INT PRIMARY KEY,\n  v TEXT)"},
		{Meta, 4, 1, `\crash b1`},
		{SQL, 5, 1, "INSERT INTO t VALUES (1, 'a;b'), (2, 'it''s')"},
		{SQL, 5, 49, "SELECT 1"},
		{Meta, 6, 1, `\expect result 1`},
	}
	if len(items) != len(wants) {
		t.Fatalf("got %d items, want %d: %+v", len(items), len(wants), items)
	}
	for i, w := range wants {
		it := items[i]
		if it.Kind != w.kind || it.Line != w.line || it.Col != w.col || it.Text != w.text {
			t.Errorf("item %d = {%v %d:%d %q}, want {%v %d:%d %q}", i, it.Kind, it.Line, it.Col, it.Text, w.kind, w.line, w.col, w.text)
		}
	}
	if c := items[5].Cmd; c.Name != "expect" || c.Args[0].Text != "result" || c.Rest != "1" {
		t.Errorf("\\expect parsed as %+v", c)
	}
}

func TestMetaCommandErrorsHaveAPosition(t *testing.T) {
	cases := []struct {
		src       string
		line, col int
		contains  string
	}{
		{"SELECT 1;\n\\crush b1\n", 2, 1, `unknown meta-command "\crush"`},
		{"\\run\n", 1, 1, "needs 1 argument"},
		{"\\run 5\n", 1, 6, "missing unit"},
		{"\\run 5ms 6ms\n", 1, 10, "takes 1 argument"},
		{"  \\expect maybe\n", 1, 11, "expected ok, error or result"},
		{"\\expect ok now\n", 1, 12, "takes nothing after it"},
		{"\\cluster writers\n", 1, 10, "expected key=value"},
		{"\\cluster colour=blue\n", 1, 10, "unknown cluster setting"},
		{"\\loss a b 120\n", 1, 11, "not a percentage"},
		{"\\\n", 1, 1, "empty meta-command"},
	}
	IsKnob = func(k string) bool { return k == "writers" || k == "seed" }
	defer func() { IsKnob = nil }()
	for _, c := range cases {
		_, err := Parse(c.src)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want a positioned error", c.src, err)
			continue
		}
		if e.Line != c.line || e.Col != c.col || !strings.Contains(e.Msg, c.contains) {
			t.Errorf("Parse(%q) = %d:%d %q, want %d:%d containing %q", c.src, e.Line, e.Col, e.Msg, c.line, c.col, c.contains)
		}
	}
}

func TestUnterminatedStatementIsAnErrorOfThatStatement(t *testing.T) {
	items, err := Parse("SELECT 1\n\\status\nSELECT 2")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 || items[0].Err == nil || items[1].Kind != Meta || items[2].Err == nil {
		t.Fatalf("items = %+v", items)
	}
	if items[0].Err.Line != 1 || items[0].Err.Col != 9 {
		t.Errorf("first statement's error at %d:%d, want 1:9", items[0].Err.Line, items[0].Err.Col)
	}
	if Complete("SELECT 1") || !Complete("SELECT 1;") || Complete("SELECT 'a;") || !Complete("\\status") {
		t.Error("Complete disagrees with the splitter")
	}
}

// FuzzParse checks that the console parser never panics, that every error
// it returns is positioned inside the input, and that the items it returns
// cover the input in order. Its seeds are the story files.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "*.aurora"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("SELECT 'unterminated\n\\run 1s")
	f.Add("/* open comment ; \n\\crash a")
	f.Add("\\expect error ERROR 1213")
	f.Fuzz(func(t *testing.T, src string) {
		items, err := Parse(src)
		lines := strings.Count(src, "\n") + 1
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error without a position: %v", err)
			}
			if e.Line < 1 || e.Line > lines || e.Col < 1 {
				t.Fatalf("error at %d:%d outside the %d-line input: %v", e.Line, e.Col, lines, err)
			}
			return
		}
		prevLine, prevCol := 0, 0
		for _, it := range items {
			if it.Line < prevLine || it.Line == prevLine && it.Col <= prevCol {
				t.Fatalf("items out of order at %d:%d", it.Line, it.Col)
			}
			prevLine, prevCol = it.Line, it.Col
			if it.Line < 1 || it.Line > lines || it.Col < 1 {
				t.Fatalf("item at %d:%d outside the input", it.Line, it.Col)
			}
			if utf8.ValidString(src) && !strings.Contains(src, it.Text) {
				t.Fatalf("item text %q is not in the input", it.Text)
			}
			if it.Err != nil && (it.Err.Line < it.Line || it.Err.Col < 1) {
				t.Fatalf("statement error at %d:%d before its statement at %d:%d", it.Err.Line, it.Err.Col, it.Line, it.Col)
			}
			if it.Kind == Meta && it.Cmd == nil {
				t.Fatal("a meta-command item without its command")
			}
		}
	})
}
