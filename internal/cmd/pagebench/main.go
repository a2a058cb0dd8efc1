//go:build !js

// Command pagebench measures how fast the Aurora Lab page comes up in
// headless Chromium, and how many bytes of WebAssembly it costs.
//
// For each of -n runs it starts a browser with a fresh profile, opens the
// page, and waits for the page's performance.mark("aurora:first-render"); the
// mark's time is the time from navigation to first render. It then reloads
// the page in the same profile (the HTTP cache is warm: main.wasm is
// revalidated, 304) and measures again. It also fetches /main.wasm itself to
// report the bytes as served with each encoding.
//
//	go run ./internal/cmd/pagebench -server .bin/aurora-lab   # starts it on a free port
//	go run ./internal/cmd/pagebench -url http://127.0.0.1:8080/
//
// `make bench-page` builds the wasm and the server and runs the first form.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

const markName = "aurora:first-render"

func main() {
	var (
		pageURL  = flag.String("url", "", "`URL` of a running page (instead of -server)")
		server   = flag.String("server", "", "`binary` of the Aurora Lab server to start on a free port")
		runs     = flag.Int("n", 7, "number of cold loads (each in a fresh browser profile)")
		timeout  = flag.Duration("timeout", 20*time.Second, "how long one load may take to reach the mark")
		execPath = flag.String("chrome", "", "Chromium `binary` (default: looked up on PATH)")
		verbose  = flag.Bool("v", false, "print the browser console of each load")
		shots    = flag.String("shots", "", "instead of measuring, save screenshots of the page at desktop and phone width into `dir`")
		load     = flag.Bool("load", true, "measure frames and IndexedDB flushes under a workload")
		rate     = flag.Int("rate", 1000, "the workload's statements per simulated second")
		consoles = flag.Int("consoles", 4, "the consoles the workload spreads its statements over")
		speeds   = flag.String("speeds", "9,12,15", "the page's speeds (indexes of auroraLab.speeds) to run the workload at")
		dur      = flag.Duration("dur", 8*time.Second, "wall time measured at each speed")
		restore  = flag.String("restore", "10000,100000", "sizes (inputs) of the sessions to time the restore of; empty for none")
	)
	flag.Parse()
	if *shots != "" {
		if err := withServer(*pageURL, *server, func(u string) error { return shoot(u, *shots, *execPath) }); err != nil {
			fmt.Fprintln(os.Stderr, "pagebench:", err)
			os.Exit(1)
		}
		return
	}
	if (*pageURL == "") == (*server == "") || *runs < 1 {
		fmt.Fprintln(os.Stderr, "pagebench: give exactly one of -url and -server, and -n of 1 or more")
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*pageURL, *server, *runs, *timeout, *execPath, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "pagebench:", err)
		os.Exit(1)
	}
	err := withServer(*pageURL, *server, func(u string) error {
		if *load {
			var sp []int
			for _, f := range strings.Split(*speeds, ",") {
				i, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil {
					return fmt.Errorf("-speeds: %w", err)
				}
				sp = append(sp, i)
			}
			rs, err := measureWorkload(u, *execPath, *rate, *consoles, sp, *dur)
			if err != nil {
				return fmt.Errorf("workload: %w", err)
			}
			reportWorkload(os.Stdout, *rate, *consoles, rs)
		}
		var rs []restoreResult
		for _, f := range strings.Split(*restore, ",") {
			if strings.TrimSpace(f) == "" {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return fmt.Errorf("-restore: %w", err)
			}
			r, err := measureRestore(u, *execPath, n)
			if err != nil {
				return fmt.Errorf("restore of %d inputs: %w", n, err)
			}
			rs = append(rs, r)
		}
		if len(rs) > 0 {
			reportRestore(os.Stdout, rs)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pagebench:", err)
		os.Exit(1)
	}
}

// withServer runs f with the page's URL: pageURL, or that of server
// started on a free port.
func withServer(pageURL, server string, f func(string) error) error {
	if server != "" {
		u, stop, err := startServer(server)
		if err != nil {
			return err
		}
		defer stop()
		pageURL = u
	}
	return f(pageURL)
}

func run(pageURL, server string, runs int, timeout time.Duration, execPath string, verbose bool) error {
	if server != "" {
		u, stop, err := startServer(server)
		if err != nil {
			return err
		}
		defer stop()
		pageURL = u
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		return err
	}
	wasmURL := base.ResolveReference(&url.URL{Path: "main.wasm"}).String()

	served, err := measureServed(wasmURL)
	if err != nil {
		return err
	}

	var loads []load
	var version string
	for i := range runs {
		l, v, err := measureLoad(pageURL, timeout, execPath, verbose)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		version = v
		loads = append(loads, l)
	}
	report(os.Stdout, pageURL, version, served, loads)
	return nil
}

// startServer starts the server binary on a free port and returns the URL
// it prints ("Aurora Lab: http://127.0.0.1:PORT/").
func startServer(bin string) (string, func(), error) {
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Aurora Lab: "); ok {
				found <- u
				break
			}
		}
		close(found)
		io.Copy(io.Discard, out)
	}()
	select {
	case u, ok := <-found:
		if ok {
			return u, stop, nil
		}
	case <-time.After(15 * time.Second):
	}
	stop()
	return "", nil, fmt.Errorf("%s did not print its address (\"Aurora Lab: http://...\")", bin)
}

