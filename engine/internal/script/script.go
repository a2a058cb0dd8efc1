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
		for p.pos < len(p.src) {
			if c := p.src[p.pos]; c < utf8.RuneSelf {
				if !asciiSpace(c) {
					break
				}
				p.pos++
				if c == '\n' {
					p.line++
					p.col = 1
				} else {
					p.col++
				}
				continue
			}
			if r, _ := p.peek(); !unicode.IsSpace(r) {
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
//
// It goes byte by byte: every byte it looks for is ASCII, and an ASCII
// byte is one rune and, but for a newline, one column. Other runes are
// decoded one at a time, to count a column each as advance does.
func (p *splitter) statement(line, col int) {
	start := p.pos
	var quote byte
	atLineStart := false
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c >= utf8.RuneSelf {
			// No quote, newline or punctuation, but maybe a space.
			r, n := utf8.DecodeRuneInString(p.src[p.pos:])
			if quote == 0 && !unicode.IsSpace(r) {
				atLineStart = false
			}
			p.pos += n
			p.col++
			continue
		}
		if quote != 0 {
			p.pos++
			if c == '\n' {
				p.line++
				p.col = 1
				continue
			}
			p.col++
			if c == quote {
				// A doubled quote is an escaped quote.
				if p.pos < len(p.src) && p.src[p.pos] == quote {
					p.pos++
					p.col++
					continue
				}
				quote = 0
			}
			continue
		}
		if atLineStart && c == '\\' {
			break // a meta-command cuts the open statement short
		}
		if c == '\n' {
			atLineStart = true
			p.pos++
			p.line++
			p.col = 1
			continue
		}
		if !asciiSpace(c) {
			atLineStart = false
		}
		switch {
		case c == '\'' || c == '"' || c == '`':
			quote = c
			p.pos++
			p.col++
		case c == '-' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '-':
			// A line comment, up to its newline.
			end := strings.IndexByte(p.src[p.pos:], '\n')
			if end < 0 {
				end = len(p.src) - p.pos
			}
			p.col += utf8.RuneCountInString(p.src[p.pos : p.pos+end])
			p.pos += end
		case c == '/' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '*':
			p.advance()
			p.advance()
			for p.pos < len(p.src) && !strings.HasPrefix(p.src[p.pos:], "*/") {
				p.advance()
			}
			if p.pos < len(p.src) {
				p.advance()
				p.advance()
			}
		case c == ';':
			text := p.src[start:p.pos]
			p.pos++
			p.col++
			p.items = append(p.items, Item{Kind: SQL, Line: line, Col: col, Text: trimEnd(text)})
			return
		default:
			p.pos++
			p.col++
		}
	}
	text := trimEnd(p.src[start:p.pos])
	el, ec := endOf(text, line, col)
	p.items = append(p.items, Item{Kind: SQL, Line: line, Col: col, Text: text,
		Err: &Error{Line: el, Col: ec, Msg: msgUnterminated}})
}

// asciiSpace reports whether unicode.IsSpace holds for ASCII byte c.
func asciiSpace(c byte) bool {
	return c == ' ' || '\t' <= c && c <= '\r'
}

// trimEnd is strings.TrimRight(s, " \t\r\n") without building a set of
// the cut bytes at every call.
func trimEnd(s string) string {
	n := len(s)
	for n > 0 && (s[n-1] == ' ' || s[n-1] == '\t' || s[n-1] == '\r' || s[n-1] == '\n') {
		n--
	}
	return s[:n]
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
