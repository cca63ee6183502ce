package xades

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"slices"

	"github.com/beevik/etree"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// isC14N reports whether alg is one of the canonicalisation algorithms accepted as
// CanonicalizationMethod or as a reference transform.
func isC14N(alg string) bool {
	switch alg {
	case AlgExcC14N, AlgExcC14NWithComments,
		AlgC14N10, AlgC14N10WithComments,
		AlgC14N11, AlgC14N11WithComments:
		return true
	}
	return false
}

// canonicalize returns the canonical form of el (as a subtree of its document, so in-scope
// namespaces of its ancestors are taken into account) under alg. el itself is never modified.
// With comments=false, comments are dropped even by the #WithComments variants: same-document
// references (URI="" and URI="#id") exclude comments before the transforms run.
func canonicalize(el *etree.Element, alg, prefixList string, comments bool) ([]byte, error) {
	switch alg {
	case AlgExcC14N, AlgExcC14NWithComments:
		det, err := detachExclusive(el)
		if err != nil {
			return nil, err
		}
		if err := etreeutils.TransformExcC14n(det, prefixList, comments && alg == AlgExcC14NWithComments); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrStructure, err)
		}
		dropRedundantEmptyDefault(det, "")
		sortAttrsDeep(det)
		return serializeCanonical(det)
	case AlgC14N10, AlgC14N10WithComments, AlgC14N11, AlgC14N11WithComments:
		det, err := detachInclusive(el, alg == AlgC14N10 || alg == AlgC14N10WithComments)
		if err != nil {
			return nil, err
		}
		prepareInclusive(det, map[string]string{}, comments && (alg == AlgC14N10WithComments || alg == AlgC14N11WithComments))
		return serializeCanonical(det)
	}
	return nil, fmt.Errorf("%w: canonicalization %q", ErrUnsupportedAlgorithm, alg)
}

// hasParentElement reports whether el sits below another element (the document node does
// not count).
func hasParentElement(el *etree.Element) bool {
	p := el.Parent()
	return p != nil && p.Tag != ""
}

// detachExclusive copies el and declares on the copy every namespace in scope at el, so that
// exclusive canonicalisation of the copy sees the prefixes used inside it.
func detachExclusive(el *etree.Element) (*etree.Element, error) {
	if !hasParentElement(el) {
		return el.Copy(), nil
	}
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStructure, err)
	}
	det, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStructure, err)
	}
	return det, nil
}

// detachInclusive copies el and adds the namespace declarations and inherited xml:* attributes
// of its ancestors, as inclusive canonicalisation of a document subset requires. C14N 1.0
// inherits every xml:* attribute; C14N 1.1 only xml:lang and xml:space.
func detachInclusive(el *etree.Element, c14n10 bool) (*etree.Element, error) {
	cp := el.Copy()
	if !hasParentElement(el) {
		return cp, nil
	}
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStructure, err)
	}
	own := map[string]bool{}
	for _, a := range el.Attr {
		switch {
		case a.Space == "xmlns":
			own[a.Key] = true
		case a.Space == "" && a.Key == "xmlns":
			own[""] = true
		case a.Space == "xml":
			own["xml:"+a.Key] = true
		}
	}
	for prefix, uri := range ctx.Prefixes() {
		if prefix == "xml" || prefix == "xmlns" || own[prefix] {
			continue
		}
		if prefix == "" {
			if uri == "" || uri == etreeutils.XMLNamespace {
				continue
			}
			cp.CreateAttr("xmlns", uri)
			continue
		}
		cp.CreateAttr("xmlns:"+prefix, uri)
	}
	var bases []string // xml:base values of the omitted ancestors, innermost first
	for p := el.Parent(); p != nil && p.Tag != ""; p = p.Parent() {
		for _, a := range p.Attr {
			if a.Space != "xml" {
				continue
			}
			if !c14n10 && a.Key == "base" {
				bases = append(bases, a.Value)
				continue
			}
			if own["xml:"+a.Key] || (!c14n10 && a.Key != "lang" && a.Key != "space") {
				continue
			}
			own["xml:"+a.Key] = true
			cp.CreateAttr("xml:"+a.Key, a.Value)
		}
	}
	if len(bases) > 0 {
		if err := fixupXMLBase(cp, bases); err != nil {
			return nil, err
		}
	}
	return cp, nil
}

// fixupXMLBase performs the xml:base fixup of Canonical XML 1.1 (section 2.4) on cp, the apex
// of a document subset whose ancestors are omitted: the xml:base values of those ancestors
// (bases, innermost first) and cp's own xml:base are joined into one value written on cp.
// The join is RFC 3986 reference resolution, which is what C14N 1.1 prescribes when the
// outermost base is an absolute URI; documents whose outermost omitted xml:base is relative
// (where C14N 1.1 modifies the dot-segment rules) are refused rather than canonicalised
// differently from other implementations.
func fixupXMLBase(cp *etree.Element, bases []string) error {
	outer := bases[len(bases)-1]
	base, err := url.Parse(outer)
	if err != nil || !base.IsAbs() {
		return fmt.Errorf("%w: C14N 1.1 xml:base fixup of the relative base %q", ErrUnsupportedAlgorithm, outer)
	}
	for i := len(bases) - 2; i >= 0; i-- {
		ref, err := url.Parse(bases[i])
		if err != nil {
			return fmt.Errorf("%w: C14N 1.1 xml:base %q", ErrUnsupportedAlgorithm, bases[i])
		}
		base = base.ResolveReference(ref)
	}
	for i, a := range cp.Attr {
		if a.Space == "xml" && a.Key == "base" {
			ref, err := url.Parse(a.Value)
			if err != nil {
				return fmt.Errorf("%w: C14N 1.1 xml:base %q", ErrUnsupportedAlgorithm, a.Value)
			}
			cp.Attr[i].Value = base.ResolveReference(ref).String()
			return nil
		}
	}
	cp.CreateAttr("xml:base", base.String())
	return nil
}

