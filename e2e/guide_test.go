//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"aurora-lab/engine"
)

// scenarioConsole is the console the page runs a guided scenario on.
const scenarioConsole = "scenario"

// scenarioNames reads web/scenarios/index.json.
func scenarioNames(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "web", "scenarios", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list []struct{ Name string }
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list {
		names = append(names, s.Name)
	}
	return names
}

// headless runs natively the input the page submitted to start a
// scenario (its file under a comment naming it), and returns its console's
// outputs: the transcript a docs CI sees, less comments.
func headless(t *testing.T, name, input string) []engine.Output {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "web", "scenarios", name+".aurora"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(input, "\n"+string(src)) {
		t.Fatalf("the page ran %q, not the file of scenario %s", input, name)
	}
	lab, err := engine.New(engine.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.Submit(scenarioConsole, input); err != nil {
		t.Fatal(err)
	}
	if err := lab.RunUntilIdle(); err != nil {
		t.Fatal(err)
	}
	outs, _ := lab.Outputs(0)
	return outs
}

// pageOutputs returns the outputs the page has shown on console.
func pageOutputs(b *browser, console string) []engine.Output {
	raw := eval[string](b, fmt.Sprintf(`JSON.stringify(auroraLab.outputs(0).outputs.filter(o => o.console === %q))`, console))
	var outs []engine.Output
	if err := json.Unmarshal([]byte(raw), &outs); err != nil {
		b.t.Fatalf("outputs: %v", err)
	}
	return outs
}

func transcript(outs []engine.Output) string {
	var b strings.Builder
	for _, o := range outs {
		fmt.Fprintf(&b, "[%v] %s", o.At, engine.FormatOutput(o))
	}
	return b.String()
}

// startScenario starts the guided scenario name and skips ahead past its
// first steps, waiting each time for the skip to stop at the next step.
func (b *browser) startScenario(name string, skips int) {
	b.t.Helper()
	eval[bool](b, fmt.Sprintf(`auroraLab.start(%q)`, name))
	b.waitFor(name+": the first step", `auroraLab.guide().step === 1`)
	for range skips {
		step := eval[int](b, `auroraLab.guide().step`)
		b.do(chromedp.Evaluate[chromedp.Void](`auroraLab.skip()`))
		b.waitFor(name+": the next step", fmt.Sprintf(`!auroraLab.guide().ffwd && auroraLab.guide().step > %d`, step))
	}
}

// TestEveryScenarioRunsToItsEnd starts each guided scenario of the page,
// skips from step to step to its "now you try", and checks that every
// step was narrated, no \expect failed, and the page's run of the
// scenario is the headless one, output for output, at the same simulated
// times.
func TestEveryScenarioRunsToItsEnd(t *testing.T) {
	b := newBrowser(t, "")
	b.open()
	b.waitFor("the list of scenarios", `auroraLab.guide().scenarios && auroraLab.guide().scenarios.length > 0`)
	names := scenarioNames(t)
	if got := eval[[]string](b, `auroraLab.guide().scenarios`); strings.Join(got, " ") != strings.Join(names, " ") {
		t.Fatalf("the page lists %q, index.json %q", got, names)
	}
	for _, name := range names {
		eval[bool](b, fmt.Sprintf(`auroraLab.start(%q)`, name))
		b.waitFor(name+" to show its first step", `auroraLab.guide().active && auroraLab.guide().step === 1`)
		steps := eval[int](b, `auroraLab.guide().steps`)
		if eval[bool](b, `auroraLab.status().playing`) {
			t.Errorf("%s: time runs before the person has read the first step", name)
		}
		for step := 1; step <= steps; step++ {
			b.waitFor(fmt.Sprintf("%s: step %d shown", name, step), fmt.Sprintf(`auroraLab.guide().step === %d || auroraLab.guide().tried`, step))
			if got := eval[string](b, `document.querySelector(".guide-steps li.current, .guide-steps li:last-child").textContent`); got == "" {
				t.Errorf("%s: step %d has no text on the page", name, step)
			}
			b.do(chromedp.Evaluate[chromedp.Void](`auroraLab.skip()`))
			b.waitFor(fmt.Sprintf("%s: past step %d", name, step), fmt.Sprintf(`!auroraLab.guide().ffwd && (auroraLab.guide().step > %d || auroraLab.guide().tried)`, step))
		}
		b.waitFor(name+" to end with its prompt", `auroraLab.guide().tried && !document.querySelector(".guide-try").hidden`)
		if f := eval[int](b, `auroraLab.status().failures`); f != 0 {
			t.Errorf("%s: %d expectations failed in the browser", name, f)
		}
		if !strings.HasPrefix(eval[string](b, `document.querySelector(".guide-try").textContent`), "Now you try: ") {
			t.Errorf("%s: no now-you-try prompt", name)
		}
		log := eval[[]engine.Entry](b, `auroraLab.log()`)
		if len(log) != 1 || log[0].Console != scenarioConsole {
			t.Fatalf("%s: the command log is %v, want the scenario's one input", name, log)
		}
		want := headless(t, name, log[0].Text)
		b.waitFor(name+": every output shown", fmt.Sprintf(`auroraLab.outputs(0).outputs.filter(o => o.console === "scenario").length >= %d`, len(want)))
		got := pageOutputs(b, scenarioConsole)
		if g, w := transcript(got), transcript(want); g != w {
			t.Errorf("%s: the page's run differs from the headless one\n--- page\n%s\n--- headless\n%s", name, g, w)
		}
	}
	b.noConsoleErrors()
}

// TestShareLinkReproducesRun: a run (a scenario part done, then a fault
// typed in a console) shared by link opens in a fresh browser profile at
// the same moment with the same state, in memory, leaving that browser's
// saved lab alone until Keep.
func TestShareLinkReproducesRun(t *testing.T) {
	a := newBrowser(t, "")
	a.open()
	a.startScenario("one-az-down", 2)
	a.typeLine("w1", `\crash a1`)
	a.waitFor("a1 down", nodeState("a1")+` === "down"`)
	a.do(chromedp.Evaluate[chromedp.Void](`auroraLab.step(); auroraLab.step()`)) // pause between two events
	link := eval[string](a, `auroraLab.share()`)
	want := eval[map[string]any](a, `(() => { const s = auroraLab.status(); return {trace: s.trace, now: s.now, events: s.events, step: auroraLab.guide().step}; })()`)
	if !strings.Contains(link, "#scenario=one-az-down&step=") || len(link) > 2000 {
		t.Fatalf("share link %q (%d bytes)", link, len(link))
	}
	t.Logf("share link: %d bytes", len(link))

	b := newBrowser(t, "")
	b.do(chromedp.Navigate(link))
	b.waitReady()
	got := eval[map[string]any](b, `(() => { const s = auroraLab.status(); return {trace: s.trace, now: s.now, events: s.events, step: auroraLab.guide().step}; })()`)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the link opened at %v, the run was shared at %v", got, want)
	}
	if eval[bool](b, `auroraLab.status().playing`) {
		t.Error("the shared run does not open paused at the moment shared")
	}
	if st := eval[string](b, nodeState("a1")); st != "down" {
		t.Errorf("a1 is %q in the shared run", st)
	}
	if out := b.outputs("w1"); !strings.Contains(out, "crashed: a1") {
		t.Errorf("w1's console lacks the typed fault: %q", out)
	}
	if !eval[bool](b, `document.querySelector(".banner").innerText.includes("run from a link")`) {
		t.Error("the page does not say it shows a run from a link")
	}
	if eval[bool](b, `auroraLab.status().storage.durable`) {
		t.Fatal("the shared run is written over the browser's saved lab before Keep")
	}
	b.do(chromedp.Click(chromedp.CSS("button.keep")))
	b.waitFor("the run kept", `auroraLab.status().storage.durable && auroraLab.status().storage.entries === auroraLab.log().length`)
	if h := eval[string](b, `location.hash`); h != "" {
		t.Errorf("the address still carries the link after Keep: %q", h)
	}
	b.do(chromedp.Reload())
	b.waitReady()
	if st := eval[string](b, nodeState("a1")); st != "down" {
		t.Errorf("after Keep and a reload a1 is %q", st)
	}
	a.noConsoleErrors()
	b.noConsoleErrors()
}

