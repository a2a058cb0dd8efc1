package engine

import (
	"fmt"
	"strings"

	"aurora-lab/engine/internal/cluster"
	"aurora-lab/engine/internal/db"
	"aurora-lab/engine/internal/script"
	"aurora-lab/engine/internal/sim"
)

// OutputKind says what produced an output.
type OutputKind string

// Output kinds.
const (
	OutSQL     OutputKind = "sql"
	OutMeta    OutputKind = "meta"
	OutComment OutputKind = "comment"
	OutExpect  OutputKind = "expect"
	// OutGuide is a guided scenario's narration: \title, \step,
	// \highlight, \try. Text holds the words; Targets what to point at.
	OutGuide OutputKind = "guide"
)

// Output is the outcome of one console item: what ran, where, and what it
// printed. A failed statement has Err set; a failed \expect has OK false.
type Output struct {
	Console string     `json:"console"`
	Conn    string     `json:"conn,omitempty"` // the instance a statement ran on
	Kind    OutputKind `json:"kind"`
	Line    int        `json:"line"`
	Col     int        `json:"col"`
	Input   string     `json:"input"`
	Text    string     `json:"text,omitempty"`   // what the console prints
	Result  string     `json:"result,omitempty"` // rows joined by "; ", columns by "|"
	Err     string     `json:"err,omitempty"`
	// CommitLSN is the LSN of the commit a SQL statement made durable, 0
	// when it committed nothing.
	CommitLSN uint64 `json:"commit_lsn,omitempty"`
	OK        bool   `json:"ok"`
	Started   Time   `json:"started"`
	At        Time   `json:"at"` // when it finished
	// Guide is the narration command of an OutGuide output (title, step,
	// highlight, try), and Targets the names \highlight points at.
	Guide   string   `json:"guide,omitempty"`
	Targets []string `json:"targets,omitempty"`
}

// console runs one stream of items in order.
type console struct {
	name    string
	conn    string // the instance SQL runs on
	queue   []script.Item
	running *statement // a statement in progress
	// spare is a finished statement the instance is done with, reused for
	// the next one rather than allocating (see statement.Done).
	spare   *statement
	wakeAt  Time    // a \run in progress ends at this time
	last    *Output // the previous statement's outcome, for \expect
	lastOut Output  // where last points: a copy the console owns
	// sessions are the console's connections, one per instance, so an open
	// transaction stays open across \connect.
	sessions map[string]*db.Session
}

func (con *console) busy(now Time) bool {
	return con.running != nil || len(con.queue) > 0 || con.wakeAt > now
}

// pump starts queued items on every console that is free.
func (l *Lab) pump() {
	if l.queued > 0 {
		l.startQueued()
	}
}

func (l *Lab) startQueued() {
	for progress := true; progress; {
		progress = false
		for _, con := range l.consoles {
			for con.running == nil && con.wakeAt <= l.c.Now() && len(con.queue) > 0 {
				it := con.queue[0]
				con.queue = con.queue[1:]
				l.queued--
				l.start(con, it)
				progress = true
			}
		}
	}
}

func (l *Lab) start(con *console, it script.Item) {
	switch it.Kind {
	case script.Comment:
		l.emit(Output{Console: con.name, Kind: OutComment, Line: it.Line, Col: it.Col, Input: it.Text, OK: true, Started: l.c.Now()})
	case script.SQL:
		l.startSQL(con, it)
	case script.Meta:
		l.meta(con, it)
	}
}

// finish records the outcome of an item as the console's last.
func (l *Lab) finish(con *console, o Output) {
	l.emit(o)
	con.lastOut = l.outputs[len(l.outputs)-1]
	con.last = &con.lastOut
}

