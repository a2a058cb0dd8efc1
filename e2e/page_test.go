//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFaultClickedShowsInEngine: clicking a storage node opens its menu;
// its "crash" item takes the node down in the engine, the command is the
// console language's own (in the command log, on the page's console), and
// \status typed in a console says so.
func TestFaultClickedShowsInEngine(t *testing.T) {
	b := newBrowser(t, "")
	b.open()
	b.do(chromedp.Click(chromedp.CSS(`svg g.node[data-node="b1"] rect.box`)))
	b.waitFor("b1's menu", `!document.querySelector(".menu").hidden && document.querySelector(".menu-title").textContent.includes("b1")`)
	b.do(chromedp.Click(chromedp.CSS(`.menu button[data-cmd="\\crash b1"]`)))
	b.waitFor("b1 down in the engine", `auroraLab.snapshot().nodes.find(n => n.name === "b1").up === false`)
	b.waitFor("b1 drawn down", nodeState("b1")+` === "down"`)
	log := eval[[]map[string]any](b, `auroraLab.log()`)
	if len(log) != 1 || log[0]["c"] != "page" || log[0]["s"] != `\crash b1` {
		t.Fatalf("command log %v, want one \\crash b1 on console page", log)
	}
	b.waitFor("the command log to show it", `document.querySelector("ol.commands").textContent.includes("crashed: b1")`)

	// A fault bar command, built from lists, runs the same way.
	b.do(chromedp.SetValue(chromedp.CSS(`form.faults select[name="action"]`), "partition"))
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('form.faults select[name="action"]').dispatchEvent(new Event("change"))`))
	b.do(chromedp.SetValue(chromedp.CSS(`form.faults select[name="a"]`), "a"))
	b.do(chromedp.SetValue(chromedp.CSS(`form.faults select[name="b"]`), "c"))
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('form.faults select[name="b"]').dispatchEvent(new Event("change"))`))
	if got := eval[string](b, `document.querySelector("form.faults .preview").textContent`); got != `\partition a c` {
		t.Fatalf("fault bar previews %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`form.faults button.run`)))
	b.waitFor("the cut links", `auroraLab.links().some(l => l.cut)`)
	b.waitFor("the cut links drawn", `document.querySelectorAll('g.link.cut[visibility="visible"]').length > 0`)

	b.typeLine("w1", `\status`)
	b.waitFor(`\status to say b1 is down`, `document.querySelector('section[data-console="w1"] ol.outputs').textContent.includes("b1 down")`)
	b.noConsoleErrors()
}

// TestReplicaReadsAfterLag: a row inserted on w1 is read on r1 once the
// log stream brings it, and the page shows r1's lag.
func TestReplicaReadsAfterLag(t *testing.T) {
	b := newBrowser(t, "")
	b.open()
	b.typeLine("w1", "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);")
	b.waitFor("the table", `document.querySelector('section[data-console="w1"] ol.outputs').textContent.includes("CREATE TABLE")`)
	b.typeLine("w1", "INSERT INTO notes VALUES (1, 'written on w1');")
	b.waitFor("the insert acknowledged", `document.querySelector('section[data-console="w1"] ol.outputs').textContent.includes("1 row affected")`)
	commit := eval[float64](b, `Number(/commit LSN (\d+)/.exec(document.querySelector('section[data-console="w1"] ol.outputs').textContent.split("INSERT INTO notes")[1])[1])`)
	b.waitFor("r1 to apply the commit", fmt.Sprintf(`auroraLab.snapshot().instances.find(i => i.name === "r1").vdl >= %v`, commit))
	if lag := eval[float64](b, `auroraLab.snapshot().instances.find(i => i.name === "r1").lagMax || 0`); lag <= 0 {
		t.Errorf("r1 reports no lag (%v)", lag)
	}
	b.waitFor("r1's lag drawn", `document.querySelector('g.inst[data-inst="r1"] .line2').textContent.includes("lag")`)
	b.typeLine("r1", "SELECT body FROM notes;")
	b.waitFor("the row read on r1", `document.querySelector('section[data-console="r1"] ol.outputs').textContent.includes("written on w1")`)
	if !eval[bool](b, `!!document.querySelector('section[data-console="r1"] table.result')`) {
		t.Error("r1's result is not shown as a table")
	}
	b.noConsoleErrors()
}

// TestPauseAndStep: paused, the model stands still; each Step advances
// exactly one event, and the page shows it.
func TestPauseAndStep(t *testing.T) {
	b := newBrowser(t, "")
	b.open()
	b.typeLine("w1", "CREATE TABLE s (id INT PRIMARY KEY);") // something to step through
	b.do(chromedp.Click(chromedp.CSS("button.play")))
	b.waitFor("paused", `!auroraLab.status().playing`)
	before := eval[float64](b, `auroraLab.status().events`)
	time.Sleep(300 * time.Millisecond)
	if now := eval[float64](b, `auroraLab.status().events`); now != before {
		t.Fatalf("paused, the model went from %v to %v events", before, now)
	}
	for i := range 5 {
		ev := eval[float64](b, `auroraLab.status().events`)
		b.do(chromedp.Click(chromedp.CSS("button.step")))
		b.waitFor("the step", fmt.Sprintf(`auroraLab.status().events !== %v`, ev))
		time.Sleep(50 * time.Millisecond)
		if got := eval[float64](b, `auroraLab.status().events`); got != ev+1 {
			t.Fatalf("step %d: %v events, want %v", i, got, ev+1)
		}
		b.waitFor("the page to show the event count", fmt.Sprintf(`document.querySelector(".statusbar").innerText.includes("%d events")`, int(ev+1)))
	}
	if eval[bool](b, `auroraLab.status().playing`) {
		t.Fatal("stepping set time running")
	}
	b.noConsoleErrors()
}

// TestSecondTabDoesNotWrite: a second tab of the same page finds the lab
// saved by the first, says so, and writes nothing; "Take over" moves the
// saving to it, and the first tab says so.
func TestSecondTabDoesNotWrite(t *testing.T) {
	b := newBrowser(t, "")
	b.open()
	b.typeLine("w1", `\crash a2`)
	b.waitFor("the input saved", `auroraLab.status().storage.entries === 1`)

	second := b.newTab()
	second.open()
	second.waitFor("the other-tab notice", `document.querySelector(".banner").innerText.includes("open in another tab")`)
	if eval[bool](second, `auroraLab.status().storage.writer`) {
		t.Fatal("the second tab says it writes")
	}
	if st := eval[string](second, nodeState("a2")); st != "down" {
		t.Errorf("the second tab does not show the saved state: a2 is %q", st)
	}
	second.typeLine("w1", `\crash b2`)
	second.waitFor("b2 down in the second tab", nodeState("b2")+` === "down"`)
	time.Sleep(300 * time.Millisecond)
	if n := eval[float64](second, storedEntriesJS); n != 1 {
		t.Fatalf("the database holds %v inputs after the second tab ran one: it wrote", n)
	}

	// Take over: the second tab reloads as the writer; the first stops.
	second.do(chromedp.Evaluate[chromedp.Void](`window.beforeTakeOver = true`))
	second.do(chromedp.Click(chromedp.CSS("button.take-over")))
	b.waitFor("the first tab to hand over", `document.querySelector(".banner").innerText.includes("took over")`)
	second.waitReloaded("beforeTakeOver")
	second.waitFor("the second tab to write", `auroraLab.status().storage.writer === true`)
	second.typeLine("w1", `\crash c2`)
	second.waitFor("its input saved", `auroraLab.status().storage.entries === 2`)
	if n := eval[float64](second, storedEntriesJS); n != 2 {
		t.Fatalf("the database holds %v inputs, want 2", n)
	}
	b.typeLine("w1", `\crash c1`)
	time.Sleep(300 * time.Millisecond)
	if n := eval[float64](second, storedEntriesJS); n != 2 {
		t.Fatalf("the first tab still writes: %v inputs stored", n)
	}
	b.noConsoleErrors()
	second.noConsoleErrors()
}

// waitReloaded waits until the page has reloaded (the window lost the
// global mark) and is ready again.
func (b *browser) waitReloaded(mark string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`!window.%s && document.documentElement.dataset.state === "ready"`, mark)))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("the page did not reload (page state: %s)", b.state())
}

