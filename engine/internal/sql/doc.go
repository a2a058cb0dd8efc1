// Package sql is the SQL-like language of Aurora Lab: lexer, parser, syntax
// tree, values, binding, expression evaluation and result formatting. It
// runs no statement against tables: the executor (package db) looks up
// tables, reads pages and writes redo, and uses this package for everything
// the language itself decides.
//
// # The language
//
// A practical subset that a MySQL or PostgreSQL user recognises. Keywords
// are case-insensitive; identifiers too, and are normalised to lower case,
// quoted ("x" or `x`) or not. Strings are in single quotes; a quote inside
// is doubled, and a backslash is an ordinary character. Numbers are 64-bit
// integers (a literal out of range is an error). Comments are -- to the end
// of the line and /* */.
//
//	SELECT 'it''s' AS "Quoted Name" -- a comment
//
//	CREATE TABLE [IF NOT EXISTS] t (id INT PRIMARY KEY AUTO_INCREMENT,
//	    name VARCHAR(20) NOT NULL DEFAULT 'x', n INT, ...)
//	CREATE TABLE t (id INT, name TEXT, PRIMARY KEY (id))
//	DROP TABLE [IF EXISTS] t
//	INSERT INTO t [(c, ...)] VALUES (e, ...), ...
//	UPDATE t SET c = e, ... [WHERE e]
//	DELETE FROM t [WHERE e]
//	SELECT *|e [AS a], ... [FROM t [AS a]] [WHERE e]
//	    [ORDER BY e [ASC|DESC], ...] [LIMIT n [OFFSET m] | LIMIT m, n] [FOR UPDATE]
//	BEGIN | START TRANSACTION, COMMIT, ROLLBACK
//	SET [SESSION|LOCAL|GLOBAL] name = value, SET @@[session.]name = value
//
// Types: INT, INTEGER and BIGINT are one 64-bit integer type; TEXT, and
// VARCHAR(n) and CHAR(n) with at most n characters, are one text type. Every
// table has exactly one primary key column, which is NOT NULL; AUTO_INCREMENT
// is allowed on an INT primary key. Expressions have literals (integers,
// texts, NULL, TRUE = 1, FALSE = 0), columns (optionally table.column), + -
// * / %, unary -, = <> != < <= > >=, AND OR NOT, IS [NOT] NULL, [NOT]
// BETWEEN, [NOT] IN (list), parentheses, and the aggregates COUNT(*),
// COUNT(e), SUM, MIN, MAX. See [Eval] for the typing and NULL rules.
//
// # Positions and errors
//
// Lines and columns are 1-based and columns count runes. The console splits
// a script into statements and parses each with [ParseStatement], passing
// where the statement starts, so positions (in the tree and in errors) are
// the script's. Every node embeds its [Pos].
//
// Every error a user can cause is an [*Error]: a position, a MySQL error
// number ([Code], with its SQLSTATE) and a message. Syntax errors are
// PostgreSQL's (syntax error at or near "FROM", syntax error at end of
// input, unterminated quoted string at or near "'abc") with code 1064;
// the others are MySQL's wording and number (Table 't' doesn't exist, 1146).
// Error() prints the position and message; Report() prints what the console
// and the transcript show, in the mysql client's manner:
//
//	ERROR 1064 (42000) at line 3, column 14: syntax error at or near "FROM"
//	ERROR 1146 (42S02) at line 3, column 15: Table 't' doesn't exist
//	ERROR 1213 (40001): Deadlock found when trying to get lock; try restarting transaction
//
// (the last for an error with no position). Test an error's kind with
// errors.Is(err, CodeDeadlock) or [CodeOf].
//
// # Executing a statement
//
// The executor binds a statement against its table's [Schema], which
// resolves column names to indexes once so that evaluation is by index:
//
//   - SELECT: [BindSelect], then feed rows to a [QueryRun] (from
//     [Query.Start]), which filters, aggregates, sorts and limits.
//   - INSERT: [BindInsert], then [InsertPlan.Row] for each row (defaults,
//     conversions, AUTO_INCREMENT left to the executor).
//   - UPDATE: [BindUpdate], then [Matches] and [UpdatePlan.Apply] per row.
//   - DELETE: [Bind] the WHERE with [ClauseWhere], then [Matches] per row.
//   - CREATE TABLE: [CreateTable.Schema]. [Schema.String] prints the
//     canonical CREATE TABLE, which parses back to the same schema.
//
// [PrimaryKeyRange] narrows a WHERE to the keys it can match, so a point
// statement reads one page. Results are a [Result]: [Result.Format] is what
// `\expect result` compares (rows joined by "; ", columns by "|", as in
// "1|alice; 2|bob"; "" for no rows), [Result.Table] what the console shows.
//
// Values encode compactly for redo records with [AppendValue] and
// [AppendRow] and decode with [DecodeValue] and [DecodeRow].
//
// The package is pure and deterministic: no goroutines, no clock, and no map
// iteration reaches any output.
package sql
