//go:build js && wasm

// Command wasm is the Aurora Lab page, compiled to WebAssembly: `make wasm`
// builds it into web/main.wasm, and web/boot.js starts it.
//
// It mounts the page in the element #app, restoring the session saved in
// IndexedDB (the database named by <html data-db>, "aurora-lab" by
// default), exposes window.auroraLab, and runs until the page goes away.
package main

import (
	"context"
	"fmt"
	"strings"

	"aurora-lab/wasm/internal/app"
	"aurora-lab/wasm/internal/dom"
	"aurora-lab/wasm/internal/share"
)

func main() {
	if err := run(); err != nil {
		fail(err)
	}
	select {} // the page lives on in its callbacks
}

func run() error {
	doc, err := dom.Doc()
	if err != nil {
		return err
	}
	root, ok, err := doc.ByID("app")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("the page has no element #app to draw in")
	}
	opts := app.Options{}
	if html, err := doc.Root(); err == nil {
		if db, ok, _ := html.Attr("data-db"); ok {
			opts.DB = db
		}
		if mode, _, _ := html.Attr("data-mode"); mode == "embed" {
			opts.Embed = true
		}
	}
	here := dom.Here()
	link, err := share.Parse(strings.TrimPrefix(here.Search, "?"), strings.TrimPrefix(here.Hash, "#"))
	if err != nil {
		opts.LinkErr = err
	} else if !link.Empty() {
		opts.Link = &link
	}
	if opts.Embed {
		// An embed keeps its own database, one per scenario or script,
		// apart from the full page's and from other embeds'.
		switch {
		case link.Scenario != "":
			opts.DB += ":" + link.Scenario
		case link.Script != "":
			opts.DB += ":script-" + share.ScenarioSum(link.Script)
		}
	}
	a, err := app.Mount(context.Background(), root, opts)
	if err != nil {
		return err
	}
	dom.OnPanic = a.Failed
	if err := a.Expose(); err != nil {
		return err
	}
	return a.Start()
}

// fail shows why the page could not start, in the page and on the console.
func fail(err error) {
	msg := "Aurora Lab could not start: " + err.Error()
	if doc, derr := dom.Doc(); derr == nil {
		if html, herr := doc.Root(); herr == nil {
			_ = html.SetData("state", "error")
		}
		if el, ok, _ := doc.ByID("boot-status"); ok {
			_ = el.SetText(msg)
		}
	}
	dom.OnPanic("startup", err)
}
