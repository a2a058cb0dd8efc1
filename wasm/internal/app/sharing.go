//go:build js && wasm

package app

import (
	"errors"
	"fmt"
	"html"
	"net/url"
	"strings"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
	"aurora-lab/wasm/internal/share"
)

// Sharing: a link that replays this run to this moment in any browser,
// export and import of the run as a console-language file, and the line
// that embeds the current scenario in a documentation page. The formats
// are package share's; this file is their part of the page.

// Run returns the run so far: the configuration the model started with,
// the command log and the moment it has reached.
func (a *App) Run() *share.Run {
	r := &share.Run{Config: a.start, Log: a.lab.Log(), At: a.lab.Now(), Events: a.lab.Events()}
	if a.guide.active {
		r.Step = a.guide.step
	}
	return r
}

// siteBase returns the address of the site's folder (where index.html
// and embed.html are), without query or fragment.
func siteBase() string {
	href := dom.Here().Href
	if i := strings.IndexAny(href, "?#"); i >= 0 {
		href = href[:i]
	}
	if i := strings.LastIndexByte(href, '/'); i >= 0 {
		href = href[:i+1]
	}
	return href
}

// ShareLink returns the link that replays the run to this moment.
func (a *App) ShareLink() string {
	return siteBase() + "#" + share.Fragment(a.Run())
}

// EmbedCode returns the iframe that embeds the scenario the model runs
// (or a new default cluster when it runs none) in another page.
func (a *App) EmbedCode() string {
	g := &a.guide
	src, title := siteBase()+"embed.html", "Aurora Lab"
	log := a.lab.Log()
	switch {
	case g.name != "":
		src += "?scenario=" + url.QueryEscape(g.name)
		title += ": " + g.outline.Title
	case len(log) > 0 && log[0].Console == share.ScenarioConsole:
		src += "?zscript=" + share.Compress([]byte(log[0].Text))
		if g.outline.Title != "" {
			title += ": " + g.outline.Title
		}
	}
	return fmt.Sprintf(`<iframe src="%s" title="%s" width="100%%" height="640" style="border:0" loading="lazy"></iframe>`,
		html.EscapeString(src), html.EscapeString(title))
}

// linkRun reads the run the page's address asks for, fetching the
// scenario it names. It blocks (Mount may). note says what went wrong, or
// "" when all is well.
func (a *App) linkRun(l *share.Link) (run *share.Run, note string) {
	if l == nil || l.Empty() {
		return nil, ""
	}
	switch {
	case l.Run != nil:
		if l.NeedsScenario() {
			src, err := a.guide.fetch(l.Scenario)
			if err != nil {
				return nil, fmt.Sprintf("The link's run begins with a scenario that could not be loaded (%v). ", err)
			}
			if err := l.Resolve(src); errors.Is(err, share.ErrScenarioChanged) {
				note = fmt.Sprintf("⚠ The scenario %q has changed since this link was made: the run is replayed with the scenario as it is now and may differ from the one shared. ", l.Scenario)
			}
		}
		return l.Run, note
	case l.Scenario != "":
		src, err := a.guide.fetch(l.Scenario)
		if err != nil {
			return nil, fmt.Sprintf("The scenario the address names could not be loaded (%v). ", err)
		}
		return scriptRun(share.ScenarioInput(l.Scenario, src)), ""
	default:
		if _, err := engine.GuideOutline(l.Script); err != nil {
			return nil, fmt.Sprintf("The script in the address does not parse (%v). ", err)
		}
		return scriptRun(l.Script), ""
	}
}

// scriptRun is the run that starts a script (a scenario's input, or a
// script of its own) on a new default cluster.
func scriptRun(text string) *share.Run {
	return &share.Run{Config: engine.DefaultConfig(), Log: []engine.Entry{{Console: share.ScenarioConsole, Text: text}}}
}

// sayLink puts what the page says about its link into the banner.
func (a *App) sayLink() {
	switch {
	case a.shared:
		a.problem = a.linkNote + "This is a run from a link, replayed to the moment it was shared and paused there. It runs in memory: the lab saved in this browser is left as it was."
		if a.real != nil {
			a.problem += " Keep it to make it the lab saved here."
		}
	case a.linkNote != "":
		a.problem = strings.TrimSpace(a.linkNote + a.problem)
	}
}

