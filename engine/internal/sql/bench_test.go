package sql

import "testing"

func BenchmarkParseInsert(b *testing.B) {
	const src = "INSERT INTO accounts (id, owner, balance) VALUES (42, 'alice', 100), (43, 'bob', 250)"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseStatement(src, 1, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalWhere(b *testing.B) {
	sc := testSchema(b)
	st, err := ParseStatement("DELETE FROM t WHERE id BETWEEN 10 AND 20 AND n IS NOT NULL AND name <> 'bob' OR n * 2 > 100", 1, 1)
	if err != nil {
		b.Fatal(err)
	}
	where := st.(*Delete).Where
	if err := Bind(where, sc, ClauseWhere); err != nil {
		b.Fatal(err)
	}
	row := Values{Int(15), Text("alice"), Int(30), Null()}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := Matches(where, row); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkStatementParser parses a console's INSERT with the parser a Lab
// keeps, which reuses its tokens and chunks from one statement to the next.
func BenchmarkStatementParser(b *testing.B) {
	var sp StatementParser
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sp.Parse("INSERT INTO t VALUES (12345, 'v')", 3, 1); err != nil {
			b.Fatal(err)
		}
	}
}
