package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// fakeWasm is compressible, like a real main.wasm, and big enough to be
// compressed.
var fakeWasm = append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Repeat([]byte("aurora storage engine "), 4000)...)

func testFS(extra fstest.MapFS) fstest.MapFS {
	files := fstest.MapFS{
		"index.html":         {Data: []byte("<!doctype html><title>Aurora Lab</title>")},
		"embed.html":         {Data: []byte("<!doctype html><title>Aurora Lab embed</title>")},
		"app.js":             {Data: []byte("console.log('hi');\n")},
		"style.css":          {Data: []byte("body { margin: 0 }\n")},
		"logo.svg":           {Data: []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")},
		"data.json":          {Data: []byte(`{"a":1}`)},
		"notes.txt":          {Data: []byte("notes")},
		"failover.aurora":    {Data: []byte("\\cluster seed=1\n\\crash w1\n")},
		"blob.xyz":           {Data: []byte("<script>alert(1)</script>")},
		"main.wasm":          {Data: fakeWasm},
		"scenarios/a.aurora": {Data: []byte("\\status\n")},
	}
	for k, v := range extra {
		files[k] = v
	}
	return files
}

func get(t *testing.T, h http.Handler, method, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip: %v", err)
	}
	return out
}

func TestContentTypes(t *testing.T) {
	h := newSite(testFS(nil))
	for path, want := range map[string]string{
		"/":                   "text/html; charset=utf-8",
		"/index.html":         "text/html; charset=utf-8",
		"/embed.html":         "text/html; charset=utf-8",
		"/app.js":             "text/javascript; charset=utf-8",
		"/style.css":          "text/css; charset=utf-8",
		"/logo.svg":           "image/svg+xml",
		"/data.json":          "application/json",
		"/notes.txt":          "text/plain; charset=utf-8",
		"/failover.aurora":    "text/plain; charset=utf-8",
		"/scenarios/a.aurora": "text/plain; charset=utf-8",
		"/blob.xyz":           "application/octet-stream",
		"/main.wasm":          "application/wasm",
	} {
		resp := get(t, h, "GET", path)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: status %d, want 200", path, resp.StatusCode)
			continue
		}
		if got := resp.Header.Get("Content-Type"); got != want {
			t.Errorf("GET %s: Content-Type %q, want %q", path, got, want)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q, want nosniff", path, got)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", path, got)
		}
		if resp.Header.Get("ETag") == "" {
			t.Errorf("GET %s: no ETag", path)
		}
	}
	if got := string(body(t, get(t, h, "GET", "/"))); !strings.Contains(got, "<title>Aurora Lab</title>") {
		t.Errorf("GET /: body %q is not index.html", got)
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newSite(testFS(nil))
	for _, path := range []string{"/", "/index.html", "/embed.html", "/main.wasm", "/app.js", "/missing", "/../go.mod"} {
		resp := get(t, h, "GET", path)
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "base-uri 'none'", "form-action 'none'", "frame-ancestors "} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "'unsafe-eval'") {
			t.Errorf("GET %s: CSP %q allows inline code or eval", path, csp)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", path, got)
		}
		if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q", path, got)
		}
	}
}

func TestFraming(t *testing.T) {
	h := newSite(testFS(nil))
	for _, path := range []string{"/", "/index.html"} {
		resp := get(t, h, "GET", path)
		if got := resp.Header.Get("X-Frame-Options"); got != "SAMEORIGIN" {
			t.Errorf("GET %s: X-Frame-Options %q, want SAMEORIGIN", path, got)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; frame-ancestors 'self'") {
			t.Errorf("GET %s: CSP %q, want frame-ancestors 'self'", path, csp)
		}
	}
	resp := get(t, h, "GET", "/embed.html")
	if got, ok := resp.Header["X-Frame-Options"]; ok {
		t.Errorf("GET /embed.html: X-Frame-Options %q, want none", got)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; frame-ancestors *") || strings.Contains(csp, "'self'; frame-ancestors 'self'") {
		t.Errorf("GET /embed.html: CSP %q, want frame-ancestors *", csp)
	}
}

