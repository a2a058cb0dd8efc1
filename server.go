package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The page: web/index.html is always committed, so the embed (and a fresh
// clone) builds before `make wasm` has produced web/main.wasm.
//
//go:embed web
var embedded embed.FS

// webFiles is the embedded web/ directory, with its files at the root.
func webFiles() fs.FS {
	files, err := fs.Sub(embedded, "web")
	if err != nil {
		panic(err) // "web" is a valid path: cannot happen
	}
	return files
}

// serveMain serves the page until SIGINT or SIGTERM. args are the command
// line after the program name.
func serveMain(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills the process as usual.
	context.AfterFunc(ctx, stop)
	return serve(ctx, args, os.Stdout, os.Stderr)
}

// serve parses the flags, listens, prints the address to stdout and serves
// until ctx is done, then shuts down gracefully.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("aurora-lab", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:8080", "`host:port` to listen on (port 0 picks a free port)")
	verbose := flags.Bool("v", false, "log each request to stderr")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: aurora-lab [-addr host:port] [-v]\n       aurora-lab run FILE...")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (to run scenario files: aurora-lab run FILE...)", flags.Arg(0))
	}

	var handler http.Handler = newSite(webFiles())
	if *verbose {
		handler = accessLog(handler, log.New(stderr, "", log.LstdFlags))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          log.New(stderr, "aurora-lab: ", 0),
	}
	fmt.Fprintf(stdout, "Aurora Lab: %s\n", displayURL(ln.Addr()))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "Aurora Lab: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// displayURL is the URL a person can open for the bound address: a wildcard
// host (":8080", "0.0.0.0:8080") is shown as 127.0.0.1.
func displayURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// The Content-Security-Policy of every response: the page's own scripts,
// styles, images and fetches, WebAssembly compilation, and nothing else (no
// inline script or style, no plugins, no forms, no <base>).
const cspBase = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"

// embedPage may be framed by any site; everything else only by this origin.
const embedPage = "embed.html"

// fileType is what the server knows about a file extension.
type fileType struct {
	contentType string
	compress    bool // worth compressing on the wire
}

// fileTypes is fixed here rather than read from the system's MIME tables,
// which differ between machines. Unknown extensions are served as
// application/octet-stream, which with nosniff a browser never executes.
var fileTypes = map[string]fileType{
	".html":        {"text/html; charset=utf-8", true},
	".js":          {"text/javascript; charset=utf-8", true},
	".mjs":         {"text/javascript; charset=utf-8", true},
	".css":         {"text/css; charset=utf-8", true},
	".svg":         {"image/svg+xml", true},
	".json":        {"application/json", true},
	".map":         {"application/json", true},
	".webmanifest": {"application/manifest+json", true},
	".txt":         {"text/plain; charset=utf-8", true},
	".aurora":      {"text/plain; charset=utf-8", true}, // scenario files
	".wasm":        {"application/wasm", true},
	".ico":         {"image/x-icon", true},
	".png":         {"image/png", false},
	".woff2":       {"font/woff2", false},
}

func typeOf(name string) fileType {
	if t, ok := fileTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return fileType{"application/octet-stream", false}
}

// Files smaller than this are sent as they are.
const minCompressSize = 512

// site serves the files of one fs.FS (the embedded web/ directory, or a
// test's fstest.MapFS), each prepared once: its bytes, its compressed forms
// and their ETags.
type site struct {
	files fs.FS

	mu     sync.Mutex
	assets map[string]*assetOnce
}

type assetOnce struct {
	once  sync.Once
	asset *asset
	err   error
}

// asset is one file and the representations it can be sent as.
type asset struct {
	typ  fileType
	reps []representation // identity first
}

type representation struct {
	encoding string // "" (identity), "gzip" or "br"
	body     []byte
	etag     string // a hash of body, quoted
}

func newSite(files fs.FS) *site {
	return &site{files: files, assets: make(map[string]*assetOnce)}
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	name, ok := fileName(r)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if ok && name == embedPage {
		h.Set("Content-Security-Policy", cspBase+"; frame-ancestors *")
	} else {
		h.Set("Content-Security-Policy", cspBase+"; frame-ancestors 'self'")
		h.Set("X-Frame-Options", "SAMEORIGIN")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	a, err := s.asset(name)
	if errors.Is(err, fs.ErrNotExist) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}

	rep := a.reps[0]
	if len(a.reps) > 1 {
		h.Add("Vary", "Accept-Encoding")
		rep = a.choose(r.Header.Values("Accept-Encoding"))
	}
	h.Set("Content-Type", a.typ.contentType)
	h.Set("Cache-Control", "no-cache") // always revalidate; the ETag makes that cheap
	h.Set("ETag", rep.etag)
	if rep.encoding != "" {
		h.Set("Content-Encoding", rep.encoding)
		// ServeContent leaves the length out when an encoding is set; a
		// Range request replaces it, a 304 or an error removes it.
		h.Set("Content-Length", strconv.Itoa(len(rep.body)))
	}
	// ServeContent answers HEAD, If-None-Match (304) and Range requests.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(rep.body))
}