// ---------------------------------------------------------------- dialogs

// shareDialog is the Share dialog.
type shareDialog struct {
	el        dom.Element
	link      dom.Element
	copy      dom.Element
	copyState dom.Element
	export    dom.Element
	file      dom.Element
	fileState dom.Element
	embed     dom.Element
}

func newShareDialog(b *dom.Builder) *shareDialog {
	d := &shareDialog{el: b.El("dialog", "share-dialog", "")}
	h := heading(b, d.el, "h2", "share-title", "Share, export, embed")

	linkSec := b.El("section", "", "")
	linkHelp := b.El("p", "", "This link replays the run to this moment in any browser: the cluster's configuration and seed, and every input with the moment it was made.")
	linkLabel := b.El("label", "share-field", "Link ")
	d.link = b.El("input", "share-link", "")
	b.Attr(d.link, "readonly", "")
	b.Attr(d.link, "type", "url")
	b.Add(linkLabel, d.link)
	d.copy = b.El("button", "copy", "Copy link")
	b.Attr(d.copy, "type", "button")
	d.copyState = b.El("span", "copy-state", "")
	b.Attr(d.copyState, "role", "status")
	b.Add(linkSec, linkHelp, linkLabel, d.copy, d.copyState)

	fileSec := b.El("section", "", "")
	fileH := b.El("h3", "", "Export and import")
	fileHelp := b.El("p", "", "A run exports as a console-language file: each input as typed, under a comment with its console and moment. Importing it replays it exactly; importing any other scenario file runs it as a guided scenario. Importing replaces the lab and what this browser saved.")
	d.export = b.El("button", "export", "Download this run (.aurora)")
	b.Attr(d.export, "type", "button")
	fileLabel := b.El("label", "share-field", "Import a file ")
	d.file = b.El("input", "import", "")
	b.Attr(d.file, "type", "file")
	b.Attr(d.file, "accept", ".aurora,.txt,text/plain")
	b.Add(fileLabel, d.file)
	d.fileState = b.El("p", "import-state", "")
	b.Attr(d.fileState, "role", "status")
	b.Add(fileSec, fileH, fileHelp, d.export, fileLabel, d.fileState)

	embedSec := b.El("section", "", "")
	embedH := b.El("h3", "", "Embed in a documentation page")
	embedLabel := b.El("label", "share-field", "Paste this line into the page ")
	d.embed = b.El("textarea", "embed-code", "")
	b.Attr(d.embed, "readonly", "")
	b.Attr(d.embed, "rows", "3")
	b.Add(embedLabel, d.embed)
	b.Add(embedSec, embedH, embedLabel)

	form := b.El("form", "buttons", "")
	b.Attr(form, "method", "dialog")
	closeBtn := b.El("button", "", "Close")
	b.Attr(closeBtn, "value", "close")
	b.Add(form, closeBtn)
	b.Add(d.el, h, linkSec, fileSec, embedSec, form)
	return d
}

// openShare fills the Share dialog for the run as it is now and shows it.
func (a *App) openShare() {
	d := a.ui.share
	_ = d.link.SetProp("value", a.ShareLink())
	_ = d.embed.SetProp("value", a.EmbedCode())
	_ = d.copyState.SetText("")
	if _, err := d.el.Call("showModal"); err != nil {
		a.announce("Could not open the Share dialog: " + err.Error())
		return
	}
	_, _ = d.link.Call("select")
}