func TestWasmGzipETag304(t *testing.T) {
	// Three builds: precompressed by the Makefile, none (compressed in
	// memory), and a stale .gz from an earlier wasm (must be ignored).
	stale := gzipBytes([]byte("an older main.wasm, long enough to matter? no, but it differs"))
	precompressed := gzipBytes(fakeWasm)
	for name, extra := range map[string]fstest.MapFS{
		"precompressed": {"main.wasm.gz": {Data: precompressed}},
		"in memory":     nil,
		"stale gz":      {"main.wasm.gz": {Data: stale}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newSite(testFS(extra))

			resp := get(t, h, "GET", "/main.wasm", "Accept-Encoding", "gzip, deflate")
			gz := body(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/wasm" {
				t.Errorf("Content-Type %q", got)
			}
			if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
				t.Fatalf("Content-Encoding %q, want gzip", got)
			}
			if got := resp.Header.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("Vary %q, want Accept-Encoding", got)
			}
			if !bytes.Equal(gunzip(t, gz), fakeWasm) {
				t.Fatal("gzip body does not decompress to main.wasm")
			}
			if len(gz) >= len(fakeWasm)/4 {
				t.Errorf("gzip body %d bytes for %d: not compressed", len(gz), len(fakeWasm))
			}
			if name == "precompressed" && !bytes.Equal(gz, precompressed) {
				t.Error("main.wasm.gz from the build was not used")
			}
			etag := resp.Header.Get("ETag")
			if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
				t.Fatalf("ETag %q is not a strong quoted validator", etag)
			}

			// A reload revalidates and gets 304 with no body.
			resp = get(t, h, "GET", "/main.wasm", "Accept-Encoding", "gzip", "If-None-Match", etag)
			if resp.StatusCode != http.StatusNotModified {
				t.Fatalf("If-None-Match %s: status %d, want 304", etag, resp.StatusCode)
			}
			if n := len(body(t, resp)); n != 0 {
				t.Errorf("304 with a %d-byte body", n)
			}
			if got := resp.Header.Get("ETag"); got != etag {
				t.Errorf("304 ETag %q, want %q", got, etag)
			}
			resp = get(t, h, "GET", "/main.wasm", "Accept-Encoding", "gzip", "If-None-Match", `"other", `+etag)
			if resp.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match list: status %d, want 304", resp.StatusCode)
			}
			resp = get(t, h, "GET", "/main.wasm", "Accept-Encoding", "gzip", "If-None-Match", `"other"`)
			if resp.StatusCode != 200 {
				t.Errorf("If-None-Match other: status %d, want 200", resp.StatusCode)
			}

			// No gzip accepted: the raw bytes, another ETag, still Vary.
			for _, ae := range []string{"", "identity", "gzip;q=0", "br;q=0, gzip;q=0"} {
				resp = get(t, h, "GET", "/main.wasm", "Accept-Encoding", ae)
				raw := body(t, resp)
				if got := resp.Header.Get("Content-Encoding"); got != "" {
					t.Errorf("Accept-Encoding %q: Content-Encoding %q, want none", ae, got)
				}
				if !bytes.Equal(raw, fakeWasm) {
					t.Errorf("Accept-Encoding %q: body is not main.wasm", ae)
				}
				if got := resp.Header.Get("ETag"); got == etag || got == "" {
					t.Errorf("Accept-Encoding %q: ETag %q must differ from the gzip one", ae, got)
				}
				if got := resp.Header.Get("Vary"); got != "Accept-Encoding" {
					t.Errorf("Accept-Encoding %q: Vary %q", ae, got)
				}
			}
			resp = get(t, h, "GET", "/main.wasm", "Accept-Encoding", "*")
			if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
				t.Errorf("Accept-Encoding *: Content-Encoding %q, want gzip", got)
			}

			// HEAD: headers and length, no body.
			resp = get(t, h, "HEAD", "/main.wasm", "Accept-Encoding", "gzip")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") != etag {
				t.Errorf("HEAD: status %d, encoding %q, ETag %q", resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("ETag"))
			}
			if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(len(gz)) {
				t.Errorf("HEAD: Content-Length %q, want %d", got, len(gz))
			}
			if n := len(body(t, resp)); n != 0 {
				t.Errorf("HEAD with a %d-byte body", n)
			}
		})
	}
}

