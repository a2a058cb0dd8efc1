//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axeSource reads axe-core, which make installs from the npm registry
// into .bin/axe (AXE_CORE_JS names it).
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("AXE_CORE_JS")
	if path == "" {
		path = filepath.Join("..", ".bin", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): `make tools` installs it with npm", err)
	}
	return string(src)
}

// violation is what axe reports about one rule.
type violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// axe runs axe-core's WCAG 2.1 A and AA rules on the page as it is and
// returns the violations.
func (b *browser) axe(src string) []violation {
	b.t.Helper()
	if !eval[bool](b, `typeof window.axe === "object"`) {
		b.do(chromedp.Evaluate[chromedp.Void](src))
	}
	raw := eval[string](b, `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`)
	var vs []violation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		b.t.Fatalf("axe's report: %v", err)
	}
	return vs
}

// serious reports the violations of serious or critical impact and logs
// the others.
func serious(t *testing.T, where string, vs []violation) {
	t.Helper()
	for _, v := range vs {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprint(n.Target))
		}
		msg := fmt.Sprintf("%s: %s (%s) %s at %s", where, v.ID, v.Impact, v.Help, strings.Join(nodes, ", "))
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(msg + "\n" + v.Nodes[0].Summary)
		} else {
			t.Log(msg)
		}
	}
}

// TestAccessibility runs axe-core on the page in the states a person
// meets: a guided scenario with its highlights, a fault menu open, the
// tables, the dialogs, the embed, dark mode and reduced motion; 0
// serious or critical violations are allowed.
func TestAccessibility(t *testing.T) {
	src := axeSource(t)
	b := newBrowser(t, "")
	b.open()
	b.startScenario("az-plus-one", 2)
	b.typeLine("w1", `\crash a1`)
	b.waitFor("a1 down", nodeState("a1")+` === "down"`)
	b.typeLine("w1", `SELECT nope FROM;`)
	b.waitFor("an error shown", `!!document.querySelector('section[data-console="w1"] .res.err')`)
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("details.tables").open = true`))
	b.waitFor("the tables", `document.querySelectorAll("table.state").length === 3`)
	serious(t, "page with a scenario", b.axe(src))

	b.do(chromedp.Click(chromedp.CSS(`svg g.node[data-node="b1"] rect.box`)))
	b.waitFor("b1's menu", `!document.querySelector(".menu").hidden`)
	serious(t, "fault menu", b.axe(src))
	b.do(chromedp.KeyEvent("\x1b"))

	for _, d := range []struct{ open, sel string }{
		{`document.querySelector("button.share").click()`, "dialog.share-dialog"},
		{`document.querySelector("button.keys-btn").click()`, "dialog.keys-dialog"},
	} {
		b.do(chromedp.Evaluate[chromedp.Void](d.open))
		b.waitFor(d.sel, `document.querySelector(`+fmt.Sprintf("%q", d.sel)+`).open`)
		serious(t, d.sel, b.axe(src))
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(` + fmt.Sprintf("%q", d.sel) + `).close()`))
	}

	// Dark mode and reduced motion: the colours still contrast, and the
	// messages in flight stand still.
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{
			{Name: "prefers-color-scheme", Value: "dark"}, {Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	}))
	serious(t, "dark mode", b.axe(src))

	b.do(chromedp.Navigate(baseURL + "embed.html?scenario=quorum-write"))
	b.waitReady()
	b.waitFor("the first step", `auroraLab.guide().step === 1`)
	serious(t, "embed", b.axe(src))
	b.noConsoleErrors()
}
