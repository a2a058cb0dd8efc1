package sql_test

import (
	"fmt"

	"aurora-lab/engine/internal/sql"
)

// An executor parses a statement, binds it to the table's schema and feeds
// the table's rows, in key order, to a QueryRun.
func Example() {
	ct, _ := sql.ParseStatement("CREATE TABLE users (id INT PRIMARY KEY, name TEXT)", 1, 1)
	schema := ct.(*sql.CreateTable).Schema()
	rows := []sql.Values{
		{sql.Int(1), sql.Text("alice")},
		{sql.Int(2), sql.Text("bob")},
		{sql.Int(3), sql.Text("carol")},
	}

	st, _ := sql.ParseStatement("SELECT id, name FROM users WHERE id >= 2 ORDER BY name DESC", 4, 1)
	q, err := sql.BindSelect(st.(*sql.Select), schema)
	if err != nil {
		panic(err)
	}
	fmt.Println("keys:", sql.PrimaryKeyRange(q.Where, schema))
	run := q.Start()
	for _, r := range rows {
		if more, err := run.Add(r); err != nil || !more {
			break
		}
	}
	res, _ := run.Result()
	fmt.Println(res.Format())
	fmt.Println(res.Table())

	_, err = sql.ParseStatement("SELECT * FROM users WHERE", 7, 1)
	fmt.Println(err.(*sql.Error).Report())
	// Output:
	// keys: [2, +inf)
	// 3|carol; 2|bob
	//  id | name
	// ----+-------
	//   3 | carol
	//   2 | bob
	// (2 rows)
	// ERROR 1064 (42000) at line 7, column 26: syntax error at end of input
}