func TestBrotliOnlyWhenCurrent(t *testing.T) {
	br := []byte("pretend brotli, shorter than the wasm")
	current := "main.wasm." + contentHash(fakeWasm)[:16] + ".br"
	h := newSite(testFS(fstest.MapFS{current: {Data: br}}))
	resp := get(t, h, "GET", "/main.wasm", "Accept-Encoding", "gzip, deflate, br, zstd")
	if got := resp.Header.Get("Content-Encoding"); got != "br" {
		t.Fatalf("Content-Encoding %q, want br", got)
	}
	if got := body(t, resp); !bytes.Equal(got, br) {
		t.Errorf("br body %q", got)
	}
	resp = get(t, h, "GET", "/main.wasm", "Accept-Encoding", "br;q=0.5, gzip")
	if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
		t.Errorf("gzip preferred by q: Content-Encoding %q", got)
	}
	if resp := get(t, h, "GET", "/"+current); resp.StatusCode != 404 {
		t.Errorf("GET /%s: status %d, want 404", current, resp.StatusCode)
	}

	// A .br made from another build is never served.
	h = newSite(testFS(fstest.MapFS{"main.wasm.0123456789abcdef.br": {Data: br}}))
	resp = get(t, h, "GET", "/main.wasm", "Accept-Encoding", "br, gzip")
	if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
		t.Errorf("stale br: Content-Encoding %q, want gzip", got)
	}
}

func TestSmallFilesNotCompressed(t *testing.T) {
	h := newSite(testFS(nil))
	resp := get(t, h, "GET", "/app.js", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Vary") != "" {
		t.Errorf("small file: Content-Encoding %q, Vary %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
}

// traversal lists request targets that must never reach a file.
var traversal = []string{
	"/../go.mod",
	"/%2e%2e/go.mod",
	"/%2E%2E/go.mod",
	"/..%2fgo.mod",
	"/..%2Fgo.mod",
	"/..%5cgo.mod",
	"/..\\go.mod",
	"/%5c..%5cgo.mod",
	"/scenarios/../../go.mod",
	"/scenarios/%2e%2e/%2e%2e/server.go",
	"/scenarios%2fa.aurora",
	"/./index.html",
	"//index.html",
	"/scenarios//a.aurora",
	"/scenarios/",
	"/scenarios",
	"/index.html%00",
	"/index.html%00.txt",
	"/go.mod",
	"/server.go",
	"/main.go",
	"/.git/config",
	"/.git/HEAD",
	"/web/index.html",
	"/main.wasm.gz",
	"/missing.html",
}

func TestTraversal404(t *testing.T) {
	h := newSite(testFS(fstest.MapFS{
		"main.wasm.gz": {Data: gzipBytes(fakeWasm)},
		".git/config":  {Data: []byte("[core]")}, // as if a hidden file were embedded
	}))
	for _, target := range traversal {
		for _, method := range []string{"GET", "HEAD"} {
			req := httptest.NewRequest(method, "/", nil)
			req.URL = mustParseRequestURI(t, target)
			req.RequestURI = target
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotFound {
				t.Errorf("%s %s: status %d, want 404", method, target, rec.Code)
			}
			if rec.Header().Get("Location") != "" {
				t.Errorf("%s %s: redirect to %s", method, target, rec.Header().Get("Location"))
			}
		}
	}
}

func mustParseRequestURI(t *testing.T, target string) *url.URL {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")))
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	return req.URL
}

// TestTraversalOverTCP sends the raw request lines to a real server, so that
// no client normalizes the paths and nothing in net/http redirects them.
func TestTraversalOverTCP(t *testing.T) {
	srv := httptest.NewServer(newSite(webFiles()))
	defer srv.Close()
	for _, target := range append(traversal, "/%2e%2e/%2e%2e/etc/passwd", "/..", "/%00") {
		status := rawGet(t, srv.Listener.Addr().String(), target)
		if status != "404" {
			t.Errorf("GET %s over TCP: status %s, want 404", target, status)
		}
	}
	if status := rawGet(t, srv.Listener.Addr().String(), "/"); status != "200" {
		t.Errorf("GET / over TCP: status %s, want 200", status)
	}
}

func rawGet(t *testing.T, addr, target string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET "+target+" HTTP/1.1\r\nHost: aurora\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	fields := strings.Fields(line)
	if len(fields) < 2 {
		t.Fatalf("GET %s: status line %q", target, line)
	}
	return fields[1]
}

func TestMethods(t *testing.T) {
	h := newSite(testFS(nil))
	for _, method := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"} {
		resp := get(t, h, method, "/index.html")
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: status %d, want 405", method, resp.StatusCode)
		}
		if got := resp.Header.Get("Allow"); got != "GET, HEAD" {
			t.Errorf("%s: Allow %q", method, got)
		}
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: no CSP on the 405", method)
		}
	}
	resp := get(t, h, "HEAD", "/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("HEAD /: status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if n := len(body(t, resp)); n != 0 {
		t.Errorf("HEAD / with a %d-byte body", n)
	}
}

