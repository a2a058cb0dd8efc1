package sql

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Kind is the kind of a [Value]: NULL, an integer or a text.
type Kind uint8

// The kinds of values.
const (
	KindNull Kind = iota
	KindInt
	KindText
)

// String returns "NULL", "INT" or "TEXT".
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "NULL"
	case KindInt:
		return "INT"
	case KindText:
		return "TEXT"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Value is one SQL value: NULL, a 64-bit integer or a text. The zero Value is
// NULL. Values are comparable with ==, which is identity (NULL == NULL holds),
// not SQL's "=" (see [Compare] and [Eval]).
type Value struct {
	kind Kind
	i    int64
	s    string
}

// Int returns the integer value n.
func Int(n int64) Value { return Value{kind: KindInt, i: n} }

// Text returns the text value s. s is kept as bytes; it need not be UTF-8.
func Text(s string) Value { return Value{kind: KindText, s: s} }

// Null returns NULL (the zero Value).
func Null() Value { return Value{} }

// Bool returns 1 for true and 0 for false, as MySQL represents booleans.
func Bool(b bool) Value {
	if b {
		return Int(1)
	}
	return Int(0)
}

// Kind returns the kind of v.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is NULL.
func (v Value) IsNull() bool { return v.kind == KindNull }

// Int returns v's integer; it is 0 unless v.Kind() is KindInt.
func (v Value) Int() int64 { return v.i }

// Text returns v's text; it is "" unless v.Kind() is KindText.
func (v Value) Text() string { return v.s }

// String prints v as a result prints it: NULL as "NULL", an integer in
// decimal, a text bare (no quotes, no escaping).
func (v Value) String() string {
	switch v.kind {
	case KindInt:
		return strconv.FormatInt(v.i, 10)
	case KindText:
		return v.s
	}
	return "NULL"
}

// SQL prints v as a literal of the language: NULL, -5, or a text in single
// quotes with each quote inside doubled.
// Parsing the printed literal gives v back.
func (v Value) SQL() string {
	switch v.kind {
	case KindInt:
		return strconv.FormatInt(v.i, 10)
	case KindText:
		return "'" + strings.ReplaceAll(v.s, "'", "''") + "'"
	}
	return "NULL"
}

// Compare is the total order of values used for keys and ORDER BY: NULL
// first, then integers in numeric order, then texts in byte order. It
// returns -1, 0 or +1. Unlike SQL's comparisons it never yields unknown:
// Compare(NULL, NULL) is 0.
func Compare(a, b Value) int {
	if a.kind != b.kind {
		if a.kind < b.kind {
			return -1
		}
		return 1
	}
	switch a.kind {
	case KindInt:
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	case KindText:
		return strings.Compare(a.s, b.s)
	}
	return 0
}

// Type is the type of a column: INT (64-bit, MySQL's BIGINT range) or TEXT.
type Type uint8

// The column types. INT, INTEGER and BIGINT are TypeInt; TEXT, VARCHAR(n)
// and CHAR(n) are TypeText (with a width for the latter two).
const (
	TypeInt Type = iota + 1
	TypeText
)

// String returns "INT" or "TEXT".
func (t Type) String() string {
	switch t {
	case TypeInt:
		return "INT"
	case TypeText:
		return "TEXT"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// mysqlName is the type's word in MySQL's "Incorrect integer value" error.
func (t Type) mysqlName() string {
	if t == TypeInt {
		return "integer"
	}
	return "string"
}

// parseIntText converts a text to an integer the way the model's strict mode
// does: optional ASCII spaces around an optional sign and decimal digits,
// nothing else. ok is false for anything else; overflow is reported apart so
// that the caller can say "out of range" rather than "incorrect".
func parseIntText(s string) (n int64, ok, overflow bool) {
	s = strings.Trim(s, " ")
	if s == "" {
		return 0, false, false
	}
	digits := s
	if digits[0] == '+' || digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" {
		return 0, false, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false, false
		}
	}
	if s[0] == '+' {
		s = s[1:]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, true
	}
	return n, true, false
}

// ErrCorrupt is returned (wrapped) by the decoders for bytes that are not a
// canonical encoding.
var ErrCorrupt = errors.New("sql: corrupt value encoding")

