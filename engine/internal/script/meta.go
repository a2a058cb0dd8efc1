package script

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"aurora-lab/engine/internal/sim"
)

// Command is a parsed meta-command.
type Command struct {
	Name string // without the backslash: "cluster", "run", ...
	// Args are the words after the name, with their positions.
	Args []Word
	// Rest is the text after the name, trimmed: what \expect result
	// compares.
	Rest string
	// Duration is the parsed duration of \run.
	Duration sim.Time
	// Settings are the key=value pairs of \cluster and \set, in order.
	Settings []Setting
	// Percent is the parsed percentage of \loss.
	Percent float64
}

// Word is one whitespace-separated word of a meta-command.
type Word struct {
	Text      string
	Line, Col int
}

// Setting is one key=value of \cluster or \set.
type Setting struct {
	Key, Value string
	Line, Col  int
}

// Expect forms.
const (
	ExpectOK     = "ok"
	ExpectError  = "error"
	ExpectResult = "result"
)

// MetaSpec describes one meta-command for parsing and for \?.
type MetaSpec struct {
	Name  string
	Usage string
	Help  string
	// check validates the arguments, returning an error at a word.
	check func(c *Command, at Word) error
}

// IsKnob, when set by the engine, says whether a \cluster key exists, so an
// unknown key is a parse error with its position.
var IsKnob func(key string) bool

// IsSetting, when set by the engine, says whether a \set key exists.
var IsSetting func(key string) bool

// Metas lists the meta-commands in the order \? prints them.
var Metas = []MetaSpec{
	{"cluster", `\cluster [key=value ...]`, "start a new cluster (writers=, replicas=, seed=, and the knobs \\cluster ? lists)", checkSettings(&IsKnob, "cluster setting")},
	{"connect", `\connect NAME`, "run the following SQL on instance NAME (w1, w2, r1, ...)", words(1, 1)},
	{"run", `\run DURATION`, "advance simulated time (500us, 20ms, 3s)", checkRun},
	{"status", `\status`, "show the volume, its protection groups and every node", words(0, 0)},
	{"crash", `\crash TARGET`, "crash a storage node (b1), a whole AZ (b) or an instance (w1)", words(1, 1)},
	{"restart", `\restart TARGET`, "bring a crashed node, AZ or instance back", words(1, 1)},
	{"partition", `\partition A B`, "cut the links between A and B (nodes, instances or AZs)", words(2, 2)},
	{"heal", `\heal [TARGET]`, "restore every cut link, or those of TARGET", words(0, 1)},
	{"failover", `\failover [TARGET]`, "promote a replica to writer (the one named, or the first one up)", words(0, 1)},
	{"replace", `\replace NODE [ONTO]`, "replace NODE's segments by new ones on a spare node of its AZ (membership epochs)", words(1, 2)},
	{"slow", `\slow NODE DURATION`, "make a node slow: DURATION more for every message and disk write (0 clears)", checkArgs(word, duration)},
	{"latency", `\latency A B DURATION`, "add DURATION to the one-way delay between A and B (nodes, instances or AZs)", checkArgs(word, word, duration)},
	{"loss", `\loss A B PERCENT`, "lose PERCENT of the messages between A and B", checkArgs(word, word, percent)},
	{"corrupt", `\corrupt NODE [PG]`, "damage a record or page of a segment on NODE (pg1, or its first)", words(1, 2)},
	{"set", `\set key=value ...`, "change a knob of the running cluster: latency, latency_cross, jitter, loss, bandwidth, timeout", checkSettings(&IsSetting, "setting")},
	{"expect", `\expect ok | error [TEXT] | result TEXT`, "check the outcome of the previous statement", checkExpect},
	{"title", `\title TEXT`, "a guided scenario's title", needText},
	{"step", `\step TEXT`, "a guided scenario's next step: the page waits for Next and shows TEXT", needText},
	{"highlight", `\highlight TARGET ...`, "point the page at nodes, instances, AZs, PGs (pg1) or watermarks (vdl, vcl, scl, pgcl, lal)", words(1, 16)},
	{"try", `\try TEXT`, "end a guided scenario: now you try, with TEXT as the suggestion", needText},
	{"?", `\?`, "list the meta-commands", words(0, 0)},
}

// LookupMeta returns the spec of a meta-command by name.
func LookupMeta(name string) (MetaSpec, bool) {
	for _, m := range Metas {
		if m.Name == name {
			return m, true
		}
	}
	return MetaSpec{}, false
}

// Help returns one line per meta-command.
func Help() []string {
	out := make([]string, len(Metas))
	for i, m := range Metas {
		out[i] = fmt.Sprintf("%-40s %s", m.Usage, m.Help)
	}
	return out
}