// served is main.wasm as the server sends it with each encoding.
type served struct {
	sizes      map[string]int // by Content-Encoding ("" for none)
	revalidate string         // what a conditional GET gets
}

func measureServed(wasmURL string) (served, error) {
	s := served{sizes: make(map[string]int)}
	for _, ae := range []string{"", "gzip", "br, gzip"} {
		req, _ := http.NewRequest("GET", wasmURL, nil)
		req.Header.Set("Accept-Encoding", ae) // set by hand: the transport does not decompress
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return s, err
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return s, err
		}
		if resp.StatusCode != 200 {
			return s, fmt.Errorf("GET %s: %s (is the wasm built? make wasm)", wasmURL, resp.Status)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/wasm" {
			return s, fmt.Errorf("GET %s: Content-Type %q, want application/wasm", wasmURL, ct)
		}
		s.sizes[resp.Header.Get("Content-Encoding")] = int(n)

		etag := resp.Header.Get("ETag")
		if ae == "gzip" {
			s.revalidate = "no ETag"
			if etag != "" {
				req.Header.Set("If-None-Match", etag)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return s, err
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				s.revalidate = fmt.Sprintf("%s, %d body bytes", resp.Status, n)
			}
		}
	}
	return s, nil
}

// load is what the page reports about one cold load and its reload.
type load struct {
	cold, reload timing
	problems     []string // console errors and uncaught exceptions, load and reload
}

// timing is read from the page's Performance API; times are milliseconds
// from the start of the navigation.
type timing struct {
	FirstRender float64 `json:"firstRender"`
	DOMContent  float64 `json:"domContent"`
	WasmEnd     float64 `json:"wasmEnd"`     // main.wasm fully received; -1 if not loaded
	WasmBytes   float64 `json:"wasmBytes"`   // encodedBodySize: the body as sent
	WasmTotal   float64 `json:"wasmTotal"`   // transferSize: headers and body; small for a 304
	WasmDecoded float64 `json:"wasmDecoded"` // decodedBodySize
}

const timingJS = `(() => {
	const mark = performance.getEntriesByName(%q, "mark")[0];
	const nav = performance.getEntriesByType("navigation")[0];
	const wasm = performance.getEntriesByType("resource").find(e => new URL(e.name).pathname.endsWith("/main.wasm"));
	return {
		firstRender: mark ? mark.startTime : -1,
		domContent: nav ? nav.domContentLoadedEventEnd : -1,
		wasmEnd: wasm ? wasm.responseEnd : -1,
		wasmBytes: wasm ? wasm.encodedBodySize : -1,
		wasmTotal: wasm ? wasm.transferSize : -1,
		wasmDecoded: wasm ? wasm.decodedBodySize : -1,
	};
})()`

