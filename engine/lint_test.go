package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbidden are the imports the engine must not use: it is pure,
// single-threaded and deterministic, and it runs in node and the browser.
var forbidden = map[string]string{
	"syscall/js":                           "the engine never touches the browser; wasm/ does",
	"os":                                   "the engine does no I/O",
	"net":                                  "every message goes through sim.Network",
	"net/http":                             "every message goes through sim.Network",
	"sync":                                 "the engine is single-threaded",
	"sync/atomic":                          "the engine is single-threaded",
	"crypto/rand":                          "randomness comes from the world's seeded source",
	"hash/maphash":                         "its seed is random",
	"math/rand":                            "use sim.Rand, seeded from the cluster's seed",
	"github.com/hack-pad/safejs":           "browser code belongs in wasm/",
	"github.com/hack-pad/go-indexeddb/idb": "browser code belongs in wasm/",
}

// TestEngineRules parses every non-test file of the engine and fails on a
// forbidden import, a go statement, a channel, a select, the wall clock or
// a top-level math/rand/v2 function.
func TestEngineRules(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		randName := ""
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if why, bad := forbidden[p]; bad {
				t.Errorf("%s imports %s: %s", path, p, why)
			}
			if p == "math/rand/v2" {
				randName = "rand"
				if imp.Name != nil {
					randName = imp.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: a go statement; the engine is single-threaded", fset.Position(x.Pos()))
			case *ast.SelectStmt:
				t.Errorf("%s: a select; the engine has no channels", fset.Position(x.Pos()))
			case *ast.ChanType:
				t.Errorf("%s: a channel type; the engine has no channels", fset.Position(x.Pos()))
			case *ast.SelectorExpr:
				id, ok := x.X.(*ast.Ident)
				if !ok {
					break
				}
				if id.Name == "time" && (x.Sel.Name == "Now" || x.Sel.Name == "Sleep" || x.Sel.Name == "After" || x.Sel.Name == "Since" || x.Sel.Name == "NewTimer" || x.Sel.Name == "Tick") {
					t.Errorf("%s: time.%s reads the wall clock; use simulated time", fset.Position(x.Pos()), x.Sel.Name)
				}
				if randName != "" && id.Name == randName && x.Sel.Name != "New" && x.Sel.Name != "NewPCG" && x.Sel.Name != "Rand" && x.Sel.Name != "PCG" && x.Sel.Name != "Source" {
					t.Errorf("%s: %s.%s uses the global random source; draw from sim.Rand", fset.Position(x.Pos()), randName, x.Sel.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
