//go:build !js

package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// The page under load: frames and IndexedDB flushes.
//
// A generator in the page submits statements at a fixed rate of simulated
// time (rate per simulated second), on several consoles connected to w1,
// half of them inserts (each a commit through the 4/6 write quorum) and
// half point reads of a row just written. It runs at a given speed for a
// while of wall time; the page's own counters (auroraLab.perf()) give the
// time between animation frames, the frame's work (model, checkpoint,
// flush hand-off and DOM updates), and each IndexedDB transaction's time
// and records.

// workloadJS starts the generator: %d statements per simulated second on
// %d consoles.
const workloadJS = `(() => {
	const rate = %d, consoles = %d;
	const start = auroraLab.status().now;
	let submitted = 0, i = 1;
	const tick = () => {
		if (window.stopLoad) return;
		const due = Math.floor((auroraLab.status().now - start) * rate / 1e9) - submitted;
		for (let k = 0; k < due; k++) {
			const c = "load" + (i %% consoles);
			auroraLab.run(c, i %% 2 ? "INSERT INTO bench VALUES (" + i + ", 'value " + i + "');" : "SELECT v FROM bench WHERE id = " + (i - 1) + ";");
			i++; submitted++;
		}
		requestAnimationFrame(tick);
	};
	requestAnimationFrame(tick);
})()`

type perfData struct {
	Frames []struct {
		Interval float64            `json:"interval"`
		Sim      float64            `json:"sim"`
		Save     float64            `json:"save"`
		Total    float64            `json:"total"`
		Events   int                `json:"events"`
		Phases   map[string]float64 `json:"phases"`
		GCs      float64            `json:"gcs"`
		Heap     float64            `json:"heap"`
	} `json:"frames"`
	Flushes []struct {
		MS      float64 `json:"ms"`
		Records int     `json:"records"`
	} `json:"flushes"`
}

type pageStatus struct {
	Now     float64 `json:"now"`
	Events  float64 `json:"events"`
	Outputs float64 `json:"outputs"`
	Problem string  `json:"problem"`
	Storage struct {
		Durable bool   `json:"durable"`
		Entries int    `json:"entries"`
		Error   string `json:"error"`
	} `json:"storage"`
}

// loadResult is one speed's figures.
type loadResult struct {
	speed                      string
	wall                       float64 // seconds measured
	simRate                    float64 // simulated seconds per wall second
	statements                 float64 // outputs per simulated second
	events                     float64 // events per wall second
	interval50, interval95     float64
	work50, work95, workMax    float64
	sim95                      float64
	flush50, flush95, flushMax float64
	flushes                    int
	records                    int
	recordsPerSec              float64  // records written per wall second
	recordsPerFlushMS          float64  // records per millisecond of transaction
	phases                     []string // p50/p95 of each phase of the frame's work
	gcFrames                   int      // frames in which the garbage collector ran
	gcWork95, noGCWork95       float64
	loaf                       string // what the long frames spent their time on
	heapMB                     float64
}

func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(p * float64(len(s)-1))
	return s[i]
}

