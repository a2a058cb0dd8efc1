package volume

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/wire"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata")

// env is a wire.Env that records what the driver sends and never delivers
// it: the story feeds acknowledgements by hand.
type env struct {
	now  sim.Time
	rand *sim.Rand
	sent int
}

func (e *env) Now() sim.Time                { return e.now }
func (e *env) Rand() *sim.Rand              { return e.rand }
func (e *env) Send(m wire.Msg)              { e.sent++ }
func (e *env) After(d sim.Time, m wire.Msg) {}
func (e *env) Note(wire.Note)               {}

// TestStories runs the files of testdata: each line "> command" is followed
// by the output it must print. Commands:
//
//	volume start=N pgs=K [epoch=E]  a driver of volume epoch E (1) whose
//	                              LSNs start after N, with K PGs
//	mtr pgs=1,2,1                 one MTR, a record per listed PG
//	mtr pg=P n=K                  one MTR of K records in PG P
//	mtrs n=K pg=P                 K MTRs of one record each in PG P
//	flush                         send every PG's boxcar
//	ack pg=P slots=0,1,2,3 scl=L [epoch=E]
//	                              those segments report SCL L, at volume
//	                              epoch E (the driver's)
//	show                          the watermarks
//
// Reference: SIGMOD'17 §4.1 and SIGMOD'18 §2.3, Fig. 3.
func TestStories(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no story files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runStory(t, f) })
	}
}

func runStory(t *testing.T, file string) {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v *Volume
	e := &env{rand: sim.NewRand(1)}
	var out strings.Builder // the file as it should be
	lines := strings.Split(strings.TrimRight(string(src), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if !strings.HasPrefix(line, "> ") {
			out.WriteString(line + "\n")
			continue
		}
		out.WriteString(line + "\n")
		var want []string
		for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "> ") && !strings.HasPrefix(lines[i+1], "#") && lines[i+1] != "" {
			i++
			want = append(want, lines[i])
		}
		got := runCommand(t, &v, e, strings.Fields(line[2:]))
		if *update {
			if got != "" {
				out.WriteString(got + "\n")
			}
			continue
		}
		if got != strings.Join(want, "\n") {
			t.Errorf("%s: %s\nwant:\n%s\ngot:\n%s", file, line, strings.Join(want, "\n"), got)
		}
	}
	if *update {
		if err := os.WriteFile(file, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func args(fields []string) map[string]string {
	m := map[string]string{}
	for _, f := range fields {
		k, v, _ := strings.Cut(f, "=")
		m[k] = v
	}
	return m
}

func num(t *testing.T, s string) uint64 {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

func runCommand(t *testing.T, vp **Volume, e *env, f []string) string {
	a := args(f[1:])
	switch f[0] {
	case "volume":
		epoch := uint64(1)
		if a["epoch"] != "" {
			epoch = num(t, a["epoch"])
		}
		v := New(Config{LAL: 1 << 40}, 0, 0, epoch, redo.LSN(num(t, a["start"])))
		for pg := 1; pg <= int(num(t, a["pgs"])); pg++ {
			var ids [6]quorum.Member
			var members []Member
			for i := range 6 {
				ids[i] = quorum.Member(pg*10 + i)
				members = append(members, Member{Seg: uint32(pg*10 + i), Node: sim.NodeID(i + 1), Full: true})
			}
			v.AddPG(redo.PGID(pg), quorum.Standard(1, ids), members, redo.LSN(num(t, a["start"])))
		}
		*vp = v
		return ""
	case "mtr", "mtrs":
		v := *vp
		var mtrs [][]redo.Record
		switch {
		case f[0] == "mtr" && a["pgs"] != "":
			var m []redo.Record
			for _, p := range strings.Split(a["pgs"], ",") {
				m = append(m, redo.Record{PG: redo.PGID(num(t, p)), Page: 1, Op: redo.OpNoop})
			}
			mtrs = append(mtrs, m)
		case f[0] == "mtr":
			var m []redo.Record
			for range num(t, a["n"]) {
				m = append(m, redo.Record{PG: redo.PGID(num(t, a["pg"])), Page: 1, Op: redo.OpNoop})
			}
			mtrs = append(mtrs, m)
		default:
			for range num(t, a["n"]) {
				mtrs = append(mtrs, []redo.Record{{PG: redo.PGID(num(t, a["pg"])), Page: 1, Op: redo.OpNoop}})
			}
		}
		var first, last redo.LSN
		for _, m := range mtrs {
			recs, err := v.Append(e, m)
			if err != nil {
				t.Fatal(err)
			}
			if first == 0 {
				first = recs[0].LSN
			}
			last = recs[len(recs)-1].LSN
		}
		return fmt.Sprintf("allocated LSNs %d..%d", first, last)
	case "flush":
		for _, p := range (*vp).PGs() {
			(*vp).flush(e, p)
		}
		return ""
	case "ack":
		v := *vp
		p := v.PG(redo.PGID(num(t, a["pg"])))
		epoch := v.Epoch()
		if a["epoch"] != "" {
			epoch = num(t, a["epoch"])
		}
		for _, s := range strings.Split(a["slots"], ",") {
			m := p.Members[num(t, s)]
			v.Handle(e, &wire.Msg{Kind: wire.WriteAck, PG: p.ID, Seg: m.Seg, VolEpoch: epoch, A: redo.LSN(num(t, a["scl"]))})
		}
		return ""
	case "show":
		v := *vp
		var b strings.Builder
		for _, p := range v.PGs() {
			fmt.Fprintf(&b, "%v: PGCL %d, SCLs", p.ID, p.PGCL())
			for i := range p.Members {
				fmt.Fprintf(&b, " %d", p.SCL(i))
			}
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "VCL %d, VDL %d", v.VCL(), v.VDL())
		return b.String()
	}
	t.Fatalf("unknown command %q", f[0])
	return ""
}
