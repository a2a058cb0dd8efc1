//go:build e2e

// Package e2e tests the served page end to end: the real server binary, the
// real main.wasm, headless Chromium driven by chromedp, real key events.
//
//	make wasm && go test -tags e2e ./e2e/...
//
// The server binary comes from $AURORA_LAB_BIN (make test-e2e sets it) or
// is built from the module root; either way it embeds web/, so web/main.wasm
// must have been built first (make wasm). Chromium is found as `chromium` on
// PATH (make puts its wrapper .bin/chromium first) or /usr/bin/chromium.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// baseURL is the served page, set by TestMain.
var baseURL string

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	bin := os.Getenv("AURORA_LAB_BIN")
	if bin == "" {
		if _, err := os.Stat(filepath.Join("..", "web", "main.wasm")); err != nil {
			return 0, fmt.Errorf("web/main.wasm is missing: run `make wasm` first (the server embeds web/ when it is built)")
		}
		tmp, err := os.MkdirTemp("", "aurora-lab-e2e")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, "aurora-lab")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir = ".."
		build.Env = append(os.Environ(), "GOOS=", "GOARCH=")
		if out, err := build.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("building the server: %v\n%s", err, out)
		}
	}
	// Stat what the run depends on, so that go test's cache knows a
	// rebuilt server or wasm invalidates a cached result.
	if _, err := os.Stat(bin); err != nil {
		return 0, fmt.Errorf("server binary: %v", err)
	}
	_, _ = os.Stat(filepath.Join("..", "web", "main.wasm"))
	srv := exec.Command(bin, "-addr", "127.0.0.1:0")
	srv.Stderr = os.Stderr
	stdout, err := srv.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := srv.Start(); err != nil {
		return 0, fmt.Errorf("starting %s: %v", bin, err)
	}
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = srv.Process.Kill()
		}
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Aurora Lab: "); ok {
				addr <- strings.TrimSpace(u)
			}
		}
	}()
	select {
	case baseURL = <-addr:
	case <-time.After(15 * time.Second):
		return 0, fmt.Errorf("the server did not print its address within 15s")
	}
	if !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	return m.Run(), nil
}

// chromiumPath finds Chromium: `chromium` on PATH (the Makefile's wrapper
// with this network's flags comes first there), else /usr/bin/chromium.
func chromiumPath(t *testing.T) string {
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Fatal("no Chromium: install it (apt-get install chromium) or put `chromium` on PATH")
	return ""
}

// browser is one headless Chromium with its own profile, and what its page
// wrote to the console.
type browser struct {
	t       *testing.T
	ctx     context.Context
	cancel  func()
	profile string

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

// newBrowser starts Chromium on profile (a new one when empty).
func newBrowser(t *testing.T, profile string) *browser {
	t.Helper()
	if profile == "" {
		profile = t.TempDir()
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
		// Its own process group, so that a test can kill the browser
		// with every child at once.
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			if cmd.SysProcAttr == nil {
				cmd.SysProcAttr = &syscall.SysProcAttr{}
			}
			cmd.SysProcAttr.Setpgid = true
		}),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	cancel := func() { cancelCtx(); cancelAlloc() }
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // start the browser with no deadline
		t.Fatalf("starting Chromium: %v", err)
	}
	b := &browser{t: t, ctx: ctx, cancel: cancel, profile: profile}
	b.listen()
	return b
}

// listen collects what the page writes to the browser console.
func (b *browser) listen() {
	msgs := chromedp.Console(b.ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.messages = append(b.messages, m)
			b.mu.Unlock()
		}
	}()
}

// do runs actions with a deadline.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%v (page state: %s)", err, b.state())
	}
}

// eval evaluates a JavaScript expression.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		b.t.Fatalf("waiting for %s (%s): %v\npage state: %s", what, cond, err, b.state())
	}
}

