package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunExitCodes runs scenario files the way `go run . run` does and
// checks the exit code and what it prints: every kind of \expect passes
// when it should and fails when it should, and a file that does not parse
// says where.
func TestRunExitCodes(t *testing.T) {
	setup := "CREATE TABLE t (id INT PRIMARY KEY, v TEXT);\nINSERT INTO t VALUES (1, 'a');\n"
	cases := []struct {
		name, src string
		code      int
		want      string // in stdout, or stderr for code 2
	}{
		{"ok passes", setup + "\\expect ok\n", 0, "--- PASS"},
		{"result passes", setup + "SELECT id, v FROM t;\n\\expect result 1|a\n", 0, "--- PASS"},
		{"error passes", setup + "INSERT INTO t VALUES (1, 'b');\n\\expect error Duplicate entry\n", 0, "--- PASS"},
		{"wrong result fails", setup + "SELECT id, v FROM t;\n\\expect result 1|b\n", 1, "FAIL (line 4)"},
		{"ok after an error fails", setup + "INSERT INTO t VALUES (1, 'b');\n\\expect ok\n", 1, "FAIL (line 4)"},
		{"error after success fails", setup + "\\expect error Duplicate entry\n", 1, "FAIL (line 3)"},
		{"other error fails", setup + "INSERT INTO t VALUES (1, 'b');\n\\expect error no such table\n", 1, "FAIL (line 4)"},
		{"result after an error fails", setup + "SELECT id FROM nope;\n\\expect result 1\n", 1, "FAIL (line 4)"},
		{"does not parse", setup + "\\crash\n", 2, ":3:"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".aurora")
			if err := os.WriteFile(f, []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errs bytes.Buffer
			code := runScripts(&out, &errs, []string{f})
			if code != c.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, out.String(), errs.String())
			}
			got := out.String()
			if c.code == 2 {
				got = errs.String()
			}
			if !strings.Contains(got, c.want) {
				t.Fatalf("output lacks %q:\n%s", c.want, got)
			}
		})
	}
	// Several files: the worst outcome decides the code.
	var out, errs bytes.Buffer
	files := []string{filepath.Join(dir, "ok-passes.aurora"), filepath.Join(dir, "wrong-result-fails.aurora")}
	if code := runScripts(&out, &errs, files); code != 1 {
		t.Fatalf("a passing and a failing file: exit code %d, want 1", code)
	}
}