// The flags of toolchain.md: no network but the page's, nothing in the
// background. chromedp adds --no-sandbox as root.
var browserFlags = []chromedp.ExecAllocatorOption{
	chromedp.Flag("headless", true),
	chromedp.Flag("disable-gpu", true),
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("no-first-run", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
}

func measureLoad(pageURL string, timeout time.Duration, execPath string, verbose bool) (load, string, error) {
	var l load
	// A new browser, with a new temporary profile.
	ctx, cancel := newBrowser(execPath, 3*timeout)
	defer cancel()

	// Start the browser before the clock matters, and read its version.
	v, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (browser.GetVersionResult, error) {
		return cdp.Call(ctx, chromedp.FromContext(ctx).Browser, browser.GetVersion, cdp.Empty{})
	})
	if err != nil {
		return l, "", fmt.Errorf("start Chromium: %w", err)
	}

	var mu sync.Mutex
	consoleCtx, stopConsole := context.WithCancel(ctx)
	defer stopConsole()
	messages := chromedp.Console(consoleCtx)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			line := fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
			if verbose {
				fmt.Fprintln(os.Stderr, line)
			}
			if m.IsException() || m.Type == "error" {
				mu.Lock()
				l.problems = append(l.problems, line)
				mu.Unlock()
			}
		}
	}()

	wait := func(what string) (timing, error) {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](
			fmt.Sprintf(`performance.getEntriesByName(%q, "mark").length > 0`, markName),
			chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
		if err != nil {
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.dataset.state || "(unset)"`))
			return timing{}, fmt.Errorf("%s: no performance.mark(%q) within %s (data-state %s): %w",
				what, markName, timeout, state, err)
		}
		return chromedp.Run(ctx, chromedp.Evaluate[timing](fmt.Sprintf(timingJS, markName)))
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		return l, "", err
	}
	if l.cold, err = wait("load"); err != nil {
		return l, "", err
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		return l, "", err
	}
	if l.reload, err = wait("reload"); err != nil {
		return l, "", err
	}
	stopConsole()
	<-consoleDone
	return l, v.Product, nil
}

func report(w io.Writer, pageURL, version string, s served, loads []load) {
	fmt.Fprintf(w, "Aurora Lab page load: %s, %s, %d runs, each in a fresh profile\n\n", pageURL, version, len(loads))
	fmt.Fprintf(w, "main.wasm as served: %s raw", kb(s.sizes[""]))
	for _, enc := range []string{"gzip", "br"} {
		if n, ok := s.sizes[enc]; ok {
			fmt.Fprintf(w, ", %s %s (%.0f%%)", enc, kb(n), 100*float64(n)/float64(s.sizes[""]))
		}
	}
	fmt.Fprintf(w, "; revalidation with the ETag: %s\n\n", s.revalidate)

	fmt.Fprintf(w, "%4s  %12s  %10s  %18s  %12s  %12s\n", "run", "first render", "wasm in", "wasm bytes", "reload", "reload wasm")
	var cold, warm []float64
	for i, l := range loads {
		cold = append(cold, l.cold.FirstRender)
		warm = append(warm, l.reload.FirstRender)
		fmt.Fprintf(w, "%4d  %9.0f ms  %7s ms  %18s  %9.0f ms  %12s\n", i+1,
			l.cold.FirstRender, ms(l.cold.WasmEnd), wasmBytes(l.cold, s), l.reload.FirstRender, reloadBytes(l.reload))
	}
	fmt.Fprintf(w, "\nmedian navigation to first render: %.0f ms cold (fresh profile), %.0f ms on reload\n", median(cold), median(warm))
	// Errors in the browser console: each once, with the number of loads
	// that logged it.
	runsOf := make(map[string]int)
	var order []string
	for _, l := range loads {
		for _, p := range slices.Compact(slices.Sorted(slices.Values(l.problems))) {
			if runsOf[p] == 0 {
				order = append(order, p)
			}
			runsOf[p]++
		}
	}
	if len(order) > 0 {
		fmt.Fprintln(w, "\nWARNING: the browser console had errors:")
	}
	for _, p := range order {
		fmt.Fprintf(w, "  in %d of %d runs: %s\n", runsOf[p], len(loads), p)
	}
}

func kb(n int) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }

func ms(v float64) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

// wasmBytes names the encoding the browser got by matching the body size
// with the sizes the server sends.
func wasmBytes(t timing, s served) string {
	if t.WasmBytes < 0 {
		return "not loaded"
	}
	enc := "?"
	for e, n := range s.sizes {
		if float64(n) == t.WasmBytes {
			enc = e
			if e == "" {
				enc = "raw"
			}
		}
	}
	return fmt.Sprintf("%s %s", kb(int(t.WasmBytes)), enc)
}

func reloadBytes(t timing) string {
	switch {
	case t.WasmBytes < 0:
		return "not loaded"
	case t.WasmTotal == 0:
		return "from cache"
	case t.WasmTotal < 2000:
		return fmt.Sprintf("%.0f B (304)", t.WasmTotal)
	}
	return kb(int(t.WasmTotal))
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// newBrowser starts headless Chromium (execPath, or the one on PATH) with
// this project's flags, any extra options, and a new temporary profile,
// and returns a context for it that ends after timeout; cancel stops the
// browser.
func newBrowser(execPath string, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) (context.Context, context.CancelFunc) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], browserFlags...)
	opts = append(opts, extra...)
	if execPath != "" {
		opts = append(opts, chromedp.ExecPath(execPath))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	return ctx, func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	}
}
