package sql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Result is what a statement returns: rows and their column names for a
// SELECT, a count of affected rows for the others.
type Result struct {
	// Columns are the column names; nil for a statement that returns no
	// rows (everything but SELECT).
	Columns []string
	// Rows are the result rows, one value per column.
	Rows [][]Value
	// Affected is the number of rows inserted, changed or deleted.
	Affected int64
}

// Format prints the rows in the form `\expect result` compares: the values
// of a row joined by "|", the rows joined by "; ", each value as
// [Value.String] prints it (NULL as NULL, texts bare):
//
//	1|alice; 2|bob
//
// A result without rows, and a statement that returns none, print "".
// Column names are not part of it.
func (r *Result) Format() string {
	var b strings.Builder
	for i, row := range r.Rows {
		if i > 0 {
			b.WriteString("; ")
		}
		for j, v := range row {
			if j > 0 {
				b.WriteByte('|')
			}
			b.WriteString(v.String())
		}
	}
	return b.String()
}

// Table renders the result for the console and the transcript, as psql's
// aligned format does: a header, a rule, the rows with integer columns
// right-aligned and others left-aligned, and a row count. Lines have no
// trailing spaces and the text no final newline.
//
//	 id | name
//	----+-------
//	  1 | alice
//	  2 | bob
//	(2 rows)
//
// A statement without rows prints as MySQL reports it:
// "Query OK, 1 row affected".
func (r *Result) Table() string {
	if r.Columns == nil {
		// The counts nearly every statement reports need no allocation.
		switch r.Affected {
		case 0:
			return "Query OK, 0 rows affected"
		case 1:
			return "Query OK, 1 row affected"
		}
		return "Query OK, " + plural(r.Affected, "row") + " affected"
	}
	n := len(r.Columns)
	width := make([]int, n)
	numeric := make([]bool, n)
	cells := make([][]string, len(r.Rows))
	for j, c := range r.Columns {
		width[j] = utf8.RuneCountInString(c)
		numeric[j] = true
	}
	for i, row := range r.Rows {
		cells[i] = make([]string, n)
		for j := 0; j < n && j < len(row); j++ {
			s := row[j].String()
			cells[i][j] = s
			width[j] = max(width[j], utf8.RuneCountInString(s))
			if row[j].Kind() == KindText {
				numeric[j] = false
			}
		}
	}
	var b strings.Builder
	line := func(cols []string, align func(j int, s string) string) {
		var l strings.Builder
		for j, s := range cols {
			if j > 0 {
				l.WriteString("|")
			}
			l.WriteByte(' ')
			l.WriteString(align(j, s))
			l.WriteByte(' ')
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	line(r.Columns, func(j int, s string) string { // centred, as psql does
		pad := width[j] - utf8.RuneCountInString(s)
		return strings.Repeat(" ", pad/2) + s + strings.Repeat(" ", pad-pad/2)
	})
	for j := range width {
		if j > 0 {
			b.WriteByte('+')
		}
		b.WriteString(strings.Repeat("-", width[j]+2))
	}
	b.WriteByte('\n')
	for _, row := range cells {
		line(row, func(j int, s string) string {
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(s))
			if numeric[j] {
				return pad + s
			}
			return s + pad
		})
	}
	b.WriteString("(" + plural(int64(len(r.Rows)), "row") + ")")
	return b.String()
}

func plural(n int64, word string) string {
	s := strconv.FormatInt(n, 10) + " " + word
	if n != 1 {
		s += "s"
	}
	return s
}
