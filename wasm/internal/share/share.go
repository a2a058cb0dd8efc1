// Package share turns a run of the lab into text that travels, and back:
// a share link (the URL fragment of the page), and a console-language file
// for export and import.
//
// A run is what the engine needs to come back to the same state, byte for
// byte: the configuration it started with (its seed among it), the
// command log (each input with the moment it was submitted) and the moment
// the run had reached. The engine is deterministic, so replaying that on
// another browser gives the same cluster, messages in flight included.
//
// The package is pure Go: it runs natively and in the browser.
package share

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/url"
	"strconv"
	"strings"

	"aurora-lab/engine"
)

// ScenarioConsole is the console a guided scenario (or a script given to
// the page) runs on.
const ScenarioConsole = "scenario"

// scenarioPrefix opens the text a guided scenario is submitted as, so the
// command log says which scenario it was.
const scenarioPrefix = "-- scenario: "

// ScenarioInput returns the input that runs scenario name, whose file
// holds src: a comment naming it, then the file.
func ScenarioInput(name, src string) string {
	return scenarioPrefix + name + "\n" + src
}

// ScenarioOf returns the scenario an input runs, and false when it is not
// a scenario's input.
func ScenarioOf(text string) (name string, ok bool) {
	rest, found := strings.CutPrefix(text, scenarioPrefix)
	if !found {
		return "", false
	}
	name, _, found = strings.Cut(rest, "\n")
	return name, found && ValidName(name)
}

