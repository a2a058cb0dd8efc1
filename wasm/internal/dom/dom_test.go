//go:build js && wasm

package dom

import (
	"errors"
	"syscall/js"
	"testing"
	"time"
)

func doc(t *testing.T) Document {
	t.Helper()
	d, err := Doc()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fixture returns a fresh element attached to the body, removed after the
// test.
func fixture(t *testing.T) Element {
	t.Helper()
	d := doc(t)
	body, err := d.Body()
	if err != nil {
		t.Fatal(err)
	}
	host, err := d.Create("div")
	if err != nil {
		t.Fatal(err)
	}
	if err := body.Append(host); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Remove() })
	return host
}

func TestCreateAndUpdate(t *testing.T) {
	d := doc(t)
	host := fixture(t)
	b := NewBuilder(d)
	p := b.El("p", "note big", "hello")
	b.Attr(p, "data-x", "1")
	b.Add(host, p, b.El("span", "", "second"))
	if b.Err() != nil {
		t.Fatal(b.Err())
	}
	if got := host.JS().Get("outerHTML").String(); got != `<div><p class="note big" data-x="1">hello</p><span>second</span></div>` {
		t.Fatalf("built %s", got)
	}
	if err := p.SetText("changed <b>"); err != nil {
		t.Fatal(err)
	}
	if txt, _ := p.Text(); txt != "changed <b>" {
		t.Fatalf("text %q", txt)
	}
	if n, _ := p.ChildCount(); n != 0 {
		t.Fatal("SetText parsed markup")
	}
	if err := p.SetClass("big", false); err != nil {
		t.Fatal(err)
	}
	if err := p.SetClass("down", true); err != nil {
		t.Fatal(err)
	}
	if has, _ := p.HasClass("down"); !has {
		t.Fatal("class down not set")
	}
	if cls, _, _ := p.Attr("class"); cls != "note down" {
		t.Fatalf("class = %q", cls)
	}
	if _, ok, _ := p.Attr("missing"); ok {
		t.Fatal("Attr of a missing attribute reports it set")
	}
	if err := p.SetAttr("style", "color: red"); !errors.Is(err, ErrStyleAttr) {
		t.Fatalf("SetAttr(style) = %v, want ErrStyleAttr", err)
	}
	if err := p.SetStyleProperty("--w", "3px"); err != nil {
		t.Fatal(err)
	}
	if v := p.JS().Get("style").Call("getPropertyValue", "--w").String(); v != "3px" {
		t.Fatalf("style property = %q", v)
	}

	found, ok, err := host.Query("p.note")
	if err != nil || !ok || !found.Is(p) {
		t.Fatalf("Query = %v, %v", ok, err)
	}
	all, _ := host.QueryAll("*")
	if len(all) != 2 {
		t.Fatalf("QueryAll found %d", len(all))
	}
	if _, ok, _ := host.Query(".nothing"); ok {
		t.Fatal("Query found a missing element")
	}
	if _, _, err := host.Query("!!"); err == nil {
		t.Fatal("a bad selector gave no error")
	}

	q := b.El("em", "", "only")
	if err := host.ReplaceChildren(q); err != nil {
		t.Fatal(err)
	}
	if got := host.JS().Get("innerHTML").String(); got != "<em>only</em>" {
		t.Fatalf("after ReplaceChildren: %s", got)
	}
	if err := host.Prepend(b.El("i", "", "first")); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := host.FirstChild(); first.JS().Get("localName").String() != "i" {
		t.Fatal("Prepend did not put the element first")
	}
	if last, _, _ := host.LastChild(); !last.Is(q) {
		t.Fatal("LastChild")
	}
	if err := host.ReplaceChildren(); err != nil {
		t.Fatal(err)
	}
	if n, _ := host.ChildCount(); n != 0 {
		t.Fatal("ReplaceChildren() left children")
	}
}