// The encoding's tags. Each value is its tag byte followed by, for an
// integer, a zig-zag varint, and for a text, a uvarint length and the bytes.
const (
	tagNull byte = 0
	tagInt  byte = 1
	tagText byte = 2
)

// AppendValue appends the encoding of v to dst and returns the extended
// slice. The encoding is deterministic and compact: NULL is one byte, a small
// integer two, a text its length plus two or more.
func AppendValue(dst []byte, v Value) []byte {
	switch v.kind {
	case KindInt:
		dst = append(dst, tagInt)
		return binary.AppendVarint(dst, v.i)
	case KindText:
		dst = append(dst, tagText)
		dst = binary.AppendUvarint(dst, uint64(len(v.s)))
		return append(dst, v.s...)
	}
	return append(dst, tagNull)
}

// Encode returns the encoding of v (see [AppendValue]).
func (v Value) Encode() []byte { return AppendValue(nil, v) }

// DecodeValue decodes one value from the front of b and returns it with the
// number of bytes it used. It accepts exactly the encodings AppendValue
// produces (no overlong varints), so decoding and re-encoding gives the same
// bytes; anything else is an error wrapping ErrCorrupt.
func DecodeValue(b []byte) (Value, int, error) {
	if len(b) == 0 {
		return Value{}, 0, fmt.Errorf("%w: empty input", ErrCorrupt)
	}
	switch b[0] {
	case tagNull:
		return Value{}, 1, nil
	case tagInt:
		n, w := binary.Varint(b[1:])
		if w <= 0 || w != varintLen(n) {
			return Value{}, 0, fmt.Errorf("%w: bad integer", ErrCorrupt)
		}
		return Int(n), 1 + w, nil
	case tagText:
		l, w := binary.Uvarint(b[1:])
		if w <= 0 || w != uvarintLen(l) {
			return Value{}, 0, fmt.Errorf("%w: bad text length", ErrCorrupt)
		}
		rest := b[1+w:]
		if l > uint64(len(rest)) {
			return Value{}, 0, fmt.Errorf("%w: text of %d bytes, %d left", ErrCorrupt, l, len(rest))
		}
		return Text(string(rest[:l])), 1 + w + int(l), nil
	}
	return Value{}, 0, fmt.Errorf("%w: unknown tag %d", ErrCorrupt, b[0])
}

// Decode decodes a value encoded by [Value.Encode]; b must hold exactly one
// value.
func Decode(b []byte) (Value, error) {
	v, n, err := DecodeValue(b)
	if err != nil {
		return Value{}, err
	}
	if n != len(b) {
		return Value{}, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(b)-n)
	}
	return v, nil
}

// AppendRow appends the encoding of a row to dst: a uvarint count followed
// by each value as AppendValue encodes it.
func AppendRow(dst []byte, row []Value) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(row)))
	for _, v := range row {
		dst = AppendValue(dst, v)
	}
	return dst
}

// DecodeRow decodes a row from the front of b and returns it with the number
// of bytes used. The returned row is newly allocated.
func DecodeRow(b []byte) ([]Value, int, error) {
	c, w := binary.Uvarint(b)
	if w <= 0 || w != uvarintLen(c) {
		return nil, 0, fmt.Errorf("%w: bad row length", ErrCorrupt)
	}
	// Every value takes at least one byte: a count beyond what is left is
	// corrupt, and checking first keeps a bad count from allocating.
	if c > uint64(len(b)-w) {
		return nil, 0, fmt.Errorf("%w: row of %d values in %d bytes", ErrCorrupt, c, len(b)-w)
	}
	row := make([]Value, c)
	n := w
	for i := range row {
		v, m, err := DecodeValue(b[n:])
		if err != nil {
			return nil, 0, err
		}
		row[i] = v
		n += m
	}
	return row, n, nil
}

func varintLen(x int64) int {
	var buf [binary.MaxVarintLen64]byte
	return binary.PutVarint(buf[:], x)
}

func uvarintLen(x uint64) int {
	var buf [binary.MaxVarintLen64]byte
	return binary.PutUvarint(buf[:], x)
}
