package xsdtest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/beevik/etree"

	"github.com/ksef2/ksef/internal/xsd/rt"
)

// ElementOnlyPaths returns the paths of all elements with element-only
// (or empty) content below the roots, for [Canonical].
func ElementOnlyPaths(roots []*rt.Element) map[string]bool {
	out := map[string]bool{}
	var walkP func(p *rt.Particle, parent string)
	walkE := func(e *rt.Element, parent string) {
		path := parent + "/" + e.Name
		if e.Complex != nil && e.Complex.Simple == nil {
			if out[path] {
				return
			}
			out[path] = true
			walkP(e.Complex.Content, path)
		}
	}
	walkP = func(p *rt.Particle, parent string) {
		if p == nil {
			return
		}
		if p.Element != nil {
			walkE(p.Element, parent)
		}
		for _, c := range p.Children {
			walkP(c, parent)
		}
	}
	for _, r := range roots {
		walkE(r, "")
	}
	return out
}

// Canonical renders a document as a canonical text for comparisons:
// expanded element and attribute names, attributes sorted, namespace
// declarations, comments and the XML declaration dropped, white-space-only
// text between elements dropped, all other text kept exactly (after XML
// parsing, so entity and character references are resolved).
//
// elementOnly, when not nil, holds the paths ("/Faktura/Stopka") of
// elements with element-only content, whose white-space text is dropped
// even when they have no child elements.
func Canonical(doc []byte, elementOnly map[string]bool) (string, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return "", fmt.Errorf("canonical: %w", err)
	}
	if d.Root() == nil {
		return "", fmt.Errorf("canonical: no root element")
	}
	var b strings.Builder
	canonElem(&b, d.Root(), 0, "", elementOnly)
	return b.String(), nil
}

func canonElem(b *strings.Builder, e *etree.Element, depth int, parent string, elementOnly map[string]bool) {
	path := parent + "/" + e.Tag
	ind := strings.Repeat("  ", depth)
	fmt.Fprintf(b, "%s<{%s}%s", ind, e.NamespaceURI(), e.Tag)
	var attrs []string
	for _, a := range e.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		attrs = append(attrs, fmt.Sprintf(" {%s}%s=%q", a.NamespaceURI(), a.Key, a.Value))
	}
	sort.Strings(attrs)
	b.WriteString(strings.Join(attrs, ""))
	b.WriteString(">\n")
	hasElems := len(e.ChildElements()) > 0 || elementOnly[path]
	for _, tok := range e.Child {
		switch t := tok.(type) {
		case *etree.Element:
			canonElem(b, t, depth+1, path, elementOnly)
		case *etree.CharData:
			if hasElems && strings.TrimSpace(t.Data) == "" {
				continue
			}
			fmt.Fprintf(b, "%s  text %q\n", ind, t.Data)
		}
	}
	fmt.Fprintf(b, "%s</%s>\n", ind, e.Tag)
}

// FirstDifference returns the first differing line of two canonical texts
// with a little context, or "" when they are equal.
func FirstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, x, y)
		}
	}
	return ""
}
