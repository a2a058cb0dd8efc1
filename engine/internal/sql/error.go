package sql

import (
	"errors"
	"fmt"
)

// Pos is a position in a script: Line and Col are 1-based, and Col counts
// runes (an invalid UTF-8 byte counts as one rune, a tab as one column).
// The zero Pos, NoPos, means "no position".
type Pos struct {
	Line, Col int
}

// NoPos is the zero Pos: no position.
var NoPos = Pos{}

// IsValid reports whether p is a real position (line and column >= 1).
func (p Pos) IsValid() bool { return p.Line >= 1 && p.Col >= 1 }

// Position returns p. Every AST node embeds a Pos, so every node has this
// method; it is how the [Node] interface reaches a node's position.
func (p Pos) Position() Pos { return p }

// String prints p as "line 3, column 14".
func (p Pos) String() string { return fmt.Sprintf("line %d, column %d", p.Line, p.Col) }

// Code is a MySQL error number. Each code has an SQLSTATE ([Code.SQLState]).
// Codes are also errors, so callers test an error's kind with errors.Is:
//
//	if errors.Is(err, sql.CodeDeadlock) { ... }
type Code uint16

// The error codes the language and the executor use. The numbers and the
// message wordings are MySQL's (ER_* names in comments), so that a MySQL user
// recognises them; syntax errors are worded as PostgreSQL words them.
const (
	CodeBadNull             Code = 1048 // ER_BAD_NULL_ERROR: Column 'n' cannot be null
	CodeTableExists         Code = 1050 // ER_TABLE_EXISTS_ERROR: Table 't' already exists
	CodeUnknownTable        Code = 1051 // ER_BAD_TABLE_ERROR: Unknown table 't' (DROP TABLE)
	CodeBadField            Code = 1054 // ER_BAD_FIELD_ERROR: Unknown column 'x' in 'field list'
	CodeTooLongIdent        Code = 1059 // ER_TOO_LONG_IDENT
	CodeDupFieldName        Code = 1060 // ER_DUP_FIELDNAME: Duplicate column name 'x'
	CodeDupEntry            Code = 1062 // ER_DUP_ENTRY: Duplicate entry '1' for key 'PRIMARY'
	CodeWrongFieldSpec      Code = 1063 // ER_WRONG_FIELD_SPEC: Incorrect column specifier
	CodeSyntax              Code = 1064 // ER_PARSE_ERROR: every syntax error
	CodeEmptyQuery          Code = 1065 // ER_EMPTY_QUERY: Query was empty
	CodeInvalidDefault      Code = 1067 // ER_INVALID_DEFAULT: Invalid default value for 'x'
	CodeMultiplePrimaryKey  Code = 1068 // ER_MULTIPLE_PRI_KEY: Multiple primary key defined
	CodeKeyColumnMissing    Code = 1072 // ER_KEY_COLUMN_DOES_NOT_EXITS: Key column 'x' doesn't exist in table
	CodeTooBigFieldLength   Code = 1074 // ER_TOO_BIG_FIELDLENGTH
	CodeWrongAutoKey        Code = 1075 // ER_WRONG_AUTO_KEY
	CodeNoTablesUsed        Code = 1096 // ER_NO_TABLES_USED: No tables used
	CodeUnknown             Code = 1105 // ER_UNKNOWN_ERROR: the generic error
	CodeFieldSpecifiedTwice Code = 1110 // ER_FIELD_SPECIFIED_TWICE: Column 'x' specified twice
	CodeInvalidGroupFuncUse Code = 1111 // ER_INVALID_GROUP_FUNC_USE: Invalid use of group function
	CodeWrongValueCount     Code = 1136 // ER_WRONG_VALUE_COUNT_ON_ROW
	CodeMixOfGroupFunc      Code = 1140 // ER_MIX_OF_GROUP_FUNC_AND_FIELDS
	CodeNoSuchTable         Code = 1146 // ER_NO_SUCH_TABLE: Table 't' doesn't exist
	CodePrimaryCantHaveNull Code = 1171 // ER_PRIMARY_CANT_HAVE_NULL
	CodeRequiresPrimaryKey  Code = 1173 // ER_REQUIRES_PRIMARY_KEY
	CodeUnknownSystemVar    Code = 1193 // ER_UNKNOWN_SYSTEM_VARIABLE: Unknown system variable 'x'
	CodeLockWaitTimeout     Code = 1205 // ER_LOCK_WAIT_TIMEOUT
	CodeDeadlock            Code = 1213 // ER_LOCK_DEADLOCK: multi-master write conflicts
	CodeWrongValueForVar    Code = 1231 // ER_WRONG_VALUE_FOR_VAR
	CodeNotSupported        Code = 1235 // ER_NOT_SUPPORTED_YET
	CodeOutOfRange          Code = 1264 // ER_WARN_DATA_OUT_OF_RANGE: Out of range value for column 'n' at row 1
	CodeReadOnly            Code = 1290 // ER_OPTION_PREVENTS_STATEMENT: --read-only
	CodeTruncatedWrongValue Code = 1292 // ER_TRUNCATED_WRONG_VALUE: Truncated incorrect INTEGER value: 'abc'
	CodeNoSuchFunction      Code = 1305 // ER_SP_DOES_NOT_EXIST: FUNCTION f does not exist
	CodeNoDefault           Code = 1364 // ER_NO_DEFAULT_FOR_FIELD: Field 'n' doesn't have a default value
	CodeDivisionByZero      Code = 1365 // ER_DIVISION_BY_ZERO: Division by 0
	CodeIncorrectValue      Code = 1366 // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: Incorrect integer value
	CodeDataTooLong         Code = 1406 // ER_DATA_TOO_LONG: Data too long for column 'x' at row 1
	CodeDataOutOfRange      Code = 1690 // ER_DATA_OUT_OF_RANGE: BIGINT value is out of range in '...'
	CodeQueryTimeout        Code = 3024 // ER_QUERY_TIMEOUT: maximum statement execution time exceeded
)