// TestKeyboardPathThroughScenario goes through a guided scenario with the
// keyboard alone: g to the scenarios, Enter to start one, + to speed up,
// n from step to step, ? for the shortcuts; the focus is visible.
func TestKeyboardPathThroughScenario(t *testing.T) {
	b := newBrowser(t, "")
	b.open()
	b.waitFor("the list of scenarios", `document.querySelectorAll(".scenario-list button").length > 1`)
	b.do(chromedp.KeyEvent("g"))
	b.waitFor("the first scenario focused", `document.activeElement.dataset.scenario === "quorum-write"`)
	if style := eval[string](b, `getComputedStyle(document.activeElement).outlineStyle`); style == "none" || style == "" {
		t.Errorf("the focused scenario has no visible focus (outline %q)", style)
	}
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitFor("the scenario started", `auroraLab.guide().active && auroraLab.guide().step === 1`)
	b.waitFor("the focus on its title", `document.activeElement.id === "guide-title"`)
	for range 6 {
		b.do(chromedp.KeyEvent("+"))
	}
	if sp := eval[string](b, `auroraLab.speed().label`); sp != "100 ms" {
		t.Errorf("after + six times the speed is %q", sp)
	}
	// Tab reaches the Next button from the title.
	b.do(chromedp.KeyEvent(kb.Tab))
	b.waitFor("Next focused by Tab", `document.activeElement.classList.contains("guide-next")`)
	steps := eval[int](b, `auroraLab.guide().steps`)
	for step := 1; step <= steps; step++ {
		b.do(chromedp.KeyEvent("n"))
		b.waitFor(fmt.Sprintf("past step %d", step), fmt.Sprintf(`auroraLab.guide().step > %d || auroraLab.guide().tried`, step))
	}
	b.waitFor("the now-you-try prompt", `!document.querySelector(".guide-try").hidden`)
	if f := eval[int](b, `auroraLab.status().failures`); f != 0 {
		t.Errorf("%d expectations failed", f)
	}
	// The shortcuts, from the keyboard, and back.
	b.do(chromedp.KeyEvent("?"))
	b.waitFor("the shortcuts dialog", `document.querySelector("dialog.keys-dialog").open`)
	b.do(chromedp.KeyEvent(kb.Escape))
	b.waitFor("the dialog closed", `!document.querySelector("dialog.keys-dialog").open`)
	// c goes to a console, where keys are text again.
	b.do(chromedp.KeyEvent("c"))
	b.waitFor("a console focused", `document.activeElement.tagName === "TEXTAREA"`)
	b.do(chromedp.KeyEvent("n"))
	if v := eval[string](b, `document.activeElement.value`); v != "n" {
		t.Errorf("a key typed in a console was taken as a shortcut: the input holds %q", v)
	}
	b.noConsoleErrors()
}
