package share

import (
	"fmt"
	"strconv"
	"strings"

	"aurora-lab/engine"
)

// An exported run is a console-language file. Its inputs are written as
// they were typed, each under a comment that records where and when it was
// submitted:
//
//	-- Aurora Lab run ...
//	\cluster writers=2 seed=7          (only when not the default cluster)
//	-- @ t=0 e=0 console=scenario lines=23
//	...the 23 lines of the input...
//	-- @ t=1200000 e=345 console=w1 lines=1
//	INSERT INTO t VALUES (3, 'c');
//	-- end t=5000000 e=900
//
// t is the simulated time in nanoseconds and e the count of events
// processed before the input, which is all an exact replay needs; lines
// says how many lines the input has, so no text inside it is mistaken for
// a header. Importing the file replays those moments exactly. Run
// headlessly (go run . run FILE), the comments are only comments: the
// inputs run one after the other on one console.

const (
	fileHead  = "-- Aurora Lab run: import it on the page to replay it exactly, or run it with `go run . run FILE`."
	entryHead = "-- @ "
	endHead   = "-- end "
)

// Export writes r as a console-language file.
func Export(r *Run) string {
	var b strings.Builder
	b.WriteString(fileHead + "\n")
	if name := r.Scenario(); name != "" {
		fmt.Fprintf(&b, "-- It began with the guided scenario %q.\n", name)
	}
	if d := configDiff(r.Config); d != "" || r.Config.Seed != engine.DefaultConfig().Seed {
		fmt.Fprintf(&b, "\\cluster %s\n", strings.TrimSpace(d+" seed="+strconv.FormatUint(r.Config.Seed, 10)))
	}
	for _, e := range r.Log {
		// Exactly the text: a text that ends with a newline has an empty
		// last line.
		lines := strings.Count(e.Text, "\n") + 1
		fmt.Fprintf(&b, "%st=%d e=%d console=%s lines=%d\n%s\n", entryHead, uint64(e.At), e.Events, e.Console, lines, e.Text)
	}
	fmt.Fprintf(&b, "%st=%d e=%d\n", endHead, uint64(r.At), r.Events)
	return b.String()
}

// ImportError is a file that cannot be imported, at a line.
type ImportError struct {
	Line int
	Msg  string
}

func (e *ImportError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Import reads a file. An exported run (one with "-- @" headers) comes
// back exactly; any other console-language file is a script, returned as
// one input on the scenario console at time zero, to run as a guided
// scenario does. scripted says which it was.
func Import(text string) (r *Run, scripted bool, err error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	first := -1
	for i, l := range lines {
		if strings.HasPrefix(l, entryHead) {
			first = i
			break
		}
	}
	if first < 0 {
		if strings.TrimSpace(text) == "" {
			return nil, false, &ImportError{Line: 1, Msg: "the file is empty"}
		}
		return &Run{Config: engine.DefaultConfig(), Log: []engine.Entry{{Console: ScenarioConsole, Text: text}}}, true, nil
	}
	r = &Run{Config: engine.DefaultConfig()}
	for i, l := range lines[:first] {
		if settings, ok := strings.CutPrefix(strings.TrimSpace(l), `\cluster`); ok {
			cfg, err := engine.ParseConfig(strings.TrimSpace(settings))
			if err != nil {
				return nil, false, &ImportError{Line: i + 1, Msg: fmt.Sprintf("the starting cluster: %v", err)}
			}
			r.Config = cfg
		}
	}
	ended := false
	for i := first; i < len(lines); {
		l := lines[i]
		switch {
		case strings.TrimSpace(l) == "":
			i++
		case strings.HasPrefix(l, endHead):
			if ended {
				return nil, false, &ImportError{Line: i + 1, Msg: "a second end line"}
			}
			f, err := fields(strings.TrimPrefix(l, endHead), "t", "e")
			if err != nil {
				return nil, false, &ImportError{Line: i + 1, Msg: fmt.Sprintf("%v (expected %st=NANOSECONDS e=EVENTS)", err, endHead)}
			}
			r.At, r.Events, ended = engine.Time(f["t"]), f["e"], true
			i++
		case strings.HasPrefix(l, entryHead) && !ended:
			head := strings.TrimPrefix(l, entryHead)
			console := ""
			var rest []string
			for _, w := range strings.Fields(head) {
				if c, ok := strings.CutPrefix(w, "console="); ok {
					console = c
				} else {
					rest = append(rest, w)
				}
			}
			f, err := fields(strings.Join(rest, " "), "t", "e", "lines")
			if err == nil && console == "" {
				err = fmt.Errorf("console= is missing")
			}
			if err != nil {
				return nil, false, &ImportError{Line: i + 1, Msg: fmt.Sprintf("%v (expected %st=NANOSECONDS e=EVENTS console=NAME lines=N)", err, entryHead)}
			}
			n := int(f["lines"])
			if n < 1 || i+1+n > len(lines) {
				return nil, false, &ImportError{Line: i + 1, Msg: fmt.Sprintf("the input is said to have %d lines, but the file has %d more", n, len(lines)-i-1)}
			}
			e := engine.Entry{Events: f["e"], At: engine.Time(f["t"]), Console: console, Text: strings.Join(lines[i+1:i+1+n], "\n")}
			if k := len(r.Log); k > 0 && (e.At < r.Log[k-1].At || e.Events < r.Log[k-1].Events) {
				return nil, false, &ImportError{Line: i + 1, Msg: "this input comes before the one above it"}
			}
			r.Log = append(r.Log, e)
			i += 1 + n
		default:
			return nil, false, &ImportError{Line: i + 1, Msg: fmt.Sprintf("expected an input header (%s...) or the end line (%s...), found %q", entryHead, endHead, clip(l))}
		}
	}
	if !ended {
		return nil, false, &ImportError{Line: len(lines), Msg: fmt.Sprintf("the end line (%st=... e=...) is missing: the file was cut short", endHead)}
	}
	if k := len(r.Log); k > 0 && (r.At < r.Log[k-1].At || r.Events < r.Log[k-1].Events) {
		return nil, false, &ImportError{Line: len(lines), Msg: "the run ends before its last input"}
	}
	return r, false, nil
}

// fields reads key=N words: exactly the keys given.
func fields(s string, keys ...string) (map[string]uint64, error) {
	out := map[string]uint64{}
	for _, w := range strings.Fields(s) {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not key=value", w)
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%q is not a whole number", k, v)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%s= is given twice", k)
		}
		out[k] = n
	}
	for _, k := range keys {
		if _, ok := out[k]; !ok {
			return nil, fmt.Errorf("%s= is missing", k)
		}
	}
	if len(out) != len(keys) {
		return nil, fmt.Errorf("unexpected settings in %q", s)
	}
	return out, nil
}

func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