func (l *Lab) meta(con *console, it script.Item) {
	cmd := it.Cmd
	o := Output{Console: con.name, Kind: OutMeta, Line: it.Line, Col: it.Col, Input: it.Text, Started: l.c.Now()}
	var text string
	var err error
	switch cmd.Name {
	case "expect":
		l.expect(con, it)
		return
	case "title", "step", "try", "highlight":
		g := Output{Console: con.name, Kind: OutGuide, Line: it.Line, Col: it.Col, Input: it.Text, Started: l.c.Now(), OK: true, Guide: cmd.Name, Text: cmd.Rest}
		if cmd.Name == "highlight" {
			for _, w := range cmd.Args {
				g.Targets = append(g.Targets, w.Text)
			}
			g.Text = ""
		}
		l.emit(g)
		return
	case "run":
		con.wakeAt = l.c.Now() + cmd.Duration
		text = fmt.Sprintf("time runs %v, to %v", cmd.Duration, con.wakeAt)
	case "cluster":
		text, err = l.newCluster(cmd)
	case "connect":
		name := cmd.Args[0].Text
		if l.c.Instance(name) == nil {
			err = fmt.Errorf("no instance called %q (instances: %s)", name, strings.Join(l.instanceNames(), " "))
		} else {
			con.conn = name
			text = "connected to " + name
		}
	case "status":
		text = FormatStatus(l.Snapshot())
	case "crash":
		text, err = l.crash(cmd.Args[0].Text)
	case "restart":
		text, err = l.restart(cmd.Args[0].Text)
	case "partition":
		a, b := cmd.Args[0].Text, cmd.Args[1].Text
		if err = l.c.Partition(a, b); err == nil {
			text = "links cut between " + a + " and " + b
		}
	case "heal":
		target := ""
		if len(cmd.Args) > 0 {
			target = cmd.Args[0].Text
		}
		if err = l.c.Heal(target); err == nil {
			text = "links restored"
			if target != "" {
				text = "links of " + target + " restored"
			}
		}
	case "set":
		text, err = l.set(cmd)
	case "replace":
		onto := ""
		if len(cmd.Args) > 1 {
			onto = cmd.Args[1].Text
		}
		var lines []string
		lines, err = l.c.Replace(cmd.Args[0].Text, onto)
		text = strings.Join(lines, "\n")
	case "slow":
		text, err = l.c.Slow(cmd.Args[0].Text, cmd.Duration)
	case "latency":
		text, err = l.c.LinkLatency(cmd.Args[0].Text, cmd.Args[1].Text, cmd.Duration)
	case "loss":
		text, err = l.c.LinkLoss(cmd.Args[0].Text, cmd.Args[1].Text, cmd.Percent)
	case "corrupt":
		pg := ""
		if len(cmd.Args) > 1 {
			pg = cmd.Args[1].Text
		}
		text, err = l.c.Corrupt(cmd.Args[0].Text, pg)
	case "failover":
		target := ""
		if len(cmd.Args) > 0 {
			target = cmd.Args[0].Text
		}
		var in *db.Instance
		if in, err = l.c.Failover(target); err == nil {
			text = fmt.Sprintf("%s promoted: recovering the volume at epoch %d", in.Name, l.c.VolumeEpoch())
		}
	case "?":
		text = strings.Join(script.Help(), "\n")
	default:
		err = fmt.Errorf(`\%s is not available`, cmd.Name)
	}
	if err != nil {
		o.Err = "error: " + err.Error()
	} else {
		o.OK = true
		o.Text = text
	}
	l.finish(con, o)
}

func (l *Lab) instanceNames() []string {
	var names []string
	for _, in := range l.c.Instances {
		names = append(names, in.Name)
	}
	return names
}

// newCluster replaces the running cluster with a new one. Every console's
// queue stays; statements in progress on the old cluster are abandoned.
func (l *Lab) newCluster(cmd *script.Command) (string, error) {
	var kvs [][2]string
	for _, s := range cmd.Settings {
		kvs = append(kvs, [2]string{s.Key, s.Value})
	}
	cfg, err := configFrom(kvs)
	if err != nil {
		return "", err
	}
	c, err := cluster.New(cfg)
	if err != nil {
		return "", err
	}
	l.cfg, l.c = cfg, c
	l.gen++
	for _, con := range l.consoles {
		con.running = nil
		con.wakeAt = 0
		con.sessions = nil
		if c.Instance(con.conn) == nil {
			con.conn = "w1"
		}
	}
	return describeCluster(cfg), nil
}