// sqlStates maps each code to its SQLSTATE, as MySQL assigns them.
var sqlStates = [...]struct {
	code  Code
	state string
}{
	{CodeBadNull, "23000"},
	{CodeTableExists, "42S01"},
	{CodeUnknownTable, "42S02"},
	{CodeBadField, "42S22"},
	{CodeTooLongIdent, "42000"},
	{CodeDupFieldName, "42S21"},
	{CodeDupEntry, "23000"},
	{CodeWrongFieldSpec, "42000"},
	{CodeSyntax, "42000"},
	{CodeEmptyQuery, "42000"},
	{CodeInvalidDefault, "42000"},
	{CodeMultiplePrimaryKey, "42000"},
	{CodeKeyColumnMissing, "42000"},
	{CodeTooBigFieldLength, "42000"},
	{CodeWrongAutoKey, "42000"},
	{CodeNoTablesUsed, "HY000"},
	{CodeUnknown, "HY000"},
	{CodeFieldSpecifiedTwice, "42000"},
	{CodeInvalidGroupFuncUse, "HY000"},
	{CodeWrongValueCount, "21S01"},
	{CodeMixOfGroupFunc, "42000"},
	{CodeNoSuchTable, "42S02"},
	{CodePrimaryCantHaveNull, "42000"},
	{CodeRequiresPrimaryKey, "42000"},
	{CodeUnknownSystemVar, "HY000"},
	{CodeLockWaitTimeout, "HY000"},
	{CodeDeadlock, "40001"},
	{CodeWrongValueForVar, "42000"},
	{CodeNotSupported, "42000"},
	{CodeOutOfRange, "22003"},
	{CodeReadOnly, "HY000"},
	{CodeTruncatedWrongValue, "22007"},
	{CodeNoSuchFunction, "42000"},
	{CodeNoDefault, "HY000"},
	{CodeDivisionByZero, "22012"},
	{CodeIncorrectValue, "HY000"},
	{CodeDataTooLong, "22001"},
	{CodeDataOutOfRange, "22003"},
	{CodeQueryTimeout, "HY000"},
}

// SQLState returns the five-character SQLSTATE of c: MySQL's for the codes
// above, "HY000" (general error) for any other.
func (c Code) SQLState() string {
	for _, s := range sqlStates {
		if s.code == c {
			return s.state
		}
	}
	return "HY000"
}

// Error makes a Code usable as an errors.Is target. It prints as
// "sql: ERROR 1213 (40001)".
func (c Code) Error() string { return fmt.Sprintf("sql: ERROR %d (%s)", uint16(c), c.SQLState()) }

// Error is a user-facing error of a statement: a syntax error found by the
// parser, or a semantic or runtime error found while binding or evaluating.
// Line and Col say where (see [Pos]); Code is a MySQL error number; Msg is
// the message without position, worded as MySQL or PostgreSQL word it.
//
// Every Error this package returns has a valid position. Errors made by the
// executor through [ErrorAt] may have none (NoPos), for errors that belong to
// no part of a statement (a commit that timed out, say).
type Error struct {
	Line, Col int
	Code      Code
	Msg       string
}