func (b *browser) state() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.documentElement.dataset.state || "?") + ": " + (document.body ? document.body.innerText.slice(0, 400) : "")`))
	if err != nil {
		return err.Error()
	}
	return s
}

// open navigates to the page and waits until it has rendered.
func (b *browser) open() {
	b.t.Helper()
	b.do(chromedp.Navigate(baseURL))
	b.waitReady()
}

func (b *browser) waitReady() {
	b.t.Helper()
	b.waitFor("the page to be ready", `document.documentElement.dataset.state === "ready"`)
}

// noConsoleErrors fails the test if the page wrote an error or threw,
// except errors that contain one of expected.
func (b *browser) noConsoleErrors(expected ...string) {
	b.t.Helper()
	time.Sleep(200 * time.Millisecond) // let the last events arrive
	b.mu.Lock()
	defer b.mu.Unlock()
next:
	for _, m := range b.messages {
		for _, e := range expected {
			if strings.Contains(m.String(), e) {
				continue next
			}
		}
		if m.Type == chromedp.ConsoleError || m.IsException() {
			b.t.Errorf("browser console: %s (%s:%d)", m, m.URL, m.Line)
		}
	}
}

// typeLine types text into a console's input with key events and presses
// Enter, as a person does. The newlines of text are typed as Enter keys
// with their character, which the page lets through while a statement is
// open.
func (b *browser) typeLine(console, text string) {
	b.t.Helper()
	sel := chromedp.CSS(fmt.Sprintf(`section[data-console=%q] textarea`, console))
	lines := strings.Split(text, "\n")
	for _, l := range lines[:len(lines)-1] {
		b.do(chromedp.SendKeys(sel, l+"\n"))
	}
	b.do(chromedp.SendKeys(sel, lines[len(lines)-1]), pressEnter)
}

// pressEnter sends the Enter key to the focused element: a keydown the page
// may cancel and a keyup, with no separate character event (see chromedp's
// docs/API.md, "Send the Enter key").
var pressEnter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
		})
		if err != nil {
			return err
		}
	}
	return nil
})

// outputs returns the text of a console's outputs.
func (b *browser) outputs(console string) string {
	return eval[string](b, fmt.Sprintf(`(document.querySelector('section[data-console=%q] ol.outputs') || {}).textContent || ""`, console))
}

func nodeState(name string) string {
	return fmt.Sprintf(`(document.querySelector('svg g.node[data-node=%q]') || {dataset: {}}).dataset.state`, name)
}

// TestPageShowsCluster: the page at the server's address shows the region's
// three AZs and the six storage nodes by name, inside their AZs, and logs
// no errors.
func TestPageShowsCluster(t *testing.T) {
	b := newBrowser(t, "")
	b.open()
	azs := eval[[]string](b, `[...document.querySelectorAll("svg g.az .az-label")].map(e => e.textContent)`)
	if len(azs) != 3 || azs[0] != "AZ a" || azs[1] != "AZ b" || azs[2] != "AZ c" {
		t.Errorf("AZ labels %q, want AZ a, AZ b, AZ c", azs)
	}
	nodes := eval[[]string](b, `[...document.querySelectorAll("svg g.az g.node")].map(g => g.closest("g.az").dataset.az + "/" + g.querySelector(".name").textContent)`)
	want := []string{"a/a1", "a/a2", "b/b1", "b/b2", "c/c1", "c/c2"}
	if strings.Join(nodes, " ") != strings.Join(want, " ") {
		t.Errorf("nodes %q, want %q", nodes, want)
	}
	if got := eval[int](b, `window.auroraLab.snapshot().nodes.length`); got != 6 {
		t.Errorf("auroraLab.snapshot() has %d nodes", got)
	}
	if got := eval[int](b, `performance.getEntriesByName("aurora:first-render", "mark").length`); got != 1 {
		t.Errorf("%d first-render marks", got)
	}
	for _, c := range []string{"w1", "r1"} {
		if !eval[bool](b, fmt.Sprintf(`!!document.querySelector('section[data-console=%q] textarea')`, c)) {
			t.Errorf("no console for %s", c)
		}
	}
	b.noConsoleErrors()
}

// step is one input typed on the page and what its console must show.
type step struct {
	console string
	input   string
	output  string // text the console's outputs must come to contain
	check   string // a JavaScript condition that must become true, or ""
}

// session is what TestConsoleAndReload types, in order; add steps as the
// engine grows. An input with newlines is typed over several lines: Enter
// inside an open statement starts a new line, Enter after a complete one
// runs it.
var session = []step{
	{"w1", "CREATE TABLE accounts (id INT PRIMARY KEY, owner TEXT);", "CREATE TABLE", ""},
	{"w1", `\crash b1`, "crashed: b1", nodeState("b1") + ` === "down"`},
	{"w1", "INSERT INTO accounts\nVALUES (1, 'ada');", "1 row affected", ""},
	{"w1", "SELECT owner FROM accounts;", "ada", ""},
	{"w1", `\status`, "b1 down", ""},
	{"r1", `\status`, "storage:", ""},
}

// TestConsoleAndReload types into the consoles with real key events, sees
// the outputs and the model change, reloads, and finds the state restored
// from IndexedDB.
func TestConsoleAndReload(t *testing.T) {
	b := newBrowser(t, "")
	b.open()
	for _, s := range session {
		b.typeLine(s.console, s.input)
		b.waitFor(fmt.Sprintf("%s to show %q after %s", s.console, s.output, s.input),
			fmt.Sprintf(`((document.querySelector('section[data-console=%q] ol.outputs') || {}).textContent || "").includes(%q)`, s.console, s.output))
		if s.check != "" {
			b.waitFor(s.check, s.check)
		}
		if v := eval[string](b, fmt.Sprintf(`document.querySelector('section[data-console=%q] textarea').value`, s.console)); v != "" {
			t.Errorf("the input keeps %q after Enter", v)
		}
	}
	if st := eval[string](b, nodeState("b2")); st != "up" {
		t.Errorf("b2 is %q", st)
	}
	// Every input is flushed as it is submitted; wait for the last one.
	b.waitFor("the inputs to be saved", fmt.Sprintf(`window.auroraLab.status().storage.entries === %d`, len(session)))
	if !eval[bool](b, `window.auroraLab.status().storage.durable`) {
		t.Fatal("the page is not saving to IndexedDB")
	}
	before := eval[float64](b, `window.auroraLab.status().now`)

	b.do(chromedp.Reload())
	b.waitReady()
	if st := eval[string](b, nodeState("b1")); st != "down" {
		t.Errorf("after reload b1 is %q, want down", st)
	}
	for _, s := range session {
		if out := b.outputs(s.console); !strings.Contains(out, s.output) || !strings.Contains(out, s.input) {
			t.Errorf("after reload %s's outputs lack %q: %q", s.console, s.output, out)
		}
	}
	if n := eval[int](b, `window.auroraLab.log().length`); n != len(session) {
		t.Errorf("after reload the command log has %d entries, want %d", n, len(session))
	}
	if after := eval[float64](b, `window.auroraLab.status().now`); after < before {
		t.Errorf("after reload simulated time is %v, before it was %v", after, before)
	}
	if p := eval[string](b, `window.auroraLab.status().problem`); p != "" {
		t.Errorf("problem after reload: %s", p)
	}
	// History survives too: ArrowUp recalls the last input of w1.
	b.do(chromedp.Focus(chromedp.CSS(`section[data-console="w1"] textarea`)), chromedp.KeyEvent(kb.ArrowUp))
	if v := eval[string](b, `document.querySelector('section[data-console="w1"] textarea').value`); v != `\status` {
		t.Errorf("ArrowUp after reload recalls %q, want \\status", v)
	}
	b.noConsoleErrors()
}

// TestParseErrorShownAtInput: a malformed meta-command is not run; the
// error shows at the input with its line and column.
func TestParseErrorShownAtInput(t *testing.T) {
	b := newBrowser(t, "")
	b.open()
	b.typeLine("w1", `\crash`)
	b.waitFor("the parse error", `(document.querySelector('section[data-console="w1"] .input-error').textContent || "").includes("line 1, column")`)
	if v := eval[string](b, `document.querySelector('section[data-console="w1"] textarea').value`); v != `\crash` {
		t.Errorf("the input lost its text: %q", v)
	}
	if n := eval[int](b, `window.auroraLab.log().length`); n != 0 {
		t.Errorf("a parse error was logged (%d entries)", n)
	}
	b.noConsoleErrors()
}

// TestPhoneWidth: at 390 px the page does not scroll sideways and still
// shows every node.
func TestPhoneWidth(t *testing.T) {
	b := newBrowser(t, "")
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.open()
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("page is %d px wide at a 390 px viewport", w)
	}
	if n := eval[int](b, `document.querySelectorAll("svg g.node").length`); n != 6 {
		t.Errorf("%d nodes at phone width", n)
	}
	b.noConsoleErrors()
}

// TestReset: Reset asks first; confirmed, it starts a new cluster and
// clears the saved state, which a reload confirms.
func TestReset(t *testing.T) {
	b := newBrowser(t, "")
	b.open()
	b.typeLine("w1", `\crash a1`)
	b.waitFor("a1 down", nodeState("a1")+` === "down"`)
	b.do(chromedp.Click(chromedp.CSS("button.reset")))
	b.waitFor("the reset dialog", `document.querySelector("dialog.reset-dialog").open`)
	b.do(chromedp.Click(chromedp.CSS(`dialog.reset-dialog button[value="cancel"]`)))
	b.waitFor("the dialog to close", `!document.querySelector("dialog.reset-dialog").open`)
	if st := eval[string](b, nodeState("a1")); st != "down" {
		t.Fatalf("cancel reset the lab: a1 is %q", st)
	}
	b.do(chromedp.Click(chromedp.CSS("button.reset")))
	b.waitFor("the reset dialog", `document.querySelector("dialog.reset-dialog").open`)
	b.do(chromedp.Click(chromedp.CSS(`dialog.reset-dialog button[value="reset"]`)))
	b.waitFor("a1 up again", nodeState("a1")+` === "up"`)
	b.waitFor("the cleared state saved", `window.auroraLab.status().storage.entries === 0 && window.auroraLab.status().storage.flushes > 0`)
	if out := b.outputs("w1"); out != "" {
		t.Errorf("w1 still shows %q after reset", out)
	}
	b.do(chromedp.Reload())
	b.waitReady()
	if n := eval[int](b, `window.auroraLab.log().length`); n != 0 {
		t.Errorf("after reset and reload the log has %d entries", n)
	}
	if st := eval[string](b, nodeState("a1")); st != "up" {
		t.Errorf("after reset and reload a1 is %q", st)
	}
	b.noConsoleErrors()
}
