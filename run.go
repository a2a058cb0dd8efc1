package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"aurora-lab/engine"
)

// runScripts runs each scenario file and returns the process exit code: 0
// when every file passes, 1 when an \expect fails, 2 when a file does not
// parse or cannot be read.
func runScripts(stdout, stderr io.Writer, files []string) int {
	if len(files) == 0 {
		fmt.Fprintln(stderr, "usage: aurora-lab run FILE...")
		return 2
	}
	code := 0
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = 2
			continue
		}
		fmt.Fprintf(stdout, "=== %s\n", name)
		lab, err := engine.RunScript(string(src))
		var pe *engine.ParseError
		switch {
		case errors.As(err, &pe):
			fmt.Fprintf(stderr, "%s:%d:%d: %s\n", name, pe.Line, pe.Col, pe.Msg)
			fmt.Fprintf(stdout, "--- DOES NOT PARSE %s\n", name)
			code = 2
			continue
		case err != nil:
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			code = max(code, 1)
		}
		if lab == nil {
			continue
		}
		outs, _ := lab.Outputs(0)
		engine.WriteTranscript(stdout, outs)
		if n := lab.Failures(); n > 0 {
			fmt.Fprintf(stdout, "--- FAIL %s: %d expectation%s failed (simulated time %v)\n", name, n, s(n), lab.Now())
			code = max(code, 1)
		} else if err == nil {
			fmt.Fprintf(stdout, "--- PASS %s (simulated time %v)\n", name, lab.Now())
		}
	}
	return code
}

func s(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
