// Command labbench drives Aurora Lab's engine with workloads and prints
// the figures BENCHMARKS.md reports, as markdown tables. Everything is in
// simulated time and deterministic: the same command prints the same
// figures on every machine.
//
//	go run ./internal/cmd/labbench lag   replica lag at 1k, 2k, 5k, 10k writes per simulated second
//	go run ./internal/cmd/labbench mm    multi-master conflict rate and throughput by writer count
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"aurora-lab/engine"
)

func main() {
	dur := flag.Duration("sim", 0, "simulated time per run (default 1s)")
	flag.Parse()
	d := engine.Second
	if *dur > 0 {
		d = engine.Time(*dur)
	}
	what := flag.Arg(0)
	switch what {
	case "lag":
		lag(d)
	case "mm":
		multiMaster(d)
	case "", "all":
		lag(d)
		fmt.Println()
		multiMaster(d)
	default:
		fmt.Fprintln(os.Stderr, "usage: labbench [-sim 1s] [lag|mm|all]")
		os.Exit(2)
	}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "labbench:", err)
		os.Exit(1)
	}
}

func pct(s []engine.Time, p float64) engine.Time {
	if len(s) == 0 {
		return 0
	}
	s = slices.Clone(s)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

func ms(t engine.Time) string { return fmt.Sprintf("%.2f", t.Millis()) }

// lag offers a stream of single-row autocommit INSERTs to the writer at a
// fixed rate, open loop over many sessions, and reads the replica's lag.
func lag(d engine.Time) {
	cfg, err := engine.ParseConfig("seed=1 replicas=1")
	must(err)
	fmt.Printf("Replica lag (SIGMOD'17 Table 4), %v of simulated time per rate; one-way latency %v within an AZ, %v across AZs, jitter %v%%; w1 in AZ a, r1 in AZ b.\n\n",
		d, cfg.LatencySameAZ, cfg.LatencyCrossAZ, cfg.JitterPercent)
	fmt.Println("| writes/s offered | commits/s | lag p50 (ms) | lag p90 (ms) | lag p99 (ms) | lag max (ms) | paper (ms) |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	paper := map[int]string{1000: "2.62", 2000: "3.42", 5000: "3.94", 10000: "5.38"}
	for _, rate := range []int{1000, 2000, 5000, 10000} {
		l, err := engine.New(cfg)
		must(err)
		must(l.Submit("setup", "CREATE TABLE t (id INT PRIMARY KEY, v TEXT);"))
		must(l.RunUntilIdle())
		l.RunFor(20 * engine.Millisecond)
		start := l.Now()
		gap := engine.Second / engine.Time(rate)
		const sessions = 64
		n := int(d / gap)
		for i := range n {
			l.RunUntil(start + engine.Time(i)*gap)
			must(l.Submit(fmt.Sprintf("s%d", i%sessions), fmt.Sprintf("INSERT INTO t VALUES (%d, 'row');", i+1)))
		}
		must(l.RunUntilIdle())
		commits, _ := l.WriterCounts("w1")
		samples := l.ReplicaLag("r1")
		fmt.Printf("| %d | %.0f | %s | %s | %s | %s | %s |\n", rate, float64(commits)/((l.Now()-start).Millis()/1000),
			ms(pct(samples, 0.5)), ms(pct(samples, 0.9)), ms(pct(samples, 0.99)), ms(pct(samples, 1)), paper[rate])
	}
}

// multiMaster runs closed-loop UPDATE sessions on 1, 2, 4 and 8 writers
// for three access patterns and reports throughput and conflict rate.
func multiMaster(d engine.Time) {
	const rows, perWriter = 256, 4
	fmt.Printf("Multi-master, %v of simulated time per run; a table of %d rows, 4 rows per page; %d sessions per writer, each running UPDATE t SET n = n + 1 WHERE id = k back to back (autocommit).\n\n", d, rows, perWriter)
	fmt.Println("| pattern | writers | commits/s | conflicts/s | conflict rate | commits/s per writer | lag between writers p50 / p99 (ms) |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	patterns := []struct {
		name string
		key  func(w, writers, i int) int
	}{
		{"disjoint key ranges", func(w, writers, i int) int { span := rows / writers; return w*span + i%span }},
		{"disjoint keys, shared pages", func(w, writers, i int) int { return (i%(rows/writers))*writers + w }},
		{"a few hot keys", func(w, writers, i int) int { return i % 4 }},
	}
	for _, p := range patterns {
		for _, writers := range []int{1, 2, 4, 8} {
			commits, conflicts, lag := runMM(d, writers, perWriter, rows, p.key)
			secs := d.Millis() / 1000
			rate := 0.0
			if commits+conflicts > 0 {
				rate = 100 * float64(conflicts) / float64(commits+conflicts)
			}
			lags := "–"
			if len(lag) > 0 {
				lags = ms(pct(lag, 0.5)) + " / " + ms(pct(lag, 0.99))
			}
			fmt.Printf("| %s | %d | %.0f | %.0f | %.1f%% | %.0f | %s |\n", p.name, writers, float64(commits)/secs, float64(conflicts)/secs, rate, float64(commits)/secs/float64(writers), lags)
		}
	}
}

// runMM runs the workload and returns the commits and conflicts it made and
// the writers' lag samples: how long after another writer reached a VDL
// each applied that writer's stream to it.
func runMM(d engine.Time, writers, perWriter, rows int, key func(w, writers, i int) int) (commits, conflicts int64, lag []engine.Time) {
	cfg, err := engine.ParseConfig(fmt.Sprintf("seed=1 writers=%d replicas=0 rows_per_page=4 lal=100000", writers))
	must(err)
	l, err := engine.New(cfg)
	must(err)
	var b strings.Builder
	b.WriteString("CREATE TABLE t (id INT PRIMARY KEY, n INT);\n")
	for i := 0; i < rows; i += 32 {
		b.WriteString("INSERT INTO t VALUES ")
		for k := i; k < i+32 && k < rows; k++ {
			if k > i {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, 0)", k)
		}
		b.WriteString(";\n")
	}
	must(l.Submit("w1", b.String()))
	must(l.RunUntilIdle())
	l.RunFor(50 * engine.Millisecond)
	start := l.Now()
	next := make([]int, writers*perWriter)
	before := make([][2]int64, writers)
	for w := range writers {
		c, x := l.WriterCounts(fmt.Sprintf("w%d", w+1))
		before[w] = [2]int64{c, x}
	}
	for l.Now() < start+d {
		for w := range writers {
			for s := range perWriter {
				con := fmt.Sprintf("w%d", w+1)
				if s > 0 {
					con = fmt.Sprintf("w%d-%d", w+1, s)
				}
				idx := w*perWriter + s
				if l.Busy(con) {
					continue
				}
				// Each session connects to its writer once, then updates.
				src := fmt.Sprintf("UPDATE t SET n = n + 1 WHERE id = %d;", key(w, writers, next[idx]*perWriter+s))
				if next[idx] == 0 && s > 0 {
					src = fmt.Sprintf("\\connect w%d\n", w+1) + src
				}
				next[idx]++
				must(l.Submit(con, src))
			}
		}
		l.RunFor(200 * engine.Microsecond)
	}
	for w := range writers {
		c, x := l.WriterCounts(fmt.Sprintf("w%d", w+1))
		if writers > 1 {
			lag = append(lag, l.ReplicaLag(fmt.Sprintf("w%d", w+1))...)
		}
		commits += c - before[w][0]
		conflicts += x - before[w][1]
		if os.Getenv("LABBENCH_DEBUG") != "" {
			fmt.Fprintf(os.Stderr, "w%d: %d commits, %d conflicts\n", w+1, c-before[w][0], x-before[w][1])
		}
	}
	return commits, conflicts, lag
}
