package engine

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

var linSeeds = flag.Int("lin.seeds", 0, "seeds for TestLinearizableUnderFaults (default: 24 natively, 6 under js)")

// kvInput is one operation of a linearizability history: a read or a
// write of one key of a register table.
type kvInput struct {
	key   int
	write bool
	value int
}

// kvModel is a register per key (porcupine partitions the history by key).
var kvModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[int][]porcupine.Operation{}
		var keys []int
		for _, op := range h {
			k := op.Input.(kvInput).key
			if _, ok := by[k]; !ok {
				keys = append(keys, k)
			}
			by[k] = append(by[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		in := input.(kvInput)
		if in.write {
			return true, in.value
		}
		return output.(int) == state.(int), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(kvInput)
		if in.write {
			return fmt.Sprintf("put(%d, %d)", in.key, in.value)
		}
		return fmt.Sprintf("get(%d) → %v", in.key, output)
	},
}

// TestLinearizableUnderFaults records histories of reads and writes of a
// register table on the writer, from the engine itself, under random
// faults — storage nodes and AZs crashing within AZ+1, message loss, the
// writer crashing and recovering — and checks them with porcupine. A
// write whose outcome the client did not learn (a timeout, a lost
// connection) may take effect at any time after it began, or never.
func TestLinearizableUnderFaults(t *testing.T) {
	n := *linSeeds
	if n == 0 {
		n = 24
		if runtime.GOOS == "js" {
			n = 6
		}
	}
	total, writes, failovers := 0, 0, 0
	for seed := 1; seed <= n; seed++ {
		ops, script := kvHistory(t, uint64(seed))
		total += len(ops)
		failovers += strings.Count(script, "\\failover")
		for _, op := range ops {
			if op.Input.(kvInput).write {
				writes++
			}
		}
		if len(ops) < 100 {
			t.Fatalf("seed %d: only %d operations: the workload did not run", seed, len(ops))
		}
		res := porcupine.CheckOperationsTimeout(kvModel, ops, 20*time.Second)
		if res != porcupine.Ok {
			t.Fatalf("seed %d: the history of %d operations is not linearizable (%v); the run:\n%s", seed, len(ops), res, script)
		}
	}
	t.Logf("%d seeds, %d operations (%d writes) through %d failovers, all linearizable", n, total, writes, failovers)
}

// TestLinearizabilityCheckCatchesAStaleRead makes sure the model and the
// checker can fail: a read that misses a write acknowledged before it
// began is not linearizable.
func TestLinearizabilityCheckCatchesAStaleRead(t *testing.T) {
	h := []porcupine.Operation{
		{ClientId: 0, Input: kvInput{key: 1, write: true, value: 7}, Output: 0, Call: 0, Return: 10},
		{ClientId: 1, Input: kvInput{key: 1}, Output: 0, Call: 20, Return: 30},
	}
	if porcupine.CheckOperations(kvModel, h) {
		t.Fatal("a stale read passed the linearizability check")
	}
	h[1].Output = 7
	if !porcupine.CheckOperations(kvModel, h) {
		t.Fatal("a fresh read failed the linearizability check")
	}
}

// kvHistory runs one seeded workload and returns its history.
func kvHistory(t *testing.T, seed uint64) ([]porcupine.Operation, string) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	const keys, sessions = 6, 6
	l := zeroedLab(t, fmt.Sprintf("seed=%d replicas=1 failover_after=0 timeout=150ms loss=%d", seed, r.IntN(3)), "kv (k INT PRIMARY KEY, v INT)", keys)
	_, mark := l.Outputs(0)
	var log strings.Builder          // the run as a script, for a failure report
	issued := map[string][]kvInput{} // per session, in order
	faults := newStorageFaults(3)
	value := 0
	// The writer changes on a failover; each session connects to the new
	// one before its next statement, as a client would.
	writer, standby := "w1", "r1"
	conn := map[string]string{}
	start := l.Now()
	for l.Now() < start+400*Millisecond {
		for s := range sessions {
			con := "s" + strconv.Itoa(s)
			if l.Busy(con) {
				continue
			}
			in := kvInput{key: r.IntN(keys)}
			var sql string
			if r.IntN(2) == 0 {
				value++
				in.write, in.value = true, value
				sql = fmt.Sprintf("UPDATE kv SET v = %d WHERE k = %d;", value, in.key)
			} else {
				sql = fmt.Sprintf("SELECT v FROM kv WHERE k = %d;", in.key)
			}
			issued[con] = append(issued[con], in)
			if conn[con] != writer {
				conn[con] = writer
				sql = "\\connect " + writer + "\n" + sql
			}
			fmt.Fprintf(&log, "-- at %v on %s\n", l.Now(), con)
			submitLogged(t, l, &log, con, sql)
		}
		// A fault now and then, never more than AZ+1 storage nodes down.
		x := r.IntN(400)
		fault := faults.draw(r, x)
		switch x {
		case 7:
			fault = fmt.Sprintf("\\crash %s\n\\restart %s", writer, writer)
		case 8:
			fault = fmt.Sprintf(`\set loss=%d`, r.IntN(6))
		case 9:
			// Fail over to the replica; the old writer restarts as one.
			fault = fmt.Sprintf("\\failover %s\n\\crash %s\n\\restart %s", standby, writer, writer)
			writer, standby = standby, writer
		}
		if fault != "" {
			submitLogged(t, l, &log, "faults", fault)
		}
		l.RunFor(Time(100+r.IntN(300)) * Microsecond)
	}
	healAll(t, l)
	// Turn the outputs into a history.
	outs, _ := l.Outputs(mark)
	seen := map[string]int{}
	var ops []porcupine.Operation
	var unknown []int
	last := int64(0)
	for _, o := range outs {
		if o.Kind != OutSQL || !strings.HasPrefix(o.Console, "s") {
			continue
		}
		in := issued[o.Console][seen[o.Console]]
		seen[o.Console]++
		op := porcupine.Operation{Input: in, Call: int64(o.Started), Return: int64(o.At)}
		last = max(last, int64(o.At))
		switch {
		case o.Err == "" && in.write:
			op.Output = 0
		case o.Err == "":
			v, err := strconv.Atoi(o.Result)
			if err != nil {
				t.Fatalf("seed %d: a read printed %q", seed, o.Result)
			}
			op.Output = v
		case in.write && (strings.Contains(o.Err, "outcome unknown") || strings.Contains(o.Err, "Lost connection") ||
			strings.Contains(o.Err, "no longer the writer")):
			// The client does not know: it may take effect at any time.
			unknown = append(unknown, len(ops))
			op.Output = 0
		default:
			continue // failed before it changed anything, or a failed read
		}
		op.ClientId = len(ops)
		ops = append(ops, op)
	}
	for _, i := range unknown {
		ops[i].Return = last + 1
	}
	return ops, log.String()
}
