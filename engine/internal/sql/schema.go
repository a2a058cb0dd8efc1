package sql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxWidth is the longest VARCHAR(n) the language accepts, MySQL's limit.
const maxWidth = 65535

// Column describes one column of a table.
type Column struct {
	Name string
	Type Type
	// Width is the most characters (runes) a VARCHAR(n) or CHAR(n) column
	// holds; 0 for INT and TEXT (no limit). CHAR(n) is stored and printed as
	// VARCHAR(n): the model does not pad.
	Width int
	// NotNull is true for NOT NULL columns and for the primary key.
	NotNull    bool
	PrimaryKey bool
	// AutoIncrement is only ever set on an INT primary key.
	AutoIncrement bool
	// Default is the DEFAULT value, already of the column's type; NULL when
	// the column has none (DEFAULT NULL is the same as no default).
	Default Value
}

// String prints the column as CREATE TABLE declares it.
func (c Column) String() string {
	var b strings.Builder
	b.WriteString(QuoteIdent(c.Name))
	b.WriteByte(' ')
	b.WriteString(c.TypeString())
	if c.NotNull && !c.PrimaryKey {
		b.WriteString(" NOT NULL")
	}
	if !c.Default.IsNull() {
		b.WriteString(" DEFAULT ")
		b.WriteString(c.Default.SQL())
	}
	if c.PrimaryKey {
		b.WriteString(" PRIMARY KEY")
	}
	if c.AutoIncrement {
		b.WriteString(" AUTO_INCREMENT")
	}
	return b.String()
}

// TypeString prints the column's type: INT, TEXT or VARCHAR(n).
func (c Column) TypeString() string {
	if c.Type == TypeText && c.Width > 0 {
		return "VARCHAR(" + strconv.Itoa(c.Width) + ")"
	}
	return c.Type.String()
}

// Assign converts v for storing in column c, the way MySQL's strict mode
// does, or says why it cannot (pos is where the value came from, row the
// 1-based row number for the message):
//
//   - NULL in a NOT NULL column: ERROR 1048 "Column 'n' cannot be null".
//   - a text in an INT column: converted if it is a decimal integer
//     (optionally signed, with spaces around), ERROR 1264 "Out of range
//     value" if that overflows, else ERROR 1366 "Incorrect integer value".
//   - an integer in a text column: its decimal text.
//   - a text longer than Width runes: ERROR 1406 "Data too long".
//
// Assign does not know about AUTO_INCREMENT: [InsertPlan.Row] handles that
// before it assigns.
func (c Column) Assign(pos Pos, v Value, row int) (Value, error) {
	switch v.kind {
	case KindNull:
		if c.NotNull {
			return v, ErrorAt(pos, CodeBadNull, "Column '%s' cannot be null", c.Name)
		}
		return v, nil
	case KindInt:
		if c.Type == TypeText {
			v = Text(v.String())
		}
	case KindText:
		if c.Type == TypeInt {
			n, ok, overflow := parseIntText(v.s)
			if overflow {
				return v, ErrorAt(pos, CodeOutOfRange, "Out of range value for column '%s' at row %d", c.Name, row)
			}
			if !ok {
				return v, ErrIncorrectValue(pos, c.Type, v, c.Name, row)
			}
			return Int(n), nil
		}
	}
	if c.Type == TypeText && c.Width > 0 && utf8.RuneCountInString(v.s) > c.Width {
		return v, ErrorAt(pos, CodeDataTooLong, "Data too long for column '%s' at row %d", c.Name, row)
	}
	return v, nil
}

// Schema is a table's definition: its name, its columns in order and which
// of them is the primary key. A row of the table is a []Value with one value
// per column, in this order.
type Schema struct {
	Table      string
	Columns    []Column
	PrimaryKey int // index in Columns
}

// Schema returns the schema the statement defines. The schema shares
// nothing with the statement.
func (s *CreateTable) Schema() *Schema {
	sc := &Schema{Table: s.Table.Name, Columns: make([]Column, len(s.Columns))}
	for i, c := range s.Columns {
		sc.Columns[i] = c.Column
		if c.PrimaryKey {
			sc.PrimaryKey = i
		}
	}
	return sc
}

// ColumnIndex returns the index of the column named name (lower case), or
// -1 if there is none.
func (s *Schema) ColumnIndex(name string) int {
	for i := range s.Columns {
		if s.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

// Key returns the primary key of a row of the table.
func (s *Schema) Key(row []Value) Value { return row[s.PrimaryKey] }

// String prints the schema as the canonical CREATE TABLE that defines it.
// ParseStatement of the text gives back a *CreateTable whose Schema equals
// s, so a catalog can be kept (and logged in redo records) as this text.
func (s *Schema) String() string {
	ct := &CreateTable{Table: Ident{Name: s.Table}}
	for _, c := range s.Columns {
		ct.Columns = append(ct.Columns, ColumnDef{Column: c})
	}
	return ct.String()
}