// ValidName reports whether name can name a scenario file
// (web/scenarios/NAME.aurora): up to 64 lower-case letters, digits and
// dashes, not starting with a dash.
func ValidName(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '-' {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Run is a run of the lab.
type Run struct {
	Config engine.Config
	Log    []engine.Entry
	// At and Events are the moment the run reached.
	At     engine.Time
	Events uint64
	// Step is the step of its guided scenario the page showed (0 for
	// none): a link opens at the same step even when the scenario had
	// reached the next one at the same instant.
	Step int
}

// Scenario returns the scenario the run began with, "" for none.
func (r *Run) Scenario() string {
	if len(r.Log) == 0 || r.Log[0].Console != ScenarioConsole {
		return ""
	}
	name, _ := ScenarioOf(r.Log[0].Text)
	return name
}

// ScenarioSum is the checksum a link keeps of a scenario's input, so that
// a link made with another version of the scenario is noticed.
func ScenarioSum(text string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(text))
	return fmt.Sprintf("%08x", h.Sum32())
}

// configDiff returns the settings of cfg that differ from the default
// ones, seed excepted, in canonical order: "" for the default cluster.
func configDiff(cfg engine.Config) string {
	def := strings.Fields(engine.DefaultConfig().String())
	var out []string
	for i, kv := range strings.Fields(cfg.String()) {
		if strings.HasPrefix(kv, "seed=") || (i < len(def) && def[i] == kv) {
			continue
		}
		out = append(out, kv)
	}
	return strings.Join(out, " ")
}

// payload is the compressed part of a link.
type payload struct {
	V      int      `json:"v"`
	Config string   `json:"config,omitempty"` // settings that differ from the default, seed excepted
	Sum    string   `json:"sum,omitempty"`    // ScenarioSum of the scenario input, left out of Log
	Log    [][4]any `json:"log"`              // [events, at, console, text]
	End    [2]any   `json:"end"`              // [at, events]
}

// Version is the link format.
const Version = 1

// Fragment returns the URL fragment (without "#") that carries r:
// scenario=NAME (when it began with one), seed=N and run=PAYLOAD, the
// rest of the configuration, the command log and the moment, compressed
// with DEFLATE and encoded as unpadded base64url. A scenario's own text is
// left out (the page has it); a checksum stands for it.
func Fragment(r *Run) string {
	p := payload{V: Version, Config: configDiff(r.Config), Log: [][4]any{}}
	p.End = [2]any{uint64(r.At), r.Events}
	name := r.Scenario()
	for i, e := range r.Log {
		text := e.Text
		if i == 0 && name != "" {
			p.Sum, text = ScenarioSum(e.Text), ""
		}
		p.Log = append(p.Log, [4]any{e.Events, uint64(e.At), e.Console, text})
	}
	raw, _ := json.Marshal(p) // plain data: cannot fail
	q := url.Values{}
	if name != "" {
		q.Set("scenario", name)
	}
	q.Set("seed", strconv.FormatUint(r.Config.Seed, 10))
	q.Set("run", Compress(raw))
	// url.Values sorts its keys: run, scenario, seed. Put the readable
	// ones first.
	var b strings.Builder
	if name != "" {
		b.WriteString("scenario=" + url.QueryEscape(name) + "&")
	}
	if r.Step > 0 {
		b.WriteString("step=" + strconv.Itoa(r.Step) + "&")
	}
	b.WriteString("seed=" + q.Get("seed") + "&run=" + q.Get("run"))
	return b.String()
}

// Compress deflates data and encodes it as unpadded base64url.
func Compress(data []byte) string {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestCompression) // a valid level: no error
	_, _ = zw.Write(data)
	_ = zw.Close()
	return base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

// maxInflated bounds what a link may inflate to.
const maxInflated = 8 << 20

// Decompress reverses Compress.
func Decompress(s string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("not base64url: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), maxInflated+1))
	if err != nil {
		return nil, fmt.Errorf("not DEFLATE data: %w", err)
	}
	if len(out) > maxInflated {
		return nil, fmt.Errorf("inflates to more than %d bytes", maxInflated)
	}
	return out, nil
}

// ErrScenarioChanged says the scenario a link names is not the text the
// link was made with: the run is replayed all the same, but it may differ.
var ErrScenarioChanged = errors.New("share: the scenario has changed since the link was made, so the run may differ from the one shared")

// Link is what a page URL asks for.
type Link struct {
	// Run is set when the fragment carries a run (run=...).
	Run *Run
	// Scenario names a scenario to start, or the one the run began with.
	Scenario string
	// Script is a script given in the URL (script= or zscript=), run as
	// a scenario is.
	Script string
	// sum is the checksum of the run's scenario input.
	sum string
}

// Empty reports whether the URL asks for nothing.
func (l *Link) Empty() bool { return l.Run == nil && l.Scenario == "" && l.Script == "" }

// Parse reads what a page URL asks for, from its query string and its
// fragment (both without their leading "?" or "#"): scenario=NAME,
// script=TEXT or zscript=COMPRESSED, and a shared run (seed=N&run=...).
// The fragment wins over the query. Errors say which parameter is wrong
// and why.
func Parse(query, fragment string) (Link, error) {
	var l Link
	for _, part := range []string{query, fragment} {
		if part == "" {
			continue
		}
		v, err := url.ParseQuery(part)
		if err != nil {
			return Link{}, fmt.Errorf("the address is malformed: %w", err)
		}
		if s := v.Get("scenario"); s != "" {
			if !ValidName(s) {
				return Link{}, fmt.Errorf("scenario=%q: a scenario name has only lower-case letters, digits and dashes", s)
			}
			l.Scenario = s
		}
		if s, ok := v["script"]; ok {
			l.Script = s[0]
		}
		if s := v.Get("zscript"); s != "" {
			raw, err := Decompress(s)
			if err != nil {
				return Link{}, fmt.Errorf("zscript=: %w", err)
			}
			l.Script = string(raw)
		}
		if s := v.Get("run"); s != "" {
			r, sum, err := decodeRun(s, v.Get("seed"))
			if err != nil {
				return Link{}, err
			}
			if st := v.Get("step"); st != "" {
				n, err := strconv.Atoi(st)
				if err != nil || n < 0 {
					return Link{}, fmt.Errorf("step=%q: not a step number", st)
				}
				r.Step = n
			}
			l.Run, l.sum = r, sum
		}
	}
	if l.Run != nil && l.sum != "" && l.Scenario == "" {
		return Link{}, errors.New("run=: the run begins with a scenario, but the link names none (scenario=)")
	}
	return l, nil
}

// Resolve puts the scenario's text (src, its file) back into a run that
// began with it. It returns ErrScenarioChanged, with the run resolved all
// the same, when the text is not the one the link was made with.
func (l *Link) Resolve(src string) error {
	if l.Run == nil || l.sum == "" || len(l.Run.Log) == 0 {
		return nil
	}
	text := ScenarioInput(l.Scenario, src)
	want := l.sum
	l.Run.Log[0].Text, l.sum = text, ""
	if ScenarioSum(text) != want {
		return ErrScenarioChanged
	}
	return nil
}

// NeedsScenario reports whether the run needs Resolve before it replays.
func (l *Link) NeedsScenario() bool { return l.Run != nil && l.sum != "" }

func decodeRun(s, seed string) (*Run, string, error) {
	raw, err := Decompress(s)
	if err != nil {
		return nil, "", fmt.Errorf("run=: %w", err)
	}
	var p struct {
		V      int               `json:"v"`
		Config string            `json:"config"`
		Sum    string            `json:"sum"`
		Log    []json.RawMessage `json:"log"`
		End    [2]uint64         `json:"end"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, "", fmt.Errorf("run=: not a run: %w", err)
	}
	if p.V != Version {
		return nil, "", fmt.Errorf("run=: link format %d, this page reads %d", p.V, Version)
	}
	settings := p.Config
	if seed != "" {
		if _, err := strconv.ParseUint(seed, 10, 64); err != nil {
			return nil, "", fmt.Errorf("seed=%q: not a number", seed)
		}
		settings = strings.TrimSpace(settings + " seed=" + seed)
	}
	cfg, err := engine.ParseConfig(settings)
	if err != nil {
		return nil, "", fmt.Errorf("run=: configuration %q: %w", settings, err)
	}
	r := &Run{Config: cfg, At: engine.Time(p.End[0]), Events: p.End[1]}
	for i, m := range p.Log {
		var e struct {
			Events  uint64
			At      uint64
			Console string
			Text    string
		}
		fields := []any{&e.Events, &e.At, &e.Console, &e.Text}
		if err := json.Unmarshal(m, &fields); err != nil || len(fields) != 4 {
			return nil, "", fmt.Errorf("run=: input %d is not [events, time, console, text]", i+1)
		}
		if e.Console == "" {
			return nil, "", fmt.Errorf("run=: input %d names no console", i+1)
		}
		if i > 0 && (e.At < uint64(r.Log[i-1].At) || e.Events < r.Log[i-1].Events) {
			return nil, "", fmt.Errorf("run=: input %d comes before input %d", i+1, i)
		}
		r.Log = append(r.Log, engine.Entry{Events: e.Events, At: engine.Time(e.At), Console: e.Console, Text: e.Text})
	}
	if n := len(r.Log); n > 0 && (uint64(r.At) < uint64(r.Log[n-1].At) || r.Events < r.Log[n-1].Events) {
		return nil, "", errors.New("run=: the run ends before its last input")
	}
	if p.Sum != "" && (len(r.Log) == 0 || r.Log[0].Text != "") {
		return nil, "", errors.New("run=: a scenario checksum, but no scenario input to stand for")
	}
	return r, p.Sum, nil
}
