// Package engine is the facade of the Aurora Lab model: the one package the
// page, the headless runner and the tests use.
//
// A Lab holds one simulated cluster and runs console-language input against
// it. Input goes to a console; each console runs its items one after the
// other, a statement running until it completes or fails while simulated
// time advances. A script runs to its end with RunScript. On the page, time
// flows: the page submits input and calls RunUntil once per animation frame.
//
// Everything a Lab does is a function of its configuration and the log of
// inputs with the moments they were submitted, so Replay of that log gives
// the same run, natively and in WebAssembly.
package engine

import (
	"errors"
	"fmt"
	"strings"

	"aurora-lab/engine/internal/cluster"
	"aurora-lab/engine/internal/script"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/sql"
)

// Time is simulated time in nanoseconds.
type Time = sim.Time

// Units of simulated time.
const (
	Microsecond = sim.Microsecond
	Millisecond = sim.Millisecond
	Second      = sim.Second
)

// Config is a cluster's configuration; see DefaultConfig and ParseConfig.
type Config = cluster.Config

// DefaultConfig returns the default cluster: one writer, one replica and
// six storage nodes in three AZs.
func DefaultConfig() Config { return cluster.Default() }

func init() {
	script.IsKnob = cluster.IsKnob
	script.IsSetting = isLiveSetting
}

// ParseConfig reads key=value settings over the defaults, as \cluster does.
func ParseConfig(settings string) (Config, error) {
	var kvs [][2]string
	for _, kv := range strings.Fields(settings) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return DefaultConfig(), fmt.Errorf("expected key=value, got %q", kv)
		}
		kvs = append(kvs, [2]string{k, v})
	}
	cfg, err := configFrom(kvs)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// configFrom applies settings over the defaults, as \cluster does: a
// cluster of several writers has no replicas unless it says so.
func configFrom(kvs [][2]string) (Config, error) {
	cfg := DefaultConfig()
	replicasSet := false
	for _, kv := range kvs {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			return cfg, err
		}
		replicasSet = replicasSet || kv[0] == "replicas"
	}
	if cfg.Writers > 1 && !replicasSet {
		cfg.Replicas = 0
	}
	return cfg, nil
}

// ScriptConsole is the console a script runs on when no other is named.
const ScriptConsole = "script"

// Lab is a running model: a cluster, its consoles and the outputs they
// produced.
type Lab struct {
	cfg      Config
	c        *cluster.Cluster
	consoles []*console
	outputs  []Output
	outSeq   uint64 // how many outputs were ever produced
	log      []Entry
	replay   bool
	failed   int // \expect failures
	// gen counts the clusters this Lab has run: a \cluster starts a new
	// one, whose events and notes count from zero again.
	gen int
	// parser parses the statements the consoles run, reusing its
	// scratch space from one to the next.
	parser sql.StatementParser
	// items is the array the last input was parsed into, which became
	// the queue of the console itemsFor; once that queue is empty the
	// next input is parsed into it again.
	items    []script.Item
	itemsFor *console
	// texts holds the notes of completed statements.
	texts textArena
	// queued counts the items waiting in every console's queue: with
	// none, pump has nothing to start, and the run loop asks it at every
	// event.
	queued int
}

// Entry is one input of the command log: the console and text submitted,
// and the moment it was submitted (the simulated time and the number of
// events processed before it), which is all Replay needs.
type Entry struct {
	Events  uint64 `json:"e"`
	At      Time   `json:"t"`
	Console string `json:"c"`
	Text    string `json:"s"`
}

// New returns a Lab running a new cluster of configuration cfg.
func New(cfg Config) (*Lab, error) {
	c, err := cluster.New(cfg)
	if err != nil {
		return nil, err
	}
	return &Lab{cfg: cfg, c: c}, nil
}

// Config returns the configuration of the cluster running now.
func (l *Lab) Config() Config { return l.cfg }

// Now reports the simulated time.
func (l *Lab) Now() Time { return l.c.Now() }

// Events reports the number of events processed since the cluster started.
func (l *Lab) Events() uint64 { return l.c.Stats().Events }

// TraceHash returns a hash of everything the cluster has done.
func (l *Lab) TraceHash() uint64 { return l.c.TraceHash() }

// Log returns the command log. The slice is shared; do not change it.
func (l *Lab) Log() []Entry { return l.log }

// Failures reports how many \expect checks failed.
func (l *Lab) Failures() int { return l.failed }

// Submit parses src and queues its items on console name, to run after
// what the console already holds. A console named after an instance runs
// SQL there until \connect says otherwise; any other console starts on w1.
// A malformed meta-command rejects the whole input and changes nothing.
func (l *Lab) Submit(name, src string) error {
	var buf []script.Item
	if l.itemsFor == nil || len(l.itemsFor.queue) == 0 {
		buf = l.items
	}
	items, err := script.ParseInto(buf, src)
	if err != nil {
		return err
	}
	if !l.replay {
		l.log = append(l.log, Entry{Events: l.c.Stats().Events, At: l.c.Now(), Console: name, Text: src})
	}
	con := l.console(name)
	keep := items[:0]
	for i := range items {
		if items[i].Kind == script.Comment && name != ScriptConsole {
			continue
		}
		keep = append(keep, items[i])
	}
	clear(items[len(keep):])
	if len(con.queue) == 0 {
		// The parsed items are this input's own: an idle console takes
		// them as its queue rather than copying them.
		con.queue = keep
		l.items, l.itemsFor = keep[:0], con
	} else {
		con.queue = append(con.queue, keep...)
	}
	l.queued += len(keep)
	l.pump()
	return nil
}