func TestSVG(t *testing.T) {
	d := doc(t)
	host := fixture(t)
	b := NewBuilder(d)
	svg := b.SVG("svg", "viewBox", "0 0 10 10")
	b.Add(svg, b.SVG("rect", "x", "1", "width", "5"))
	b.Add(host, svg)
	if b.Err() != nil {
		t.Fatal(b.Err())
	}
	rect, ok, _ := host.Query("svg rect")
	if !ok {
		t.Fatal("no rect")
	}
	if ns := rect.JS().Get("namespaceURI").String(); ns != SVGNamespace {
		t.Fatalf("namespace %q", ns)
	}
	if w := rect.JS().Get("width").Get("baseVal").Get("value").Float(); w != 5 {
		t.Fatalf("rect width %v: not an SVG element", w)
	}
}

func TestEvents(t *testing.T) {
	d := doc(t)
	host := fixture(t)
	btn, _ := d.Create("button")
	_ = host.Append(btn)
	clicks := 0
	l, err := btn.On("click", func(ev Event) {
		if ev.Type() == "click" && ev.Target().Is(btn) {
			clicks++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	btn.JS().Call("click")
	btn.JS().Call("click")
	if clicks != 2 {
		t.Fatalf("%d clicks heard", clicks)
	}
	l.Release()
	btn.JS().Call("click")
	if clicks != 2 {
		t.Fatal("a released listener still ran")
	}

	in, _ := d.Create("textarea")
	_ = host.Append(in)
	var key string
	var shift, prevented bool
	if _, err := in.On("keydown", func(ev Event) {
		key, shift = ev.Key(), ev.Shift()
		ev.PreventDefault()
	}); err != nil {
		t.Fatal(err)
	}
	init := js.Global().Get("Object").New()
	init.Set("key", "Enter")
	init.Set("shiftKey", true)
	init.Set("cancelable", true)
	ev := js.Global().Get("KeyboardEvent").New("keydown", init)
	prevented = !in.JS().Call("dispatchEvent", ev).Bool()
	if key != "Enter" || !shift || !prevented {
		t.Fatalf("key %q shift %v prevented %v", key, shift, prevented)
	}

	// A panicking handler is reported, and the program goes on.
	var reported any
	old := OnPanic
	OnPanic = func(_ string, v any) { reported = v }
	defer func() { OnPanic = old }()
	if _, err := btn.On("click", func(Event) { panic("boom") }); err != nil {
		t.Fatal(err)
	}
	btn.JS().Call("click")
	if reported != "boom" {
		t.Fatalf("panic reported as %v", reported)
	}
}

func TestAnimationFrameAndPromise(t *testing.T) {
	got := make(chan float64, 1)
	if _, err := AnimationFrame(func(ms float64) { got <- ms }); err != nil {
		t.Fatal(err)
	}
	cancelled, err := AnimationFrame(func(float64) { t.Error("a cancelled frame came") })
	if err != nil {
		t.Fatal(err)
	}
	cancelled.Cancel()
	select {
	case ms := <-got:
		if ms <= 0 {
			t.Fatalf("frame time %v", ms)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no animation frame within 5s")
	}
	if Now() <= 0 {
		t.Fatal("Now() not positive")
	}
	if err := Mark("test-mark"); err != nil {
		t.Fatal(err)
	}
	if n := js.Global().Get("performance").Call("getEntriesByName", "test-mark").Length(); n != 1 {
		t.Fatalf("%d marks", n)
	}

	p, resolve, _ := NewPromise()
	done := make(chan string, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any { done <- args[0].String(); return nil })
	defer then.Release()
	p.Call("then", then)
	go resolve("yes") // settled from another goroutine, as the persister does
	select {
	case v := <-done:
		if v != "yes" {
			t.Fatalf("resolved with %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("promise not resolved")
	}
	v, err := JSONParse(`{"a":[1,2]}`)
	if err != nil || v.Get("a").Index(1).Int() != 2 {
		t.Fatalf("JSONParse: %v", err)
	}
	if _, err := JSONParse(`{`); err == nil {
		t.Fatal("JSONParse of bad JSON gave no error")
	}
}