// storedEntriesJS counts the inputs the database's session header says
// it holds, read from IndexedDB directly.
const storedEntriesJS = `new Promise((resolve, reject) => {
	const r = indexedDB.open("aurora-lab");
	r.onsuccess = () => {
		const tx = r.result.transaction("meta", "readonly");
		const g = tx.objectStore("meta").get("session");
		g.onsuccess = () => {
			r.result.close();
			if (!g.result) { resolve(0); return; }
			resolve(JSON.parse(new TextDecoder().decode(g.result.data)).entries);
		};
		g.onerror = () => reject(g.error);
	};
	r.onerror = () => reject(r.error);
})`

// TestKillKeepsAcknowledgedCommits kills the browser process (SIGKILL to
// its process group) in the middle of a write workload, several times,
// restarts it on the same profile, and finds every commit the page had
// shown as acknowledged.
func TestKillKeepsAcknowledgedCommits(t *testing.T) {
	profile := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	acked := map[int]bool{}
	next := 1
	const rounds = 3
	for round := range rounds + 1 {
		b := newBrowser(t, profile)
		b.open()
		st := eval[map[string]any](b, `auroraLab.status()`)
		t.Logf("round %d: opened: storage %v; problem %q; %v", round, st["storage"], st["problem"], st["restored"])
		if !eval[bool](b, `auroraLab.status().storage.writer`) {
			t.Fatalf("round %d: the page does not save: %v", round, st)
		}
		if p, _ := st["problem"].(string); p != "" {
			// The page says why it lost what it had saved: the browser
			// deleted the database (see TestBrowserDataLossIsReported).
			t.Fatalf("round %d: the page reports a problem: %s", round, p)
		}
		// Every commit shown before a kill must be there. The restored
		// console shows the earlier rounds' selects again: each round's
		// select is its own.
		sel := fmt.Sprintf("SELECT id FROM kv WHERE id > -%d ORDER BY id;", round+1)
		b.typeLine("w1", sel)
		if round == 0 {
			b.waitFor("the select", `document.querySelector('section[data-console="w1"] ol.outputs').textContent.includes("doesn't exist")`)
			b.typeLine("w1", "CREATE TABLE kv (id INT PRIMARY KEY, v TEXT);")
			b.waitFor("the table acknowledged", `document.querySelector('section[data-console="w1"] ol.outputs').textContent.includes("CREATE TABLE\n")`)
		} else {
			mine := fmt.Sprintf(`[...document.querySelectorAll('section[data-console="w1"] li.out')].find(li => li.querySelector(".in").textContent.includes(%q))`, strings.TrimSuffix(sel, ";"))
			b.waitFor("the select's rows", fmt.Sprintf(`/\(\d+ rows?\)|Empty set/.test((%s || {textContent: ""}).textContent)`, mine))
			cells := eval[[]string](b, `Array.from(`+mine+`.querySelectorAll("table.result td"), td => td.textContent)`)
			found := map[int]bool{}
			for _, c := range cells {
				id, err := strconv.Atoi(c)
				if err != nil {
					t.Fatalf("round %d: a cell of the select holds %q", round, c)
				}
				found[id] = true
			}
			var lost []int
			for id := range acked {
				if !found[id] {
					lost = append(lost, id)
				}
			}
			slices.Sort(lost)
			if len(lost) > 0 {
				t.Fatalf("round %d: %d of %d acknowledged commits lost after the kill: %v", round, len(lost), len(acked), lost)
			}
			t.Logf("round %d: all %d acknowledged commits found after the kill (%d rows)", round, len(acked), len(found))
			for id := range found {
				next = max(next, id+1)
			}
		}
		if round == rounds {
			b.noConsoleErrors()
			return
		}
		// The workload: an insert whenever w1 is free, at 100 ms of
		// simulated time per second.
		b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			auroraLab.speed(12);
			let id = %d;
			window.workload = setInterval(() => {
				const w1 = auroraLab.snapshot(1e12).consoles.find(c => c.name === "w1");
				if (w1 && w1.busy) return;
				auroraLab.run("w1", "INSERT INTO kv VALUES (" + id + ", 'v" + id + "');");
				id++;
			}, 4);
		})()`, next)))
		// Watch what the page shows as acknowledged, and kill the browser
		// at a random moment.
		deadline := time.Now().Add(time.Duration(800+rng.IntN(1200)) * time.Millisecond)
		for time.Now().Before(deadline) {
			for _, id := range b.ackedIDs() {
				acked[id] = true
			}
			time.Sleep(time.Duration(5+rng.IntN(30)) * time.Millisecond)
		}
		for _, id := range b.ackedIDs() {
			acked[id] = true
		}
		b.kill()
		t.Logf("round %d: killed with %d commits acknowledged so far", round, len(acked))
		if len(acked) == 0 {
			t.Fatal("no commit was acknowledged before the kill")
		}
	}
}

// ackedIDs returns the ids of the inserts w1 shows as acknowledged.
func (b *browser) ackedIDs() []int {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[...document.querySelectorAll('section[data-console="w1"] li.out')]
		.filter(li => /commit LSN \d+ durable/.test(li.textContent))
		.map(li => /INSERT INTO kv VALUES \((\d+),/.exec(li.querySelector(".in").textContent))
		.filter(m => m).map(m => Number(m[1]))`))
	if err != nil {
		b.t.Fatalf("reading the acknowledged inserts: %v", err)
	}
	return ids
}

