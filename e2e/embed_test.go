//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// readmeBlock returns the code block that follows marker in the README.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "<!-- "+marker+" -->\n")
	if !ok {
		t.Fatalf("README.md has no %q marker", marker)
	}
	_, rest, ok = strings.Cut(rest, "```html\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatalf("README.md has no html block after %q", marker)
	}
	return block
}

// TestEmbedInCrossOriginFrame pastes the README's embed line and host
// snippet into a page of another origin: the embed loads its scenario,
// posts its height, and the snippet sizes the frame to it. The full page
// cannot be framed there. Opened on its own, the embed keeps its state in
// its own database, apart from the full page's.
func TestEmbedInCrossOriginFrame(t *testing.T) {
	line := readmeBlock(t, "embed-line")
	host := readmeBlock(t, "embed-host")
	if !strings.Contains(line, "https://YOUR-HOST/embed.html?scenario=quorum-write") {
		t.Fatalf("the README's embed line changed: %s", line)
	}
	line = strings.ReplaceAll(line, "https://YOUR-HOST/", baseURL)
	hostPage := `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A docs page</title></head><body>
<h1>Quorum writes</h1>
<script>window.got = []; addEventListener("message", (e) => window.got.push(e.data));</script>
` + line + host + `
<iframe id="full" src="` + baseURL + `" title="the full page, which may not be framed here"></iframe>
</body></html>`
	docs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, hostPage)
	}))
	defer docs.Close()
	if strings.HasPrefix(baseURL, docs.URL) {
		t.Fatal("the docs page is not of another origin")
	}

	b := newBrowser(t, "")
	start := time.Now()
	b.do(chromedp.Navigate(docs.URL))
	b.waitFor("the embed's height", `window.got.some(m => m && m.type === "aurora-lab:height" && m.height > 300)`)
	t.Logf("embed in a cross-origin frame: first height after %v", time.Since(start).Round(time.Millisecond))
	last := eval[map[string]any](b, `window.got.filter(m => m && m.type === "aurora-lab:height").at(-1)`)
	if last["scenario"] != "quorum-write" {
		t.Errorf("the embed reports scenario %v", last["scenario"])
	}
	if saving, _ := last["saving"].(bool); !saving && !strings.Contains(fmt.Sprint(last["note"]), "memory") {
		t.Errorf("the embed does not save and does not say it runs in memory: %v", last)
	}
	b.waitFor("the frame sized by the snippet", `(() => {
		const f = document.querySelector('iframe[src*="embed.html"]');
		const m = window.got.filter(m => m && m.type === "aurora-lab:height").at(-1);
		return f.style.height === m.height + "px" && Math.abs(f.getBoundingClientRect().height - m.height) < 2;
	})()`)

	// The full page refused the frame: Chromium shows its error page there.
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	var framed []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		res, err := chromedp.Run(ctx, chromedp.Action[page.GetFrameTreeResult](func(ctx context.Context, tg *chromedp.Target) (page.GetFrameTreeResult, error) {
			return cdp.Call(ctx, tg, page.GetFrameTree, cdp.Empty{})
		}))
		if err != nil {
			t.Fatal(err)
		}
		framed = framed[:0]
		for _, c := range res.FrameTree.ChildFrames {
			framed = append(framed, c.Frame.URL+" "+c.Frame.UnreachableURL)
		}
		if len(framed) == 2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	sawEmbed, sawRefused := false, false
	for _, f := range framed {
		sawEmbed = sawEmbed || strings.Contains(f, "embed.html?scenario=quorum-write")
		sawRefused = sawRefused || strings.HasPrefix(f, "chrome-error://")
	}
	if !sawEmbed || !sawRefused {
		t.Errorf("frames %q: want the embed loaded and the full page refused", framed)
	}

	// On its own, the embed saves to its own database; the full page's
	// lab is untouched by it.
	start = time.Now()
	b.do(chromedp.Navigate(baseURL + "embed.html?scenario=one-az-down"))
	b.waitReady()
	t.Logf("embed.html on its own: ready after %v", time.Since(start).Round(time.Millisecond))
	b.waitFor("the scenario's first step", `auroraLab.guide().step === 1 && document.documentElement.classList.contains("embed")`)
	if !eval[bool](b, `document.querySelector(".panel-log").offsetParent === null && document.querySelector(".panel-guide").offsetParent !== null`) {
		t.Error("the embed shows the full page's chrome, or hides the guide")
	}
	b.do(chromedp.Evaluate[chromedp.Void](`auroraLab.skip()`))
	b.waitFor("the next step", `auroraLab.guide().step >= 2 && !auroraLab.guide().ffwd`)
	eval[float64](b, `auroraLab.flush()`)
	if db := eval[string](b, `auroraLab.status().storage.name`); db != "aurora-lab-embed:one-az-down" {
		t.Errorf("the embed saves to %q", db)
	}
	b.do(chromedp.Navigate(baseURL))
	b.waitReady()
	if n := eval[int](b, `auroraLab.log().length`); n != 0 {
		t.Errorf("the full page shows the embed's %d inputs", n)
	}
	if eval[bool](b, `auroraLab.guide().active`) {
		t.Error("the full page runs the embed's scenario")
	}
	b.do(chromedp.Navigate(baseURL + "embed.html?scenario=one-az-down"))
	b.waitReady()
	if st := eval[int](b, `auroraLab.guide().step`); st < 2 {
		t.Errorf("the embed came back at step %d, it was left at 2 or later", st)
	}
	// Chromium says it refused to frame the full page: that is expected.
	b.noConsoleErrors(`violates the following Content Security Policy directive: "frame-ancestors 'self'"`)
}
