package check

import (
	"strings"
	"testing"

	"aurora-lab/engine/internal/cluster"
	"aurora-lab/engine/internal/sim"
)

func put(k, v string) Write { return Write{Table: "t", Key: k, Value: v} }
func del(k string) Write    { return Write{Table: "t", Key: k, Delete: true} }

func rows(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestHistoryKeepsAcknowledgedCommits(t *testing.T) {
	// line 2 is acknowledged, line 3's outcome is unknown, line 4 rolled
	// back.
	history := func() *History {
		h := NewHistory()
		h.CreateTable("line 1", "t", Committed)
		h.Add(Txn{Label: "line 2", Writes: []Write{put("1", "a")}, Outcome: Committed})
		h.Add(Txn{Label: "line 3", Writes: []Write{put("1", "b"), put("2", "c")}, Outcome: Unknown})
		h.Add(Txn{Label: "line 4", Writes: []Write{put("3", "d")}, Outcome: Aborted})
		return h
	}
	// Either outcome of line 3 is fine, as long as it shows whole.
	for _, final := range []map[string]string{rows("1", "a"), rows("1", "b", "2", "c")} {
		h := history()
		h.Final(sim.Second, "end", "t", final, true)
		if r := h.Report(); !r.OK {
			t.Fatalf("final %v: %s", final, r)
		}
	}
	cases := []struct {
		final map[string]string
		want  string
	}{
		{rows(), "acknowledged commit lost"},                 // line 2's row is gone
		{rows("1", "b"), "shows in part"},                    // line 3 without its row 2
		{rows("1", "a", "3", "d"), "rolled back"},            // an aborted write shows
		{rows("1", "a", "4", "zzz"), "no transaction wrote"}, // a value from nowhere
	}
	for _, c := range cases {
		h := history()
		h.Final(sim.Second, "end", "t", c.final, true)
		r := h.Report()
		if r.OK || !strings.Contains(r.First, c.want) {
			t.Errorf("final %v: got %s, want a violation saying %q", c.final, r, c.want)
		}
	}
}

func TestHistoryReadsAndDeletes(t *testing.T) {
	h := NewHistory()
	h.CreateTable("line 1", "t", Committed)
	h.Add(Txn{Label: "line 2", Writes: []Write{put("1", "a")}, Outcome: Committed})
	h.Read(0, "line 3", "t", rows("1", "a"), true, nil)
	// A transaction sees its own writes before it commits.
	h.Read(0, "line 4", "t", rows("1", "x"), true, []Write{put("1", "x")})
	h.Add(Txn{Label: "line 5", Writes: []Write{del("1")}, Outcome: Committed})
	h.ReadStale(0, "line 6", "t", rows("1", "a"), nil) // a replica may lag
	h.Final(0, "end", "t", rows(), true)
	if r := h.Report(); !r.OK {
		t.Fatal(r)
	}
	h.Final(0, "end", "t", nil, false) // the table is gone
	if r := h.Report(); r.OK {
		t.Fatal("a missing table whose creation was acknowledged passed")
	}
}

// TestWatchOnAQuietCluster runs a new cluster for a while under the
// watch: nothing is violated, and the expensive checks pass at the end.
func TestWatchOnAQuietCluster(t *testing.T) {
	cfg := cluster.Default()
	cfg.Seed = 3
	c, err := cluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var w Watch
	for c.Now() < 2*sim.Second && c.Step() {
		w.Observe(c)
	}
	w.CheckPages(c)
	w.CheckConvergence(c)
	rs := w.Reports()
	if !AllOK(rs) {
		t.Fatal(Format(rs))
	}
	for _, r := range rs {
		if r.Name == NameMonotone && r.Checks == 0 {
			t.Fatal("the watch checked nothing")
		}
	}
}
