package engine

import (
	"fmt"
	"testing"
)

func BenchmarkProbe(b *testing.B) {
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	var l *Lab
	var del, ev uint64
	fresh := func() {
		if l != nil {
			del += l.c.Stats().Delivered
			ev += l.Events()
		}
		var err error
		l, err = New(DefaultConfig())
		must(err)
		must(l.Submit("w1", "CREATE TABLE t (id INT PRIMARY KEY, v TEXT);"))
		must(l.RunUntilIdle())
		del -= l.c.Stats().Delivered
		ev -= l.Events()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%500 == 0 {
			fresh()
		}
		must(l.Submit("w1", fmt.Sprintf("INSERT INTO t VALUES (%d, 'v');", i%500+1)))
		must(l.RunUntilIdle())
	}
	del += l.c.Stats().Delivered
	ev += l.Events()
	b.ReportMetric(float64(del)/b.Elapsed().Seconds(), "deliveries/s")
	b.ReportMetric(float64(ev)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txns/s")
	b.ReportMetric(float64(del)/float64(b.N), "deliveries/txn")
}
