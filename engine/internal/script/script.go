// Package script reads the console language: the one language of the page's
// consoles, scenario files, documentation embeds, share links and tests.
//
// A script is a sequence of items. SQL statements end with ';' and may span
// lines. A line whose first non-blank character is '\' is a meta-command, in
// the manner of psql. A line that begins with '--' is a comment.
//
// The two kinds of item fail differently. A SQL statement is parsed when it
// runs, so a syntax error is that statement's error and a following
// `\expect error` can check it. A meta-command is checked here: an unknown
// or malformed meta-command means the script does not parse, and Parse
// returns an *Error with the line and column of the problem.
package script

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is the kind of an item.
type Kind uint8

// Item kinds.
const (
	SQL Kind = iota + 1
	Meta
	Comment
)

// Item is one statement, meta-command or comment of a script.
type Item struct {
	Kind Kind
	Line int // where the item starts, 1-based
	Col  int // 1-based, in runes
	// Text is the item as written: a SQL statement without its ';' (it may
	// span lines), a meta-command line, or a comment line.
	Text string
	// Err is set on a SQL statement that is not terminated by ';'. It is
	// the statement's error, reported when it runs.
	Err *Error
	// Cmd is the parsed meta-command.
	Cmd *Command
}

// Error is a problem at a position of a script.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// Parse splits src into items. It returns the first malformed meta-command
// as an *Error; SQL statements are not parsed here.
func Parse(src string) ([]Item, error) {
	return ParseInto(nil, src)
}

// ParseInto is Parse appending the items to dst[:0], whose array the
// caller no longer needs.
func ParseInto(dst []Item, src string) ([]Item, error) {
	p := &splitter{src: src, line: 1, col: 1, items: dst[:0]}
	return p.run()
}

// Complete reports whether src ends at an item boundary: no SQL statement is
// open (unterminated) and no quote or block comment is unclosed. A console
// uses it to decide whether Enter runs the input or starts a new line.
func Complete(src string) bool {
	p := &splitter{src: src, line: 1, col: 1}
	items, err := p.run()
	if err != nil {
		return true // run it, so the error is shown
	}
	for _, it := range items {
		if it.Kind == SQL && it.Err != nil && it.Err.Msg == msgUnterminated {
			return false
		}
	}
	return true
}

const msgUnterminated = `syntax error: statement not terminated by ";"`

type splitter struct {
	src       string
	pos       int
	line, col int
	items     []Item
}

func (p *splitter) peek() (rune, int) {
	if p.pos >= len(p.src) {
		return 0, 0
	}
	return utf8.DecodeRuneInString(p.src[p.pos:])
}

func (p *splitter) advance() rune {
	r, n := p.peek()
	p.pos += n
	if r == '\n' {
		p.line++
		p.col = 1
	} else {
		p.col++
	}
	return r
}

// restOfLine returns the text up to the end of the line (without the
// newline) and moves past the newline.
func (p *splitter) restOfLine() string {
	end := strings.IndexByte(p.src[p.pos:], '\n')
	var s string
	if end < 0 {
		s = p.src[p.pos:]
	} else {
		s = p.src[p.pos : p.pos+end]
	}
	for p.pos < len(p.src) {
		if p.advance() == '\n' {
			break
		}
	}
	return strings.TrimRight(s, " \t\r")
}

func (p *splitter) run() ([]Item, error) {
	for {
		// Skip blank space between items.
		for {
			r, n := p.peek()
			if n == 0 || !unicode.IsSpace(r) {
				break
			}
			p.advance()
		}
		if p.pos >= len(p.src) {
			return p.items, nil
		}
		line, col := p.line, p.col
		switch {
		case strings.HasPrefix(p.src[p.pos:], `\`):
			text := p.restOfLine()
			cmd, err := parseMeta(text, line, col)
			if err != nil {
				return nil, err
			}
			p.items = append(p.items, Item{Kind: Meta, Line: line, Col: col, Text: text, Cmd: cmd})
		case strings.HasPrefix(p.src[p.pos:], "--"):
			p.items = append(p.items, Item{Kind: Comment, Line: line, Col: col, Text: p.restOfLine()})
		default:
			p.statement(line, col)
		}
	}
}

// statement reads one SQL statement up to its ';', honouring quotes and
// comments. A statement cut short by the end of the input or by a
// meta-command line is kept with an error of its own.
func (p *splitter) statement(line, col int) {
	start := p.pos
	var quote rune
	atLineStart := false
	for p.pos < len(p.src) {
		r, _ := p.peek()
		if quote != 0 {
			p.advance()
			if r == quote {
				// A doubled quote is an escaped quote.
				if r2, _ := p.peek(); r2 == quote {
					p.advance()
					continue
				}
				quote = 0
			}
			continue
		}
		if atLineStart && r == '\\' {
			break // a meta-command cuts the open statement short
		}
		if r == '\n' {
			atLineStart = true
			p.advance()
			continue
		}
		if !unicode.IsSpace(r) {
			atLineStart = false
		}
		switch {
		case r == '\'' || r == '"' || r == '`':
			quote = r
			p.advance()
		case strings.HasPrefix(p.src[p.pos:], "--"):
			for p.pos < len(p.src) {
				if r, _ := p.peek(); r == '\n' {
					break
				}
				p.advance()
			}
		case strings.HasPrefix(p.src[p.pos:], "/*"):
			p.advance()
			p.advance()
			for p.pos < len(p.src) && !strings.HasPrefix(p.src[p.pos:], "*/") {
				p.advance()
			}
			if p.pos < len(p.src) {
				p.advance()
				p.advance()
			}
		case r == ';':
			text := p.src[start:p.pos]
			p.advance()
			p.items = append(p.items, Item{Kind: SQL, Line: line, Col: col, Text: strings.TrimRight(text, " \t\r\n")})
			return
		default:
			p.advance()
		}
	}
	text := strings.TrimRight(p.src[start:p.pos], " \t\r\n")
	el, ec := endOf(text, line, col)
	p.items = append(p.items, Item{Kind: SQL, Line: line, Col: col, Text: text,
		Err: &Error{Line: el, Col: ec, Msg: msgUnterminated}})
}

// endOf returns the position just after text, which starts at (line, col).
func endOf(text string, line, col int) (int, int) {
	for _, r := range text {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