// fileName maps a request path to a file name in the site's fs.FS. It
// refuses (ok false) anything that is not a plain path to a file: dot
// segments, empty segments, hidden names, encoded slashes and backslashes,
// NUL, and the precompressed siblings of other files.
func fileName(r *http.Request) (name string, ok bool) {
	raw := strings.ToLower(r.URL.EscapedPath())
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") || strings.Contains(raw, "%00") {
		return "", false
	}
	p := r.URL.Path
	if p == "/" {
		return "index.html", true
	}
	name, found := strings.CutPrefix(p, "/")
	if !found || !fs.ValidPath(name) || strings.ContainsAny(name, "\\\x00") {
		return "", false
	}
	for seg := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	if ext := path.Ext(name); ext == ".gz" || ext == ".br" {
		return "", false
	}
	return name, true
}

// asset returns the prepared file name, reading and compressing it on first
// use. Missing files are not remembered.
func (s *site) asset(name string) (*asset, error) {
	s.mu.Lock()
	e := s.assets[name]
	if e == nil {
		info, err := fs.Stat(s.files, name)
		if err == nil && !info.Mode().IsRegular() {
			err = fs.ErrNotExist
		}
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		e = &assetOnce{}
		s.assets[name] = e
	}
	s.mu.Unlock()
	e.once.Do(func() { e.asset, e.err = s.load(name) })
	return e.asset, e.err
}

func (s *site) load(name string) (*asset, error) {
	body, err := fs.ReadFile(s.files, name)
	if err != nil {
		return nil, err
	}
	a := &asset{typ: typeOf(name), reps: []representation{newRepresentation("", body)}}
	if !a.typ.compress || len(body) < minCompressSize {
		return a, nil
	}
	// Brotli, when the build made it (there is no brotli in the standard
	// library): NAME.HASH.br, where HASH names the exact bytes it was made
	// from, so a stale file is never used.
	if br, err := fs.ReadFile(s.files, name+"."+contentHash(body)[:16]+".br"); err == nil && len(br) < len(body) {
		a.reps = append(a.reps, newRepresentation("br", br))
	}
	// gzip: NAME.gz from the build when it decompresses to exactly body,
	// else compressed here once.
	gz, err := fs.ReadFile(s.files, name+".gz")
	if err != nil || !gunzipsTo(gz, body) {
		gz = gzipBytes(body)
	}
	if len(gz) < len(body) {
		a.reps = append(a.reps, newRepresentation("gzip", gz))
	}
	return a, nil
}

func newRepresentation(encoding string, body []byte) representation {
	return representation{encoding: encoding, body: body, etag: `"` + contentHash(body)[:32] + `"`}
}

func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func gzipBytes(b []byte) []byte {
	// The level is valid and writes to a bytes.Buffer do not fail: no
	// errors to check.
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func gunzipsTo(gz, want []byte) bool {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return false
	}
	got, err := io.ReadAll(io.LimitReader(zr, int64(len(want))+1))
	return err == nil && bytes.Equal(got, want)
}

// choose picks the representation the client accepts with the highest
// quality, preferring the smaller encodings on ties (reps after the first are
// in order of preference: br, then gzip).
func (a *asset) choose(acceptEncoding []string) representation {
	q := make(map[string]float64)
	for _, header := range acceptEncoding {
		for part := range strings.SplitSeq(header, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			weight := 1.0
			if v, found := strings.CutPrefix(strings.TrimSpace(params), "q="); found {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					weight = f
				}
			}
			q[coding] = weight
		}
	}
	accepts := func(coding string) float64 {
		if w, ok := q[coding]; ok {
			return w
		}
		return q["*"] // absent: 0
	}
	best, bestQ := a.reps[0], 0.0
	for _, rep := range a.reps[1:] {
		if w := accepts(rep.encoding); w > bestQ {
			best, bestQ = rep, w
		}
	}
	return best
}

// accessLog logs one line per request.
func accessLog(next http.Handler, logger *log.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		enc := w.Header().Get("Content-Encoding")
		if enc == "" {
			enc = "-"
		}
		logger.Printf("%s %s %q %d %dB %s %s", r.RemoteAddr, r.Method, r.URL.RequestURI(),
			rec.status, rec.bytes, enc, time.Since(start).Round(time.Microsecond))
	})
}

type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}
