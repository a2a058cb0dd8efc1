package sql

// Chunk is the text of one statement of a script and where it starts.
type Chunk struct {
	// Text runs from the statement's first token to its last, without the
	// terminating ';'; comments inside are kept.
	Text      string
	Line, Col int
}

// Split cuts a script that starts at line and col into its statements at
// each ';' outside quotes and comments, skipping empty statements. Passing a
// chunk to ParseStatement(c.Text, c.Line, c.Col) gives positions in the
// script. The error, an *Error, is a quote or comment left open, or a
// character that is no token (the only errors found before parsing).
func Split(src string, line, col int) ([]Chunk, error) {
	if line < 1 || col < 1 {
		line, col = 1, 1
	}
	toks, err := lex(src, line, col)
	if err != nil {
		return nil, err
	}
	var out []Chunk
	start := -1
	for i, t := range toks {
		end := t.kind == tEOF || t.kind == tOp && t.val == ";"
		if !end {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			first, last := toks[start], toks[i-1]
			out = append(out, Chunk{Text: src[first.off:last.endOff], Line: first.pos.Line, Col: first.pos.Col})
			start = -1
		}
	}
	return out, nil
}

// Complete reports whether src, the lines typed so far at a console, ends a
// statement: its last token is a ';' outside quotes and comments. A console
// keeps reading lines until it does (as psql and mysql do). Text with a quote
// or comment still open is not complete; text that cannot be lexed for
// another reason is complete if it ends with ';', so that the parser reports
// the error.
func Complete(src string) bool {
	state := byte(0) // 0, or the open quote, or '*' inside /* */
	last := byte(0)  // the last significant byte outside quotes and comments
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch state {
		case '\'', '"', '`':
			if c == state {
				if i+1 < len(src) && src[i+1] == state {
					i++
					continue
				}
				state, last = 0, c
			}
			continue
		case '*':
			if c == '*' && i+1 < len(src) && src[i+1] == '/' {
				state = 0
				i++
			}
			continue
		}
		switch {
		case c == '\'' || c == '"' || c == '`':
			state = c
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			state = '*'
			i++
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
		default:
			last = c
		}
	}
	return state == 0 && last == ';'
}