// ErrorAt returns an Error at pos with the given code and a message made by
// fmt.Sprintf(format, args...). Use the MySQL code and wording that a MySQL
// user would expect; the helpers below ([ErrNoSuchTable], [ErrDupEntry], ...)
// do that for the common cases.
func ErrorAt(pos Pos, code Code, format string, args ...any) *Error {
	return &Error{Line: pos.Line, Col: pos.Col, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Pos returns the position of e.
func (e *Error) Pos() Pos { return Pos{e.Line, e.Col} }

// Error prints e with its position: `line 3, column 14: syntax error at or
// near "FROM"`. Without a position it is the bare message.
func (e *Error) Error() string {
	if !e.Pos().IsValid() {
		return e.Msg
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// Report prints e the way the console and the transcript show it, in the
// manner of the mysql client:
//
//	ERROR 1146 (42S02) at line 3, column 15: Table 't' doesn't exist
//	ERROR 1213 (40001): Deadlock found when trying to get lock; try restarting transaction
//
// (the second form is for an error without a position).
func (e *Error) Report() string {
	if !e.Pos().IsValid() {
		return fmt.Sprintf("ERROR %d (%s): %s", uint16(e.Code), e.Code.SQLState(), e.Msg)
	}
	return fmt.Sprintf("ERROR %d (%s) at line %d, column %d: %s",
		uint16(e.Code), e.Code.SQLState(), e.Line, e.Col, e.Msg)
}

// Is reports whether target is e's Code, so that errors.Is(err, CodeDeadlock)
// holds for a deadlock error at any position.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// CodeOf returns the Code of err if err is or wraps an *Error, and 0 if not.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// ErrNoSuchTable is ERROR 1146 "Table 't' doesn't exist".
func ErrNoSuchTable(pos Pos, table string) *Error {
	return ErrorAt(pos, CodeNoSuchTable, "Table '%s' doesn't exist", table)
}

// ErrUnknownTable is ERROR 1051 "Unknown table 't'", the error of DROP TABLE
// without IF EXISTS on a table that does not exist.
func ErrUnknownTable(pos Pos, table string) *Error {
	return ErrorAt(pos, CodeUnknownTable, "Unknown table '%s'", table)
}

// ErrTableExists is ERROR 1050 "Table 't' already exists".
func ErrTableExists(pos Pos, table string) *Error {
	return ErrorAt(pos, CodeTableExists, "Table '%s' already exists", table)
}

// ErrUnknownColumn is ERROR 1054 "Unknown column 'x' in 'where clause'".
func ErrUnknownColumn(pos Pos, column string, clause Clause) *Error {
	return ErrorAt(pos, CodeBadField, "Unknown column '%s' in '%s'", column, clause)
}

// ErrDupEntry is ERROR 1062 "Duplicate entry '1' for key 'PRIMARY'" (MySQL
// 8.0.19 and later print the key as 't.PRIMARY'; the model prints 'PRIMARY',
// its only key). The entry prints bare, as [Value.String] prints it.
func ErrDupEntry(pos Pos, key Value) *Error {
	return ErrorAt(pos, CodeDupEntry, "Duplicate entry '%s' for key 'PRIMARY'", key.String())
}

// ErrIncorrectValue is ERROR 1366 "Incorrect integer value: 'abc' for column
// 'n' at row 1": a value that cannot be stored in a column of type typ. row is
// 1-based (the row of the INSERT's VALUES, or the count of rows an UPDATE has
// changed so far, plus one).
func ErrIncorrectValue(pos Pos, typ Type, v Value, column string, row int) *Error {
	return ErrorAt(pos, CodeIncorrectValue, "Incorrect %s value: '%s' for column '%s' at row %d",
		typ.mysqlName(), v.String(), column, row)
}

// ErrDivisionByZero is ERROR 1365 "Division by 0".
func ErrDivisionByZero(pos Pos) *Error {
	return ErrorAt(pos, CodeDivisionByZero, "Division by 0")
}

// ErrDeadlock is ERROR 1213 "Deadlock found when trying to get lock; try
// restarting transaction", the error a multi-master writer's transaction gets
// when it loses a page conflict (Aurora multi-master reports conflicts this
// way).
func ErrDeadlock(pos Pos) *Error {
	return ErrorAt(pos, CodeDeadlock, "Deadlock found when trying to get lock; try restarting transaction")
}

// ErrReadOnly is ERROR 1290 "The MySQL server is running with the
// --read-only option so it cannot execute this statement", the error of a
// write on a read replica.
func ErrReadOnly(pos Pos) *Error {
	return ErrorAt(pos, CodeReadOnly, "The MySQL server is running with the --read-only option so it cannot execute this statement")
}

// ErrGeneric is ERROR 1105 (HY000) with the given message, for errors that
// MySQL has no better number for.
func ErrGeneric(pos Pos, format string, args ...any) *Error {
	return ErrorAt(pos, CodeUnknown, format, args...)
}