// canonicalizeDocument canonicalises the whole document with root standing in for the
// document element (callers pass a copy without the enveloped signature): processing
// instructions outside the document element are kept, comments and the XML declaration are not.
func canonicalizeDocument(doc *etree.Document, root *etree.Element, alg, prefixList string) ([]byte, error) {
	body, err := canonicalize(root, alg, prefixList, false)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	seenRoot := false
	for _, tok := range doc.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if seenRoot {
				return nil, fmt.Errorf("%w: more than one document element", ErrStructure)
			}
			seenRoot = true
			buf.Write(body)
		case *etree.ProcInst:
			if t.Target == "xml" || t.Target == "XML" {
				continue
			}
			if seenRoot {
				buf.WriteByte('\n')
			}
			buf.WriteString("<?")
			buf.WriteString(t.Target)
			if t.Inst != "" {
				buf.WriteByte(' ')
				buf.WriteString(t.Inst)
			}
			buf.WriteString("?>")
			if !seenRoot {
				buf.WriteByte('\n')
			}
		}
	}
	if !seenRoot {
		return nil, fmt.Errorf("%w: no document element", ErrStructure)
	}
	return buf.Bytes(), nil
}

// dropRedundantEmptyDefault removes xmlns="" declarations that exclusive canonicalisation must
// not render because no output ancestor renders a non-empty default namespace
// (etreeutils.TransformExcC14n keeps them). rendered is the default namespace rendered by the
// nearest output ancestor.
func dropRedundantEmptyDefault(el *etree.Element, rendered string) {
	for i, a := range el.Attr {
		if a.Space == "" && a.Key == "xmlns" {
			if a.Value == rendered {
				el.Attr = append(el.Attr[:i], el.Attr[i+1:]...)
			} else {
				rendered = a.Value
			}
			break
		}
	}
	for _, ch := range el.ChildElements() {
		dropRedundantEmptyDefault(ch, rendered)
	}
}

// serializeCanonical writes an element prepared for canonical output (namespace declarations
// and attributes already in canonical order) with canonical escaping and explicit end tags.
func serializeCanonical(el *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.SetRoot(el)
	doc.WriteSettings = etree.WriteSettings{
		CanonicalAttrVal: true,
		CanonicalEndTags: true,
		CanonicalText:    true,
	}
	return doc.WriteToBytes()
}

// prepareInclusive turns el (a detached copy carrying its in-scope namespaces) into inclusive
// canonical shape: namespace declarations already rendered with the same value by an output
// ancestor are dropped (as is xmlns="" where no default namespace was rendered), comments are
// removed unless kept, and attributes are put in canonical order. rendered maps prefixes to
// the namespaces rendered by ancestors.
func prepareInclusive(el *etree.Element, rendered map[string]string, comments bool) {
	scope, copied := rendered, false
	kept := el.Attr[:0]
	for _, a := range el.Attr {
		prefix, isNS := "", false
		switch {
		case a.Space == "xmlns":
			prefix, isNS = a.Key, true
		case a.Space == "" && a.Key == "xmlns":
			isNS = true
		}
		if isNS {
			if v, ok := scope[prefix]; (ok && v == a.Value) || (!ok && prefix == "" && a.Value == "") {
				continue
			}
			if !copied {
				scope = maps.Clone(rendered)
				copied = true
			}
			scope[prefix] = a.Value
		}
		kept = append(kept, a)
	}
	el.Attr = kept
	if !comments {
		for i := 0; i < len(el.Child); {
			if _, ok := el.Child[i].(*etree.Comment); ok {
				el.RemoveChildAt(i)
			} else {
				i++
			}
		}
	}
	sortAttrs(el)
	for _, ch := range el.ChildElements() {
		prepareInclusive(ch, scope, comments)
	}
}

// sortAttrsDeep puts the attributes of el and its descendants in canonical order.
func sortAttrsDeep(el *etree.Element) {
	sortAttrs(el)
	for _, ch := range el.ChildElements() {
		sortAttrsDeep(ch)
	}
}

// sortAttrs orders the attributes of el as Canonical XML requires: the default namespace
// declaration, then other namespace declarations by prefix, then attributes by namespace URI
// (none first) and local name.
func sortAttrs(el *etree.Element) {
	type key struct {
		rank      int // 0 default namespace, 1 prefixed namespace, 2 attribute
		uri, name string
	}
	idx := make([]int, len(el.Attr))
	ks := make([]key, len(el.Attr))
	for i, a := range el.Attr {
		idx[i] = i
		switch {
		case a.Space == "" && a.Key == "xmlns":
			ks[i] = key{0, "", ""}
		case a.Space == "xmlns":
			ks[i] = key{1, "", a.Key}
		case a.Space == "":
			ks[i] = key{2, "", a.Key}
		default:
			ks[i] = key{2, lookupNamespace(el, a.Space), a.Key}
		}
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		a, b := ks[x], ks[y]
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		if c := cmp.Compare(a.uri, b.uri); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	sorted := make([]etree.Attr, len(el.Attr))
	for i, j := range idx {
		sorted[i] = el.Attr[j]
	}
	copy(el.Attr, sorted)
}

// lookupNamespace resolves prefix at el by walking up the declarations of el and its ancestors.
func lookupNamespace(el *etree.Element, prefix string) string {
	if prefix == "xml" {
		return etreeutils.XMLNamespace
	}
	for e := el; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if a.Space == "xmlns" && a.Key == prefix {
				return a.Value
			}
		}
	}
	return ""
}