// TestEmbeddedWeb checks the real embedded directory: the committed pages are
// there with their headers, and main.wasm, when the build has made it, is
// served compressed.
func TestEmbeddedWeb(t *testing.T) {
	h := newSite(webFiles())
	for _, path := range []string{"/", "/index.html", "/embed.html"} {
		resp := get(t, h, "GET", path, "Accept-Encoding", "gzip")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("GET %s: status %d, Content-Type %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if _, err := fs.Stat(webFiles(), "main.wasm"); err != nil {
		t.Log("web/main.wasm not built (run make wasm); the wasm tests use an fstest.MapFS")
		return
	}
	resp := get(t, h, "GET", "/main.wasm", "Accept-Encoding", "gzip")
	gz := body(t, resp)
	if resp.Header.Get("Content-Type") != "application/wasm" || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") == "" {
		t.Fatalf("GET /main.wasm: Content-Type %q, Content-Encoding %q, ETag %q",
			resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"), resp.Header.Get("ETag"))
	}
	if !bytes.HasPrefix(gunzip(t, gz), []byte("\x00asm")) {
		t.Error("GET /main.wasm: not a wasm module")
	}
}

func TestServeListensPrintsAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stdoutR, stdoutW := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"-addr", "127.0.0.1:0"}, stdoutW, &stderr)
		stdoutW.Close()
	}()
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr, found := strings.CutPrefix(strings.TrimSpace(line), "Aurora Lab: ")
	if !found || !strings.HasPrefix(addr, "http://127.0.0.1:") || strings.HasSuffix(addr, ":0/") || !strings.HasSuffix(addr, "/") {
		t.Fatalf("startup line %q, want Aurora Lab: http://127.0.0.1:PORT/", line)
	}
	resp, err := http.Get(addr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("GET %s: status %d, CSP %q", addr, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	if stderr.Len() != 0 {
		t.Errorf("access log written without -v: %q", stderr.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after its context was cancelled")
	}
}

func TestServeFlags(t *testing.T) {
	var stderr bytes.Buffer
	if err := serve(context.Background(), []string{"-h"}, io.Discard, &stderr); err != nil {
		t.Errorf("-h: %v", err)
	}
	if !strings.Contains(stderr.String(), "-addr") {
		t.Errorf("-h printed %q, want the flags", stderr.String())
	}
	if err := serve(context.Background(), []string{"-nope"}, io.Discard, io.Discard); err == nil {
		t.Error("-nope: no error")
	}
	if err := serve(context.Background(), []string{"extra"}, io.Discard, io.Discard); err == nil {
		t.Error("a stray argument: no error")
	}
	if err := serve(context.Background(), []string{"-addr", "256.0.0.1:x"}, io.Discard, io.Discard); err == nil {
		t.Error("a bad address: no error")
	}
}

func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	h := accessLog(newSite(testFS(nil)), log.New(&buf, "", 0))
	get(t, h, "GET", "/main.wasm", "Accept-Encoding", "gzip")
	get(t, h, "GET", "/../go.mod")
	out := buf.String()
	if !strings.Contains(out, `GET "/main.wasm" 200 `) || !strings.Contains(out, " gzip ") {
		t.Errorf("access log %q lacks the wasm request", out)
	}
	if !strings.Contains(out, `"/../go.mod" 404`) {
		t.Errorf("access log %q lacks the 404", out)
	}
}

func TestDisplayURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080/",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/",
		"[::]:9000":      "http://127.0.0.1:9000/",
		"[::1]:9000":     "http://[::1]:9000/",
	} {
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := displayURL(tcp); got != want {
			t.Errorf("displayURL(%s) = %s, want %s", addr, got, want)
		}
	}
}