func (l *Lab) console(name string) *console {
	for _, con := range l.consoles {
		if con.name == name {
			return con
		}
	}
	conn := "w1"
	if l.c.Instance(name) != nil {
		conn = name
	}
	con := &console{name: name, conn: conn}
	l.consoles = append(l.consoles, con)
	return con
}

// Idle reports whether every console has finished what it was given,
// including the simulated time a \run asked for.
func (l *Lab) Idle() bool {
	for _, con := range l.consoles {
		if con.busy(l.c.Now()) {
			return false
		}
	}
	return true
}

// Busy reports whether console name is running or holding items.
func (l *Lab) Busy(name string) bool {
	for _, con := range l.consoles {
		if con.name == name {
			return con.busy(l.c.Now())
		}
	}
	return false
}

// Step processes the next event of the cluster, or the next console wake-up
// if it comes first, and reports whether anything happened.
func (l *Lab) Step() bool {
	l.pump()
	return l.step(l.c.NextEvent(), l.nextWake())
}

// step is Step once the consoles are pumped, given the time of the next
// event and of the next wake-up. The loops below end every step with a
// pump, so they go straight here.
func (l *Lab) step(ev, wake Time) bool {
	switch {
	case ev == sim.Never && wake == sim.Never:
		return false
	case wake < ev:
		l.c.RunUntil(wake)
	default:
		l.c.Step()
	}
	l.pump()
	return true
}

// RunUntil advances simulated time to t, processing every event due by
// then and starting queued console items as consoles come free.
func (l *Lab) RunUntil(t Time) {
	l.pump()
	for {
		ev, wake := l.c.NextEvent(), l.nextWake()
		if min(ev, wake) > t {
			break
		}
		l.step(ev, wake)
	}
	l.c.RunUntil(t)
	l.pump()
}

// RunFor advances simulated time by d.
func (l *Lab) RunFor(d Time) { l.RunUntil(l.c.Now() + d) }

// ErrStuck is returned when a console waits for something that can never
// happen: no event is pending and nothing will wake it.
var ErrStuck = errors.New("engine: a console is waiting but nothing is left to happen")

// RunUntilIdle advances time until every console has finished its items.
func (l *Lab) RunUntilIdle() error {
	l.pump()
	for !l.Idle() {
		if !l.step(l.c.NextEvent(), l.nextWake()) {
			return ErrStuck
		}
	}
	return nil
}

func (l *Lab) nextWake() Time {
	w := sim.Never
	for _, con := range l.consoles {
		if con.running == nil && con.wakeAt > l.c.Now() && con.wakeAt < w {
			w = con.wakeAt
		}
	}
	return w
}

// Outputs returns the outputs produced after the first since of them (a
// count previously returned as next), and the count to pass next time.
func (l *Lab) Outputs(since uint64) (out []Output, next uint64) {
	first := l.outSeq - uint64(len(l.outputs))
	since = min(max(since, first), l.outSeq)
	return l.outputs[since-first:], l.outSeq
}

// maxOutputs bounds the outputs kept in memory: at least the last
// maxOutputs, at most twice as many. The oldest half goes in one move once
// the buffer is full, so a long replay does not shift the whole buffer at
// every output.
const maxOutputs = 5000

func (l *Lab) emit(o Output) {
	o.At = l.c.Now()
	switch n := len(l.outputs); {
	case n == 2*maxOutputs:
		n := copy(l.outputs, l.outputs[maxOutputs:])
		clear(l.outputs[n:])
		l.outputs = l.outputs[:n]
	case n == cap(l.outputs):
		// The buffer doubles, from 64 up to its bound: append's gentler
		// growth of large slices (and its rounding up) would allocate and
		// copy half as much again on the way to a thousand outputs.
		grown := make([]Output, n, min(max(2*n, 64), 2*maxOutputs))
		copy(grown, l.outputs)
		l.outputs = grown
	}
	l.outputs = append(l.outputs, o)
	l.outSeq++
}

// advanceTo brings the run to the moment an input was originally
// submitted: simulated time at, after exactly events events. Console
// wake-ups due before then happen as they did.
func (l *Lab) advanceTo(at Time, events uint64) {
	l.pump()
	for !l.stepToward(at, events) {
	}
	l.c.AdvanceClock(at)
	l.pump()
}

// stepToward takes one step toward the moment (at, events) of an earlier
// run and reports false, or reports true, without stepping, once the run
// is there: no console wakes at or before at and, of the events at or
// before at, the first events have happened. advanceTo and the page's
// Restorer both walk with it.
func (l *Lab) stepToward(at Time, events uint64) bool {
	ev, wake := l.c.NextEvent(), l.nextWake()
	if wake < ev {
		if wake > at {
			return true
		}
		l.Step()
		return false
	}
	if l.c.Stats().Events >= events || ev > at {
		return true
	}
	l.Step()
	return false
}

// Replay builds a Lab from a command log: each input is submitted at the
// moment it originally was, and the run ends at time end (or at the last
// input, if end is earlier).
func Replay(cfg Config, log []Entry, end Time) (*Lab, error) {
	l, err := New(cfg)
	if err != nil {
		return nil, err
	}
	for _, e := range log {
		l.advanceTo(e.At, e.Events)
		l.log = append(l.log, e)
		l.replay = true
		err := l.Submit(e.Console, e.Text)
		l.replay = false
		if err != nil {
			return nil, fmt.Errorf("replaying input at %v: %w", e.At, err)
		}
	}
	if end > l.c.Now() {
		l.RunUntil(end)
	}
	return l, nil
}
