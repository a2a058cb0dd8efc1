//go:build !js

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// shotScript is what the screenshots show: a table, writes acknowledged,
// a node down, a slow link, and a PG selected, with time paused so the
// picture holds messages in flight.
var shotScript = []struct{ console, text string }{
	{"w1", "CREATE TABLE accounts (id INT PRIMARY KEY, owner TEXT, balance INT);"},
	{"w1", "INSERT INTO accounts VALUES (1, 'ada', 100), (2, 'grace', 250), (3, 'edsger', 75);"},
	{"w1", "INSERT INTO accounts VALUES (4, 'owner 4', 40), (5, 'owner 5', 50), (6, 'owner 6', 60), (7, 'owner 7', 70), (8, 'owner 8', 80), (9, 'owner 9', 90), (10, 'owner 10', 100), (11, 'owner 11', 110), (12, 'owner 12', 120), (13, 'owner 13', 130), (14, 'owner 14', 140), (15, 'owner 15', 150), (16, 'owner 16', 160), (17, 'owner 17', 170), (18, 'owner 18', 180), (19, 'owner 19', 190), (20, 'owner 20', 200), (21, 'owner 21', 210), (22, 'owner 22', 220), (23, 'owner 23', 230), (24, 'owner 24', 240), (25, 'owner 25', 250), (26, 'owner 26', 260), (27, 'owner 27', 270), (28, 'owner 28', 280), (29, 'owner 29', 290), (30, 'owner 30', 300), (31, 'owner 31', 310), (32, 'owner 32', 320), (33, 'owner 33', 330), (34, 'owner 34', 340), (35, 'owner 35', 350), (36, 'owner 36', 360), (37, 'owner 37', 370), (38, 'owner 38', 380), (39, 'owner 39', 390), (40, 'owner 40', 400), (41, 'owner 41', 410), (42, 'owner 42', 420), (43, 'owner 43', 430), (44, 'owner 44', 440), (45, 'owner 45', 450), (46, 'owner 46', 460), (47, 'owner 47', 470), (48, 'owner 48', 480), (49, 'owner 49', 490), (50, 'owner 50', 500), (51, 'owner 51', 510), (52, 'owner 52', 520), (53, 'owner 53', 530), (54, 'owner 54', 540), (55, 'owner 55', 550), (56, 'owner 56', 560), (57, 'owner 57', 570), (58, 'owner 58', 580), (59, 'owner 59', 590), (60, 'owner 60', 600), (61, 'owner 61', 610), (62, 'owner 62', 620), (63, 'owner 63', 630);"},
	{"page", `\crash c2`},
	{"page", `\latency b1 w1 20ms`},
	{"w1", "UPDATE accounts SET balance = balance + 10 WHERE id = 2;"},
	{"r1", "SELECT id, owner, balance FROM accounts;"},
	{"w1", "SELECT owner, balance FROM accounts WHERE id = 2;"},
	{"w1", "SELECT nothing FROM accounts;"},
}

// shoot saves the page at desktop and phone width into dir.
func shoot(pageURL, dir, execPath string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, v := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{
		{"page-desktop.png", 1440, 1000, false},
		{"page-phone.png", 390, 844, true},
	} {
		if err := shootOne(pageURL, filepath.Join(dir, v.name), v.width, v.height, v.mobile, execPath); err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
		fmt.Println("wrote", filepath.Join(dir, v.name))
	}
	return nil
}

func shootOne(pageURL, file string, width, height int64, mobile bool, execPath string) error {
	ctx, cancel := newBrowser(execPath, 90*time.Second, chromedp.WindowSize(int(width), int(height)))
	defer cancel()

	var emulate []chromedp.Action[chromedp.Void]
	if mobile {
		emulate = append(emulate, chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	} else {
		emulate = append(emulate, chromedp.EmulateViewport(width, height))
	}
	if err := chromedp.Do(ctx, emulate...); err != nil {
		return err
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		return err
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.documentElement.dataset.state === "ready"`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		return err
	}
	run := func(js string) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[any](js, chromedp.EvalAwaitPromise))
		return err
	}
	if err := run(`auroraLab.speed(9)`); err != nil { // 10 ms per second
		return err
	}
	for _, s := range shotScript {
		if err := run(fmt.Sprintf(`auroraLab.run(%q, %q)`, s.console, s.text)); err != nil {
			return err
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
			fmt.Sprintf(`!auroraLab.snapshot().consoles.some(c => c.name === %q && c.busy)`, s.console),
			chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			return fmt.Errorf("waiting for %s: %w", s.text, err)
		}
	}
	// A statement in flight when the picture is taken.
	if err := run(`auroraLab.run("w1", "INSERT INTO accounts VALUES (100, 'barbara', 300);")`); err != nil {
		return err
	}
	time.Sleep(40 * time.Millisecond)
	if err := run(`auroraLab.pause(); document.querySelector('.pg').click()`); err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond)
	if !mobile {
		// The whole page at once: a viewport as tall as the page, so
		// that every list is rendered (they skip what is off screen).
		h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
		if err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, h)); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond)
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			return err
		}
		return os.WriteFile(file, buf, 0o644)
	}
	// At phone width the page is long: the first screen, then the volume.
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		return err
	}
	if err := run(`document.querySelector(".panel-volume").scrollIntoView()`); err != nil {
		return err
	}
	time.Sleep(200 * time.Millisecond)
	if buf, err = chromedp.Run(ctx, chromedp.CaptureScreenshot()); err != nil {
		return err
	}
	second := strings.TrimSuffix(file, ".png") + "-volume.png"
	fmt.Println("wrote", second)
	return os.WriteFile(second, buf, 0o644)
}
