package engine

import (
	"fmt"
	"strings"
	"testing"
)

// TestRecoveryDoesNotGrowWithTheLog crashes the writer after a short and
// after a long history and compares the recoveries: both read only the
// record heads above what was durable, so both take about the same
// simulated time. Reference: SIGMOD'17 §4.3 ("no redo replay").
func TestRecoveryDoesNotGrowWithTheLog(t *testing.T) {
	measure := func(rows int) (took Time, heads int) {
		var b strings.Builder
		b.WriteString("CREATE TABLE t (id INT PRIMARY KEY, v TEXT);\n")
		for i := 1; i <= rows; i++ {
			fmt.Fprintf(&b, "INSERT INTO t VALUES (%d, 'row %d');\n", i, i)
		}
		b.WriteString("\\run 300ms\n\\crash w1\n\\restart w1\nSELECT COUNT(*) FROM t;\n")
		fmt.Fprintf(&b, "\\expect result %d\n", rows)
		lab, err := RunScript(b.String())
		if err != nil {
			t.Fatal(err)
		}
		if lab.Failures() != 0 {
			t.Fatalf("%d rows: an acknowledged commit was lost in recovery", rows)
		}
		r := lab.c.Writer().Recovery()
		if r == nil || !r.Done() {
			t.Fatalf("%d rows: recovery did not finish", rows)
		}
		return r.Duration(lab.Now()), r.Stats().RecordHeads
	}
	shortTook, shortHeads := measure(10)
	longTook, longHeads := measure(400)
	t.Logf("recovery after 10 commits: %v (%d record heads); after 400: %v (%d record heads)", shortTook, shortHeads, longTook, longHeads)
	if longHeads > shortHeads+50 {
		t.Errorf("recovery read %d record heads after a long log, %d after a short one: it grows with the log", longHeads, shortHeads)
	}
	if longTook > 2*shortTook {
		t.Errorf("recovery took %v after a long log, %v after a short one", longTook, shortTook)
	}
}