// newTab opens another tab in the same browser (same profile).
func (b *browser) newTab() *browser {
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("opening a tab: %v", err)
	}
	nb := &browser{t: b.t, ctx: ctx, profile: b.profile}
	nb.listen()
	return nb
}

// kill sends SIGKILL to the browser's process group, then to any process
// still running on its profile, and waits until none is left.
func (b *browser) kill() {
	b.t.Helper()
	p := chromedp.FromContext(b.ctx).Browser.Process()
	if p == nil {
		b.t.Fatal("no browser process to kill")
	}
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		b.t.Fatalf("kill -KILL -%d: %v", p.Pid, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := processesUsing(b.profile)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browser processes %v still run on the profile", left)
		}
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.cancel()
}

// processesUsing returns the processes whose command line names dir (the
// browser and its children all get --user-data-dir=dir).
func processesUsing(dir string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if strings.Contains(string(cmd), "--user-data-dir="+dir) {
			if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && strings.Contains(string(st), ") Z ") {
				continue // a zombie: already dead
			}
			out = append(out, pid)
		}
	}
	return out
}

// TestBrowserDataLossIsReported: Chromium deletes an IndexedDB database it
// finds corrupt when it opens it, and says so only in the open request's
// upgrade event (dataLoss "total"). LevelDB can leave such a database
// after two crashes: the first kill lands while a log record is written,
// leaving a torn record at the end of the log; the next open drops it
// but goes on appending after it (Chromium reuses the log), so after the
// next kill the torn record sits mid-file and fails its checksum. The
// page cannot keep the data then, but it must say it lost it rather than
// start again in silence. The torn tail is made here by cutting the log.
func TestBrowserDataLossIsReported(t *testing.T) {
	profile := t.TempDir()
	insert := func(b *browser, from, n int) {
		for id := from; id < from+n; id++ {
			b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`auroraLab.run("w1", "INSERT INTO kv VALUES (%d, 'v');")`, id)))
			b.waitFor("w1 free", `!auroraLab.snapshot(1e12).consoles.find(c => c.name === "w1").busy`)
		}
		eval[float64](b, `auroraLab.flush()`)
	}
	for round := range 3 {
		b := newBrowser(t, profile)
		b.open()
		st := eval[map[string]any](b, `auroraLab.status()`)
		problem, _ := st["problem"].(string)
		t.Logf("round %d: opened: storage %v; problem %q", round, st["storage"], problem)
		if round == 2 {
			if !strings.Contains(problem, "The browser lost the state saved here") {
				t.Fatalf("the browser deleted the database, and the page does not say so: problem %q, storage %v", problem, st["storage"])
			}
			b.noConsoleErrors()
			return
		}
		if problem != "" {
			t.Fatalf("round %d: problem %q", round, problem)
		}
		if round == 0 {
			b.typeLine("w1", "CREATE TABLE kv (id INT PRIMARY KEY, v TEXT);")
			b.waitFor("the table", `document.querySelector('section[data-console="w1"] ol.outputs').textContent.includes("CREATE TABLE\n")`)
		}
		insert(b, 1+round*100, 10)
		b.kill()
		if round == 0 {
			logs, _ := filepath.Glob(filepath.Join(profile, "Default", "IndexedDB", "*.leveldb", "*.log"))
			if len(logs) != 1 {
				t.Fatalf("LevelDB logs in the profile: %v", logs)
			}
			fi, err := os.Stat(logs[0])
			if err != nil || fi.Size() < 100 {
				t.Fatalf("LevelDB log %s: %v, %v", logs[0], fi, err)
			}
			// The last record's payload cut short, as a kill between
			// LevelDB's write of a record header and its payload leaves it.
			if err := os.Truncate(logs[0], fi.Size()-20); err != nil {
				t.Fatal(err)
			}
		}
	}
}
