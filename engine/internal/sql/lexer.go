package sql

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // an unquoted word: identifier or keyword; val is lower case
	tQIdent         // a "quoted" or `quoted` identifier; val is unescaped, lower case
	tInt            // decimal digits; val is the digits
	tString         // 'text'; val is unescaped
	tOp             // punctuation or operator; val is its text ("<>" for "!=")
)

// token is one lexeme. pos is where it starts and end just after it; off and
// endOff are the byte offsets of the same.
type token struct {
	kind tokKind
	// reserved is set on a tIdent whose val is a reserved word.
	reserved    bool
	pos, end    Pos
	off, endOff int
	text        string // the source text
	val         string
}

// maxIdentLen is MySQL's limit on identifier length, in characters.
const maxIdentLen = 64

// reserved lists the words that cannot be unquoted identifiers. Other
// keywords (BEGIN, TEXT, SESSION, COUNT, ...) are words that mean something
// only where the grammar expects them.
var reserved = map[string]bool{
	"and": true, "as": true, "asc": true, "between": true, "by": true,
	"create": true, "default": true, "delete": true, "desc": true,
	"distinct": true, "drop": true, "exists": true, "false": true,
	"for": true, "from": true, "if": true, "in": true, "insert": true,
	"into": true, "is": true, "key": true, "limit": true, "not": true,
	"null": true, "or": true, "order": true, "primary": true,
	"select": true, "set": true, "table": true, "true": true,
	"update": true, "values": true, "where": true,
}

// keywords are the words statements are made of besides the reserved
// ones.
var keywords = []string{
	"auto_increment", "avg", "begin", "bigint", "commit", "count",
	"global", "int", "integer", "local", "max", "min", "offset",
	"rollback", "session", "start", "sum", "text", "to",
	"transaction", "varchar", "work",
}

// keyword is a slot of keywordTable.
type keyword struct {
	word     string
	reserved bool
}

// keywordTable holds every keyword, reserved or not, in lower case, at the
// slot keywordHash gives or the first free one after it, so that lexing
// "INSERT" finds "insert" rather than allocating it. A table rather than a
// map: one hash of three bytes and, mostly, one comparison, where a map
// hashes the whole word through calls that are costly in wasm. It is a
// quarter full, and the hash puts no two of today's keywords in one slot.
var keywordTable = func() (t [keywordSlots]keyword) {
	add := func(w string, res bool) {
		h := keywordHash(w)
		for t[h].word != "" {
			h = (h + 1) % keywordSlots
		}
		t[h] = keyword{w, res}
	}
	for w := range reserved {
		add(w, true)
	}
	for _, w := range keywords {
		add(w, false)
	}
	return t
}()

const keywordSlots = 256

// keywordHash hashes a non-empty word by its first two bytes and length.
func keywordHash(w string) uint32 {
	h := uint32(w[0]) + 45*uint32(len(w))
	if len(w) > 1 {
		h += 7 * uint32(w[1])
	}
	return h % keywordSlots
}

// maxKeywordLen bounds the words lowerWord looks up.
const maxKeywordLen = 16

// lowerWord returns a non-empty word in lower case, as strings.ToLower
// does, and whether that is a reserved word.
func lowerWord(word string) (string, bool) {
	if len(word) > maxKeywordLen {
		lw := strings.ToLower(word)
		return lw, reserved[lw]
	}
	var buf [maxKeywordLen]byte
	upper := false
	for i := 0; i < len(word); i++ {
		c := word[i]
		if c >= utf8.RuneSelf {
			lw := strings.ToLower(word)
			return lw, reserved[lw]
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
			upper = true
		}
		buf[i] = c
	}
	lw := buf[:len(word)]
	for h := keywordHash(string(lw)); keywordTable[h].word != ""; h = (h + 1) % keywordSlots {
		if k := &keywordTable[h]; k.word == string(lw) {
			return k.word, k.reserved
		}
	}
	if !upper {
		return word, false
	}
	return string(lw), false
}

// lexer turns source text into tokens, tracking line and column in runes.
type lexer struct {
	src       string
	off       int
	line, col int
	toks      []token
}

// lex returns the tokens of src, which starts at (line, col), ending with a
// tEOF token placed just after the last real token (or at the start when
// there is none).
func lex(src string, line, col int) ([]token, *Error) {
	// A statement has about one token per three bytes of source: sized
	// so, the token slice is allocated once for most statements.
	return lexInto(make([]token, 0, min(len(src)/3, 64)+2), src, line, col)
}