func describeCluster(cfg Config) string {
	s := fmt.Sprintf("cluster: %d writer%s, %d replica%s, %d storage nodes in 3 AZs, %d protection group%s (seed %d)",
		cfg.Writers, plural(cfg.Writers), cfg.Replicas, plural(cfg.Replicas), 3*cfg.NodesPerAZ, cfg.PGs, plural(cfg.PGs), cfg.Seed)
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (l *Lab) crash(target string) (string, error) {
	done, err := l.c.Crash(target)
	if err != nil {
		return "", err
	}
	l.abandonOn(done)
	if len(done) == 0 {
		return target + " was already down", nil
	}
	return "crashed: " + strings.Join(done, " "), nil
}

func (l *Lab) restart(target string) (string, error) {
	done, err := l.c.Restart(target)
	if err != nil {
		return "", err
	}
	if len(done) == 0 {
		return target + " was already up", nil
	}
	return "restarted: " + strings.Join(done, " "), nil
}

// abandonOn fails the statements running on instances that just crashed:
// their clients lose the connection, and with it any open transaction.
func (l *Lab) abandonOn(names []string) {
	for _, con := range l.consoles {
		for _, n := range names {
			delete(con.sessions, n)
		}
		st := con.running
		if st == nil {
			continue
		}
		for _, n := range names {
			if st.conn == n {
				st.fail(l, con, fmt.Errorf("ERROR 2013 (HY000): Lost connection to server during query: %s crashed", n))
				break
			}
		}
	}
}

// liveSettings are the knobs \set changes on a running cluster.
var liveSettings = []string{"latency", "latency_cross", "jitter", "loss", "bandwidth", "timeout"}

func isLiveSetting(k string) bool {
	for _, s := range liveSettings {
		if s == k {
			return true
		}
	}
	return false
}

func (l *Lab) set(cmd *script.Command) (string, error) {
	cfg := l.cfg
	for _, s := range cmd.Settings {
		if err := cfg.Set(s.Key, s.Value); err != nil {
			return "", err
		}
	}
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	l.cfg = cfg
	l.c.SetStatementTimeout(cfg.StatementTimeout)
	l.c.Network().SetConfig(sim.NetConfig{
		LatencySameAZ:        cfg.LatencySameAZ,
		LatencyCrossAZ:       cfg.LatencyCrossAZ,
		JitterPercent:        cfg.JitterPercent,
		LossPercent:          cfg.LossPercent,
		BandwidthBytesPerSec: cfg.BandwidthMbps * 1_000_000 / 8,
	})
	var parts []string
	for _, s := range cmd.Settings {
		parts = append(parts, s.Key+"="+s.Value)
	}
	return "set " + strings.Join(parts, " "), nil
}

func (l *Lab) expect(con *console, it script.Item) {
	cmd := it.Cmd
	o := Output{Console: con.name, Kind: OutExpect, Line: it.Line, Col: it.Col, Input: it.Text, Started: l.c.Now()}
	last := con.last
	form := cmd.Args[0].Text
	switch {
	case last == nil:
		o.Err = "nothing ran before this \\expect"
	case form == script.ExpectOK:
		if last.Err != "" {
			o.Err = "expected success, got: " + last.Err
		}
	case form == script.ExpectError:
		switch {
		case last.Err == "":
			o.Err = "expected an error, but it succeeded"
		case !strings.Contains(strings.ToLower(last.Err), strings.ToLower(cmd.Rest)):
			o.Err = fmt.Sprintf("expected an error containing %q, got: %s", cmd.Rest, last.Err)
		}
	case form == script.ExpectResult:
		switch {
		case last.Err != "":
			o.Err = fmt.Sprintf("expected result %q, got an error: %s", cmd.Rest, last.Err)
		case last.Result != cmd.Rest:
			o.Err = fmt.Sprintf("expected result %q, got %q", cmd.Rest, last.Result)
		}
	}
	o.OK = o.Err == ""
	if !o.OK {
		l.failed++
	}
	l.emit(o)
}