func parseMeta(text string, line, col int) (*Command, error) {
	all := splitWords(text, line, col)
	head := all[0]
	name := strings.TrimPrefix(head.Text, `\`)
	if name == "help" || name == "h" {
		name = "?"
	}
	spec, ok := LookupMeta(name)
	if !ok {
		if name == "" {
			return nil, &Error{Line: line, Col: col, Msg: `empty meta-command: "\" must be followed by a command name; \? lists them`}
		}
		return nil, &Error{Line: head.Line, Col: head.Col, Msg: fmt.Sprintf(`unknown meta-command "\%s"; \? lists the meta-commands`, name)}
	}
	c := &Command{Name: name, Args: all[1:]}
	if len(c.Args) > 0 {
		// The rest of the line, as written, after the name.
		off := strings.Index(text, head.Text) + len(head.Text)
		c.Rest = strings.TrimSpace(text[off:])
	}
	if err := spec.check(c, head); err != nil {
		if e, ok := err.(*Error); ok {
			e.Msg += "; usage: " + spec.Usage
		}
		return nil, err
	}
	return c, nil
}

func splitWords(text string, line, col int) []Word {
	var out []Word
	i := 0
	c := col
	for i < len(text) {
		r, n := utf8.DecodeRuneInString(text[i:])
		if r == ' ' || r == '\t' || r == '\r' {
			i += n
			c++
			continue
		}
		start, startCol := i, c
		for i < len(text) {
			r, n := utf8.DecodeRuneInString(text[i:])
			if r == ' ' || r == '\t' || r == '\r' {
				break
			}
			i += n
			c++
		}
		out = append(out, Word{Text: text[start:i], Line: line, Col: startCol})
	}
	return out
}

func words(min, max int) func(c *Command, at Word) error {
	return func(c *Command, at Word) error {
		switch {
		case len(c.Args) < min:
			return &Error{Line: at.Line, Col: at.Col, Msg: fmt.Sprintf(`\%s needs %s`, c.Name, plural(min, "argument"))}
		case len(c.Args) > max:
			w := c.Args[max]
			return &Error{Line: w.Line, Col: w.Col, Msg: fmt.Sprintf(`\%s takes %s, got %q too`, c.Name, plural(max, "argument"), w.Text)}
		}
		return nil
	}
}

func plural(n int, what string) string {
	switch n {
	case 0:
		return "no " + what + "s"
	case 1:
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func checkRun(c *Command, at Word) error {
	if err := words(1, 1)(c, at); err != nil {
		return err
	}
	w := c.Args[0]
	d, err := sim.ParseDuration(w.Text)
	if err != nil {
		return &Error{Line: w.Line, Col: w.Col, Msg: err.Error()}
	}
	c.Duration = d
	return nil
}

func checkSettings(known *func(string) bool, what string) func(c *Command, at Word) error {
	return func(c *Command, at Word) error {
		if c.Name == "set" && len(c.Args) == 0 {
			return &Error{Line: at.Line, Col: at.Col, Msg: `\set needs at least one key=value`}
		}
		for _, w := range c.Args {
			k, v, ok := strings.Cut(w.Text, "=")
			if !ok || k == "" || v == "" {
				return &Error{Line: w.Line, Col: w.Col, Msg: fmt.Sprintf("expected key=value, got %q", w.Text)}
			}
			if *known != nil && !(*known)(k) {
				return &Error{Line: w.Line, Col: w.Col, Msg: fmt.Sprintf("unknown %s %q", what, k)}
			}
			c.Settings = append(c.Settings, Setting{Key: k, Value: v, Line: w.Line, Col: w.Col})
		}
		return nil
	}
}

func checkExpect(c *Command, at Word) error {
	if len(c.Args) == 0 {
		return &Error{Line: at.Line, Col: at.Col, Msg: `\expect needs ok, error or result`}
	}
	form := c.Args[0]
	switch form.Text {
	case ExpectOK:
		if len(c.Args) > 1 {
			w := c.Args[1]
			return &Error{Line: w.Line, Col: w.Col, Msg: `\expect ok takes nothing after it`}
		}
	case ExpectError:
	case ExpectResult:
	default:
		return &Error{Line: form.Line, Col: form.Col, Msg: fmt.Sprintf(`\expect %s: expected ok, error or result`, form.Text)}
	}
	// Rest becomes the text after the form.
	c.Rest = strings.TrimSpace(strings.TrimPrefix(c.Rest, form.Text))
	return nil
}

// Argument kinds for checkArgs.
type argKind uint8

const (
	word argKind = iota
	duration
	percent
)

// checkArgs checks a fixed list of arguments by kind.
func checkArgs(kinds ...argKind) func(c *Command, at Word) error {
	return func(c *Command, at Word) error {
		if err := words(len(kinds), len(kinds))(c, at); err != nil {
			return err
		}
		for i, k := range kinds {
			w := c.Args[i]
			switch k {
			case duration:
				d, err := sim.ParseDuration(w.Text)
				if err != nil {
					return &Error{Line: w.Line, Col: w.Col, Msg: err.Error()}
				}
				c.Duration = d
			case percent:
				t := strings.TrimSuffix(w.Text, "%")
				f, err := strconv.ParseFloat(t, 64)
				if err != nil || f < 0 || f > 100 {
					return &Error{Line: w.Line, Col: w.Col, Msg: fmt.Sprintf("%q is not a percentage between 0 and 100", w.Text)}
				}
				c.Percent = f
			}
		}
		return nil
	}
}

func needText(c *Command, at Word) error {
	if c.Rest == "" {
		return &Error{Line: at.Line, Col: at.Col, Msg: fmt.Sprintf(`\%s needs a text`, c.Name)}
	}
	return nil
}