// lexInto is lex appending to toks, an empty slice whose room it uses.
func lexInto(toks []token, src string, line, col int) ([]token, *Error) {
	l := &lexer{src: src, line: line, col: col, toks: toks}
	for l.off < len(l.src) {
		// Only a byte that may start blank space or a comment needs
		// skipSpace; when it skips nothing ('-' or '/' alone), it is a
		// token.
		if c := l.src[l.off]; c <= ' ' || c == '-' || c == '/' {
			off := l.off
			if err := l.skipSpace(); err != nil {
				return nil, err
			}
			if l.off != off {
				continue
			}
		}
		if err := l.next(); err != nil {
			return nil, err
		}
	}
	eof := token{kind: tEOF, pos: Pos{line, col}}
	if n := len(l.toks); n > 0 {
		eof.pos, eof.off = l.toks[n-1].end, l.toks[n-1].endOff
	}
	eof.end, eof.endOff = eof.pos, eof.off
	return append(l.toks, eof), nil
}

func (l *lexer) pos() Pos { return Pos{l.line, l.col} }

func (l *lexer) peekRune(ahead int) rune {
	off := l.off
	for ; ahead > 0 && off < len(l.src); ahead-- {
		_, w := utf8.DecodeRuneInString(l.src[off:])
		off += w
	}
	if off >= len(l.src) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(l.src[off:])
	return r
}

// advance consumes one rune.
func (l *lexer) advance() {
	r, w := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += w
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
}

func (l *lexer) skipSpace() *Error {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			l.off++
			l.col++
		case c == '\n':
			l.off++
			l.line++
			l.col = 1
		case c == '-' && l.off+1 < len(l.src) && l.src[l.off+1] == '-':
			// A line comment: up to the newline, which the loop takes.
			end := strings.IndexByte(l.src[l.off:], '\n')
			if end < 0 {
				end = len(l.src) - l.off
			}
			l.col += utf8.RuneCountInString(l.src[l.off : l.off+end])
			l.off += end
		case c == '/' && l.peekRune(1) == '*':
			start, startOff := l.pos(), l.off
			l.advance()
			l.advance()
			for {
				if l.off >= len(l.src) {
					return errAt(start, CodeSyntax, "unterminated /* comment at or near \"%s\"", shorten(l.src[startOff:]))
				}
				if l.src[l.off] == '*' && l.peekRune(1) == '/' {
					l.advance()
					l.advance()
					break
				}
				l.advance()
			}
		default:
			return nil
		}
	}
	return nil
}

func isIdentStart(r rune) bool {
	return r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') ||
		(r >= utf8.RuneSelf && r != utf8.RuneError && unicode.IsLetter(r))
}

func isIdentPart(r rune) bool {
	return isIdentStart(r) || ('0' <= r && r <= '9') || r == '$'
}

// identByte tells, for each ASCII byte, whether isIdentPart holds for it.
var identByte = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = isIdentPart(rune(c))
	}
	return t
}()

func (l *lexer) emit(kind tokKind, start Pos, startOff int, val string) {
	t := l.add()
	t.kind, t.reserved, t.pos, t.end, t.off, t.endOff = kind, false, start, l.pos(), startOff, l.off
	t.text, t.val = l.src[startOff:l.off], val
}

// add appends a token for the caller to fill in, field by field: the
// token array is kept from one input to the next, and a whole token
// copied in goes through the runtime's bulk write barrier while the
// collector marks, where two string stores take one barrier each. Every
// field must be set.
func (l *lexer) add() *token {
	if len(l.toks) == cap(l.toks) {
		l.toks = append(l.toks, token{})
	} else {
		l.toks = l.toks[:len(l.toks)+1]
	}
	return &l.toks[len(l.toks)-1]
}

// emitWord emits a word, lower case, marked if it is reserved.
func (l *lexer) emitWord(start Pos, startOff int) {
	val, res := lowerWord(l.src[startOff:l.off])
	t := l.add()
	t.kind, t.reserved, t.pos, t.end, t.off, t.endOff = tIdent, res, start, l.pos(), startOff, l.off
	t.text, t.val = l.src[startOff:l.off], val
}

func (l *lexer) next() *Error {
	start, startOff := l.pos(), l.off
	r := rune(l.src[l.off])
	if r >= utf8.RuneSelf {
		r, _ = utf8.DecodeRuneInString(l.src[l.off:])
	}
	switch {
	case r == '\'':
		return l.quoted('\'', tString, start, startOff)
	case r == '"' || r == '`':
		return l.quoted(r, tQIdent, start, startOff)
	case '0' <= r && r <= '9':
		return l.number(start, startOff)
	case isIdentStart(r):
		// ASCII letters, digits, '_' and '$' are one byte and one column
		// each; any other byte goes through the rune-by-rune test.
		for l.off < len(l.src) {
			if c := l.src[l.off]; c < utf8.RuneSelf {
				if !identByte[c] {
					break
				}
				l.off++
				l.col++
				continue
			}
			if !isIdentPart(l.peekRune(0)) {
				break
			}
			l.advance()
		}
		word := l.src[startOff:l.off]
		if len(word) > maxIdentLen && utf8.RuneCountInString(word) > maxIdentLen {
			return errAt(start, CodeTooLongIdent, "Identifier name '%s' is too long", word)
		}
		l.emitWord(start, startOff)
		return nil
	}
	if r < utf8.RuneSelf {
		l.off++
		l.col++
	} else {
		l.advance()
	}
	// An operator's value is its source text (a substring, no allocation),
	// except where it is spelt another way.
	op := l.src[startOff:l.off]
	switch r {
	case '(', ')', ',', ';', '.', '*', '+', '-', '/', '%', '=':
	case '<':
		if c := l.peekRune(0); c == '=' || c == '>' {
			l.advance()
			op = l.src[startOff:l.off]
		}
	case '>':
		if l.peekRune(0) == '=' {
			l.advance()
			op = ">="
		}
	case '!':
		if l.peekRune(0) != '=' {
			return errAt(start, CodeSyntax, "syntax error at or near \"!\"")
		}
		l.advance()
		op = "<>"
	case '@':
		if l.peekRune(0) != '@' {
			return errAt(start, CodeNotSupported, "user variables (@name) are not supported; use SET name = value")
		}
		l.advance()
		op = "@@"
	default:
		return errAt(start, CodeSyntax, "syntax error at or near \"%s\"", l.src[startOff:l.off])
	}
	l.emit(tOp, start, startOff, op)
	return nil
}