// listenShare wires the Share dialog and the confirmation dialog.
func (a *App) listenShare() error {
	d := a.ui.share
	var errs []error
	on := func(e dom.Element, typ string, fn func(dom.Event)) {
		_, err := e.On(typ, fn)
		errs = append(errs, err)
	}
	on(a.ui.shareBtn, "click", func(dom.Event) { a.openShare() })
	on(d.copy, "click", func(dom.Event) {
		link, _ := d.link.PropString("value")
		go func() {
			err := dom.CopyText(link)
			dom.OnLoop(func() {
				if err != nil {
					_ = d.copyState.SetText("✕ Not copied (" + err.Error() + "): select the link and copy it.")
					_, _ = d.link.Call("select")
					return
				}
				_ = d.copyState.SetText("✓ Copied")
			})
		}()
	})
	on(d.export, "click", func(dom.Event) {
		name := "aurora-lab-run.aurora"
		if a.guide.name != "" {
			name = "aurora-lab-" + a.guide.name + ".aurora"
		}
		if err := dom.Download(name, "text/plain", share.Export(a.Run())); err != nil {
			_ = d.fileState.SetText("✕ Could not download: " + err.Error())
		}
	})
	on(d.file, "change", func(dom.Event) {
		_ = d.fileState.SetText("Reading the file…")
		go func() {
			name, text, err := dom.FileText(d.file)
			dom.OnLoop(func() {
				msg := a.importText(name, text, err)
				_ = d.fileState.SetText(msg)
				a.announce(msg)
				_ = d.file.SetProp("value", "")
			})
		}()
	})
	c := a.ui.confirm
	on(c.el, "close", func(dom.Event) {
		fn := c.then
		c.then = nil
		if v, _ := c.el.PropString("returnValue"); v == "ok" && fn != nil {
			fn()
		}
	})
	on(a.ui.keep, "click", func(dom.Event) {
		a.Keep(nil)
	})
	return errors.Join(errs...)
}

// importText imports a file's text (or says why it could not).
func (a *App) importText(name, text string, readErr error) string {
	if readErr != nil {
		return "✕ " + name + " could not be read: " + readErr.Error()
	}
	run, scripted, err := share.Import(text)
	var ie *share.ImportError
	switch {
	case errors.As(err, &ie):
		return fmt.Sprintf("✕ %s, line %d: %s. Nothing was changed.", name, ie.Line, ie.Msg)
	case err != nil:
		return "✕ " + name + ": " + err.Error() + ". Nothing was changed."
	}
	if scripted {
		if _, perr := engine.GuideOutline(text); perr != nil {
			return "✕ " + name + " does not parse: " + perr.Error() + ". Nothing was changed."
		}
		if err := a.startScript("", text); err != nil {
			return "✕ " + name + ": " + err.Error()
		}
		return "✓ Imported " + name + " as a script: it runs as a guided scenario."
	}
	if err := a.replaceRun(run, "Imported "+name+".", nil); err != nil {
		return "✕ " + name + " could not be replayed: " + err.Error() + ". Nothing was changed."
	}
	a.playing = false
	return fmt.Sprintf("✓ Imported %s: %d inputs replayed to t = %v, paused there.", name, len(run.Log), run.At)
}

// confirmDialog asks before an action that replaces the lab.
type confirmDialog struct {
	el, title, text, ok dom.Element
	then                func()
}

func newConfirmDialog(b *dom.Builder) *confirmDialog {
	c := &confirmDialog{el: b.El("dialog", "confirm-dialog", "")}
	b.Attr(c.el, "aria-describedby", "confirm-text")
	form := b.El("form", "", "")
	b.Attr(form, "method", "dialog")
	c.title = heading(b, c.el, "h2", "confirm-title", "")
	c.text = b.El("p", "", "")
	b.Attr(c.text, "id", "confirm-text")
	buttons := b.El("div", "buttons", "")
	cancel := b.El("button", "", "Cancel")
	b.Attr(cancel, "value", "cancel")
	c.ok = b.El("button", "danger", "")
	b.Attr(c.ok, "value", "ok")
	b.Add(buttons, cancel, c.ok)
	b.Add(form, c.title, c.text, buttons)
	b.Add(c.el, form)
	return c
}

// confirm asks title/text and runs then when the person agrees.
func (a *App) confirm(title, text, ok string, then func()) {
	c := a.ui.confirm
	_ = c.title.SetText(title)
	_ = c.text.SetText(text)
	_ = c.ok.SetText(ok)
	c.then = then
	if _, err := c.el.Call("showModal"); err != nil {
		c.then = nil
		a.announce("Could not ask: " + err.Error())
	}
}
