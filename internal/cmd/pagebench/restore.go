//go:build !js

package main

import (
	"fmt"
	"io"
	"time"

	"github.com/chromedp/chromedp"
)

// Restore after a reload: a session of n inputs (one IndexedDB record
// each in the log, plus the checkpointed disks' pieces) is built in the
// page, saved, and the page reloaded; the time from navigation to first
// render is the restore, of which the replay is marked apart.
//
// The session: a table, then n-1 statements queued on w1 while paused (one
// input each), one in ten an insert and the others point reads, run to the
// end at full speed. The replay runs them all again.

type restoreResult struct {
	entries     int
	diskPieces  int
	diskRecords int // log records and pages on the disks
	records     int // IndexedDB records stored: log, header, disks
	build       float64
	firstRender float64 // ms from navigation to first render (the restore's progress shows), reload
	ready       float64 // ms from navigation to the page restored and ready
	replay      float64 // ms of it spent replaying
	load        float64 // ms of it spent reading IndexedDB before the replay
	simulated   float64 // seconds of simulated time replayed
	events      float64
	ok          bool
	bulkRecords int     // records of the build's largest transaction
	bulkMS      float64 // its time
	verdict     string
}

const buildJS = `(() => {
	auroraLab.pause();
	auroraLab.run("w1", "CREATE TABLE r (id INT PRIMARY KEY, v TEXT);");
	for (let i = 1; i < %d; i++) {
		auroraLab.run("w1", i %% 10 === 1 ? "INSERT INTO r VALUES (" + i + ", 'value " + i + "');" : "SELECT v FROM r WHERE id = " + (i - i %% 10 + 1) + ";");
	}
	auroraLab.speed(auroraLab.speeds.length - 1);
	auroraLab.play();
})()`

const restoreTimingJS = `(() => {
	const m = n => (performance.getEntriesByName(n, "mark")[0] || {startTime: -1}).startTime;
	return {first: m("aurora:first-render"), ready: m("aurora:ready"), load: m("aurora:load-start"), rs: m("aurora:restore-start"), re: m("aurora:restore-end")};
})()`