// quoted lexes a string or a quoted identifier; a doubled quote stands for
// one quote.
func (l *lexer) quoted(q rune, kind tokKind, start Pos, startOff int) *Error {
	l.advance()
	// Until a doubled quote turns up, the value is the source text between
	// the quotes and needs no copy; b is filled only after one.
	var b strings.Builder
	from, plain := l.off, true
	for {
		if l.off >= len(l.src) {
			what := "quoted string"
			if kind == tQIdent {
				what = "quoted identifier"
			}
			return errAt(start, CodeSyntax, "unterminated %s at or near \"%s\"", what, shorten(l.src[startOff:]))
		}
		c := l.src[l.off]
		if plain && c < utf8.RuneSelf && c != byte(q) && c != '\n' {
			// The common case, one byte and one column.
			l.off++
			l.col++
			continue
		}
		if l.peekRune(0) == q {
			l.advance()
			if l.off < len(l.src) && l.peekRune(0) == q {
				if plain {
					// Everything before this pair's first quote, as
					// the runes below would have written it.
					b.WriteString(l.src[from : l.off-1])
					plain = false
				}
				l.advance()
				b.WriteRune(q)
				continue
			}
			break
		}
		if !plain {
			r, w := utf8.DecodeRuneInString(l.src[l.off:])
			if r == utf8.RuneError && w == 1 {
				b.WriteByte(l.src[l.off]) // keep invalid bytes as they are
			} else {
				b.WriteRune(r)
			}
		}
		l.advance()
	}
	var val string
	if plain {
		val = l.src[from : l.off-1] // the closing quote is one byte
	} else {
		val = b.String()
	}
	if kind == tQIdent {
		if val == "" {
			return errAt(start, CodeSyntax, "zero-length delimited identifier at or near \"%s\"", l.src[startOff:l.off])
		}
		if utf8.RuneCountInString(val) > maxIdentLen {
			return errAt(start, CodeTooLongIdent, "Identifier name '%s' is too long", val)
		}
		val = strings.ToLower(val)
	}
	l.emit(kind, start, startOff, val)
	return nil
}

func (l *lexer) number(start Pos, startOff int) *Error {
	// Digits and '.' are one byte and one column each.
	off := l.off
	for off < len(l.src) && l.src[off] >= '0' && l.src[off] <= '9' {
		off++
	}
	decimal := false
	if off < len(l.src) && l.src[off] == '.' {
		decimal = true
		off++
		for off < len(l.src) && l.src[off] >= '0' && l.src[off] <= '9' {
			off++
		}
	}
	l.col += off - l.off
	l.off = off
	junk := false
	for l.off < len(l.src) {
		if c := l.src[l.off]; c < utf8.RuneSelf && !identByte[c] {
			break
		}
		if !isIdentPart(l.peekRune(0)) {
			break
		}
		junk = true
		l.advance()
	}
	text := l.src[startOff:l.off]
	switch {
	case junk:
		return errAt(start, CodeSyntax, "trailing junk after numeric literal at or near \"%s\"", text)
	case decimal:
		return errAt(start, CodeNotSupported, "decimal numbers are not supported (the model's numbers are 64-bit integers): %s", text)
	}
	l.emit(tInt, start, startOff, text)
	return nil
}

// shorten cuts s to its first line and at most 32 runes, for quoting the
// rest of an input in an error message.
func shorten(s string) string {
	cut := false
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s, cut = s[:i], true
	}
	if utf8.RuneCountInString(s) > 32 {
		n := 0
		for i := range s {
			if n == 32 {
				s, cut = s[:i], true
				break
			}
			n++
		}
	}
	if cut {
		s += "..."
	}
	return s
}

func errAt(pos Pos, code Code, format string, args ...any) *Error {
	return ErrorAt(pos, code, format, args...)
}
