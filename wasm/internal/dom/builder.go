//go:build js && wasm

package dom

// Builder creates elements and keeps the first error, so that building a
// tree reads as a list of elements rather than a list of checks. After an
// error, the elements it returns are not valid; check Err when done.
type Builder struct {
	Doc Document
	err error
}

// NewBuilder returns a Builder for doc.
func NewBuilder(doc Document) *Builder { return &Builder{Doc: doc} }

// Err returns the first error met, or nil.
func (b *Builder) Err() error { return b.err }

// Keep records err if it is the first error.
func (b *Builder) Keep(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

// El creates an HTML element with a class attribute and text (either may
// be empty).
func (b *Builder) El(tag, class, text string) Element {
	e, err := b.Doc.Create(tag)
	b.Keep(err)
	if err != nil {
		return e
	}
	if class != "" {
		b.Keep(e.SetAttr("class", class))
	}
	if text != "" {
		b.Keep(e.SetText(text))
	}
	return e
}

// SVG creates an SVG element with attributes given as name, value pairs.
func (b *Builder) SVG(tag string, attrs ...string) Element {
	e, err := b.Doc.CreateSVG(tag)
	b.Keep(err)
	if err != nil {
		return e
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		b.Keep(e.SetAttr(attrs[i], attrs[i+1]))
	}
	return e
}

// Attr sets an attribute of e.
func (b *Builder) Attr(e Element, name, value string) { b.Keep(e.SetAttr(name, value)) }

// Add appends children to parent.
func (b *Builder) Add(parent Element, children ...Element) { b.Keep(parent.Append(children...)) }