func measureRestore(pageURL, execPath string, n int) (restoreResult, error) {
	r := restoreResult{entries: n}
	// A new browser, with a new temporary profile.
	ctx, cancel := newBrowser(execPath, 20*time.Minute)
	defer cancel()
	ready := func() error {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.documentElement.dataset.state === "ready"`,
			chromedp.WithPollingTimeout(10*time.Minute), chromedp.WithPollingInterval(5*time.Millisecond)))
		return err
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		return r, err
	}
	if err := ready(); err != nil {
		return r, err
	}
	start := time.Now()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](fmt.Sprintf(buildJS, n))); err != nil {
		return r, err
	}
	// Run to the end, pause (a paused page checkpoints its disks), and
	// wait for the checkpoint and the last flush.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!auroraLab.snapshot(1e12).consoles.some(c => c.busy)`,
		chromedp.WithPollingTimeout(15*time.Minute), chromedp.WithPollingInterval(200*time.Millisecond))); err != nil {
		return r, fmt.Errorf("running the session: %w", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`auroraLab.pause()`)); err != nil {
		return r, err
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const s = auroraLab.status(); return s.storage.checkpoint && s.storage.checkpoint.at === s.now && s.storage.entries === auroraLab.log().length; })()`,
		chromedp.WithPollingTimeout(2*time.Minute), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		return r, fmt.Errorf("waiting for the checkpoint: %w", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`auroraLab.flush()`, chromedp.EvalAwaitPromise)); err != nil {
		return r, err
	}
	r.build = time.Since(start).Seconds()
	// The largest transaction of the build: the whole log queued at once.
	p, err := chromedp.Run(ctx, chromedp.Evaluate[perfData](`auroraLab.perf()`))
	if err != nil {
		return r, err
	}
	for _, f := range p.Flushes {
		if f.Records > r.bulkRecords {
			r.bulkRecords, r.bulkMS = f.Records, f.MS
		}
	}
	type status struct {
		Now     float64 `json:"now"`
		Events  float64 `json:"events"`
		Storage struct {
			Entries    int `json:"entries"`
			Checkpoint struct {
				Segments int `json:"segments"`
				Records  int `json:"records"`
				Pages    int `json:"pages"`
			} `json:"checkpoint"`
		} `json:"storage"`
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[status](`auroraLab.status()`))
	if err != nil {
		return r, err
	}
	nodes := 6
	r.diskPieces = st.Storage.Checkpoint.Segments + nodes
	r.diskRecords = st.Storage.Checkpoint.Records + st.Storage.Checkpoint.Pages
	r.records = st.Storage.Entries + 2 + r.diskPieces
	r.simulated, r.events = st.Now/1e9, st.Events

	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		return r, err
	}
	if err := ready(); err != nil {
		return r, err
	}
	type timing struct {
		First float64 `json:"first"`
		Ready float64 `json:"ready"`
		Load  float64 `json:"load"`
		RS    float64 `json:"rs"`
		RE    float64 `json:"re"`
	}
	tm, err := chromedp.Run(ctx, chromedp.Evaluate[timing](restoreTimingJS))
	if err != nil {
		return r, err
	}
	r.firstRender, r.ready, r.replay, r.load = tm.First, tm.Ready, tm.RE-tm.RS, tm.RS-tm.Load
	after, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Events float64 `json:"events"`
		At     float64 `json:"at"`
	}](`auroraLab.status().restoredAt`))
	if err != nil {
		return r, err
	}
	verdict, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Checked, Stored, Replayed bool
	}](`auroraLab.status().verdict`))
	if err != nil {
		return r, err
	}
	same := after.Events == st.Events && after.At == st.Now
	r.ok = same && verdict.Checked && verdict.Stored && verdict.Replayed
	r.verdict = fmt.Sprintf("restored to the saved moment %v, disks checked %v, stored ones intact %v, replay matches them %v",
		same, verdict.Checked, verdict.Stored, verdict.Replayed)
	return r, nil
}

func reportRestore(w io.Writer, rs []restoreResult) {
	fmt.Fprintf(w, "\nRestore after a reload (one fresh profile each; a session of N inputs, one in ten an insert, the rest point reads on w1)\n\n")
	fmt.Fprintf(w, "%8s  %11s  %11s  %10s  %10s  %12s  %12s  %10s  %10s  %8s\n",
		"inputs", "IDB records", "disk pieces", "disk items", "simulated", "first render", "restored", "IDB read", "replay", "built in")
	for _, r := range rs {
		fmt.Fprintf(w, "%8d  %11d  %11d  %10d  %9.2fs  %9.0f ms  %9.0f ms  %7.0f ms  %7.0f ms  %7.1fs\n",
			r.entries, r.records, r.diskPieces, r.diskRecords, r.simulated, r.firstRender, r.ready, r.load, r.replay, r.build)
	}
	fmt.Fprintln(w, "\nfirst render: navigation to the first frame (the restore's progress shows); restored: navigation to the page ready,")
	fmt.Fprintln(w, "the session replayed over the animation frames; IDB read: the lock, opening IndexedDB, reading the log and the disks.")
	for _, r := range rs {
		if r.bulkMS > 0 {
			fmt.Fprintf(w, "  largest IndexedDB transaction while building %d inputs: %d records in %.0f ms, %.0f records per second\n",
				r.entries, r.bulkRecords, r.bulkMS, float64(r.bulkRecords)/r.bulkMS*1000)
		}
	}
	for _, r := range rs {
		mark := "ok"
		if !r.ok {
			mark = "PROBLEM"
		}
		fmt.Fprintf(w, "  %d inputs: %s (%s; %.0f events replayed)\n", r.entries, mark, r.verdict, r.events)
	}
}