// measureLoad runs the workload at each speed (an index of the page's
// speeds) for dur of wall time after a warm-up, in one fresh browser.
func measureWorkload(pageURL, execPath string, rate, consoles int, speeds []int, dur time.Duration) ([]loadResult, error) {
	ctx, cancel := newBrowser(execPath, 10*time.Minute, chromedp.WindowSize(1440, 1000))
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		return nil, err
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.documentElement.dataset.state === "ready"`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		return nil, err
	}
	eval := func(js string) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[any](js, chromedp.EvalAwaitPromise))
		return err
	}
	if err := eval(`auroraLab.run("w1", "CREATE TABLE bench (id INT PRIMARY KEY, v TEXT);"); auroraLab.speed(12)`); err != nil {
		return nil, err
	}
	time.Sleep(time.Second)
	if err := eval(fmt.Sprintf(workloadJS, rate, consoles)); err != nil {
		return nil, err
	}
	var out []loadResult
	for _, sp := range speeds {
		label, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`auroraLab.speed(%d).label`, sp)))
		if err != nil {
			return nil, err
		}
		time.Sleep(2 * time.Second) // warm up at this speed
		if err := eval(`auroraLab.perfReset(); window.loaf = []; if (!window.loafObs && window.PerformanceObserver) {
			window.loafObs = new PerformanceObserver(l => { for (const e of l.getEntries()) window.loaf.push({
				d: e.duration, block: e.blockingDuration,
				style: e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0,
				render: e.renderStart ? e.startTime + e.duration - e.renderStart : 0,
				scripts: (e.scripts || []).map(s => ({inv: s.invokerType + " " + s.invoker, d: s.duration}))}); });
			try { window.loafObs.observe({type: "long-animation-frame"}); } catch (e) {}
		}`); err != nil {
			return nil, err
		}
		st0, err := chromedp.Run(ctx, chromedp.Evaluate[pageStatus](`auroraLab.status()`))
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		time.Sleep(dur)
		st1, err := chromedp.Run(ctx, chromedp.Evaluate[pageStatus](`auroraLab.status()`))
		if err != nil {
			return nil, err
		}
		wall := time.Since(t0).Seconds()
		p, err := chromedp.Run(ctx, chromedp.Evaluate[perfData](`auroraLab.perf()`))
		if err != nil {
			return nil, err
		}
		if st1.Storage.Error != "" || st1.Problem != "" {
			return nil, fmt.Errorf("the page reports a problem: %s %s", st1.Problem, st1.Storage.Error)
		}
		r := loadResult{speed: label + "/s", wall: wall}
		type loaf struct {
			D, Block, Style, Render float64
			Scripts                 []struct {
				Inv string
				D   float64
			}
		}
		lf, err := chromedp.Run(ctx, chromedp.Evaluate[[]loaf](`window.loaf`))
		if err == nil && len(lf) > 0 {
			by := map[string]float64{}
			var d, style, render float64
			for _, l := range lf {
				d += l.D
				style += l.Style
				render += l.Render
				for _, sc := range l.Scripts {
					by[sc.Inv] += sc.D
				}
			}
			var parts []string
			for k, v := range by {
				parts = append(parts, fmt.Sprintf("%s %.0f ms", k, v))
			}
			slices.Sort(parts)
			r.loaf = fmt.Sprintf("%d long frames (over 50 ms), %.0f ms in all: rendering %.0f ms (style and layout %.0f ms); scripts: %s",
				len(lf), d, render, style, strings.Join(parts, "; "))
		}
		simS := (st1.Now - st0.Now) / 1e9
		r.simRate = simS / wall
		if simS > 0 {
			r.statements = (st1.Outputs - st0.Outputs) / simS
		}
		r.events = (st1.Events - st0.Events) / wall
		var iv, work, sim []float64
		for _, f := range p.Frames {
			if f.Interval > 0 {
				iv = append(iv, f.Interval)
			}
			work = append(work, f.Total)
			sim = append(sim, f.Sim)
		}
		r.interval50, r.interval95 = pct(iv, 0.5), pct(iv, 0.95)
		byPhase := map[string][]float64{}
		var gcWork, noGC []float64
		for i, f := range p.Frames {
			for k, v := range f.Phases {
				byPhase[k] = append(byPhase[k], v)
			}
			byPhase["model"] = append(byPhase["model"], f.Sim)
			byPhase["save"] = append(byPhase["save"], f.Save)
			if i > 0 && f.GCs > p.Frames[i-1].GCs {
				r.gcFrames++
				gcWork = append(gcWork, f.Total)
			} else {
				noGC = append(noGC, f.Total)
			}
		}
		r.gcWork95, r.noGCWork95 = pct(gcWork, 0.95), pct(noGC, 0.95)
		for _, f := range p.Frames {
			r.heapMB = max(r.heapMB, f.Heap/1e6)
		}
		for _, k := range []string{"model", "save", "outputs", "snapshot", "topology", "volume", "events", "checks", "status"} {
			r.phases = append(r.phases, fmt.Sprintf("%s %.2f/%.2f", k, pct(byPhase[k], 0.5), pct(byPhase[k], 0.95)))
		}
		r.work50, r.work95, r.workMax = pct(work, 0.5), pct(work, 0.95), pct(work, 1)
		r.sim95 = pct(sim, 0.95)
		var fl []float64
		flMS := 0.0
		for _, f := range p.Flushes {
			fl = append(fl, f.MS)
			flMS += f.MS
			r.records += f.Records
		}
		r.flushes = len(fl)
		r.flush50, r.flush95, r.flushMax = pct(fl, 0.5), pct(fl, 0.95), pct(fl, 1)
		r.recordsPerSec = float64(r.records) / wall
		if flMS > 0 {
			r.recordsPerFlushMS = float64(r.records) / flMS
		}
		out = append(out, r)
	}
	_ = eval(`window.stopLoad = true`)
	return out, nil
}

func reportWorkload(w io.Writer, rate, consoles int, rs []loadResult) {
	fmt.Fprintf(w, "\nThe page under load: %d statements per simulated second (half inserts, half point reads) on %d consoles to w1, default cluster\n\n", rate, consoles)
	fmt.Fprintf(w, "%-10s  %9s  %10s  %9s  %15s  %19s  %21s  %8s  %10s\n",
		"speed", "sim/wall", "stmts/sim s", "events/s", "frame p50/p95", "frame work p50/p95", "flush p50/p95/max", "flushes", "records/s")
	for _, r := range rs {
		fmt.Fprintf(w, "%-10s  %8.3fx  %10.0f  %9.0f  %6.1f/%5.1f ms  %7.2f/%5.2f ms  %6.1f/%5.1f/%5.1f ms  %8d  %10.0f\n",
			r.speed, r.simRate, r.statements, r.events, r.interval50, r.interval95, r.work50, r.work95,
			r.flush50, r.flush95, r.flushMax, r.flushes, r.recordsPerSec)
	}
	fmt.Fprintln(w, "\nframe: time between animation frames; frame work: the page's work in the frame callback (model, checkpoint share, flush hand-off, DOM updates);")
	fmt.Fprintln(w, "flush: one IndexedDB transaction (strict durability) from the persister's goroutine; records/s: records written per wall second.")
	for _, r := range rs {
		fmt.Fprintf(w, "  at %s, frame work by phase (ms p50/p95): %s\n", r.speed, strings.Join(r.phases, ", "))
		fmt.Fprintf(w, "  at %s, the garbage collector ran in %d frames: their work p95 %.1f ms, the others' %.1f ms; heap goal up to %.0f MB\n", r.speed, r.gcFrames, r.gcWork95, r.noGCWork95, r.heapMB)
		if r.loaf != "" {
			fmt.Fprintf(w, "  at %s, %s\n", r.speed, r.loaf)
		}
	}
	for _, r := range rs {
		if r.recordsPerFlushMS > 0 {
			fmt.Fprintf(w, "  at %s: %d records in %d flushes, %.1f records per ms of transaction\n", r.speed, r.records, r.flushes, r.recordsPerFlushMS)
		}
	}
}
