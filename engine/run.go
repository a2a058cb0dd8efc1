package engine

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"aurora-lab/engine/internal/script"
)

// ParseError is a script that does not parse: a malformed or unknown
// meta-command, at a line and column.
type ParseError = script.Error

// RunScript runs src on a new Lab with the default cluster (a \cluster in
// the script replaces it) until every item has finished. It returns the Lab,
// whose Outputs and Failures tell what happened. A script that does not
// parse returns a *ParseError and runs nothing.
func RunScript(src string) (*Lab, error) {
	if _, err := script.Parse(src); err != nil {
		return nil, err
	}
	l, err := New(DefaultConfig())
	if err != nil {
		return nil, err
	}
	if err := l.Submit(ScriptConsole, src); err != nil {
		return nil, err
	}
	if err := l.RunUntilIdle(); err != nil {
		return l, err
	}
	return l, nil
}

// IsParseError reports whether err is a script that does not parse.
func IsParseError(err error) bool {
	var pe *script.Error
	return errors.As(err, &pe)
}

// WriteTranscript prints outputs the way a person reads a session: each
// item as written, then what it printed, indented.
func WriteTranscript(w io.Writer, outs []Output) {
	for _, o := range outs {
		fmt.Fprint(w, FormatOutput(o))
	}
}

// FormatOutput prints one output as the transcript shows it.
func FormatOutput(o Output) string {
	var b strings.Builder
	switch o.Kind {
	case OutComment:
		b.WriteString(o.Input + "\n")
		return b.String()
	case OutGuide:
		switch o.Guide {
		case "title":
			b.WriteString("## " + o.Text + "\n")
		case "step":
			b.WriteString("\n>> " + o.Text + "\n")
		case "try":
			b.WriteString("\n>> Now you try: " + o.Text + "\n")
		case "highlight":
			b.WriteString("   (look at: " + strings.Join(o.Targets, ", ") + ")\n")
		}
		return b.String()
	case OutSQL:
		prompt := o.Conn + "> "
		for i, line := range strings.Split(o.Input, "\n") {
			if i == 0 {
				b.WriteString(prompt + line)
			} else {
				b.WriteString("\n" + strings.Repeat(" ", len(prompt)) + strings.TrimLeft(line, " \t"))
			}
		}
		b.WriteString(";\n")
	default:
		b.WriteString(o.Input + "\n")
	}
	switch {
	case o.Kind == OutExpect && o.OK:
		b.WriteString("  ok\n")
	case o.Kind == OutExpect:
		fmt.Fprintf(&b, "  FAIL (line %d): %s\n", o.Line, o.Err)
	case o.Err != "":
		b.WriteString(indent(o.Err))
	case o.Text != "":
		b.WriteString(indent(o.Text))
	}
	return b.String()
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("  " + line + "\n")
	}
	return b.String()
}
