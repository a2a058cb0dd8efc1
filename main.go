// Command aurora-lab serves the Aurora Lab page, or runs scenario files
// headlessly.
//
//	go run .                 serve the page on 127.0.0.1:8080
//	go run . -addr :9000     serve on another address
//	go run . run FILE...     run scenario files; exit 0 when all pass,
//	                         1 when an \expect fails, 2 when a file does not parse
package main

import (
	"fmt"
	"os"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "run" {
		os.Exit(runScripts(os.Stdout, os.Stderr, args[1:]))
	}
	if err := serveMain(args); err != nil {
		fmt.Fprintln(os.Stderr, "aurora-lab:", err)
		os.Exit(1)
	}
}
