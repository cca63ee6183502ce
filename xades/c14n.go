package xades

import (
	"bytes"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
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
		return serializeCanonical(det)
	case AlgC14N10, AlgC14N10WithComments, AlgC14N11, AlgC14N11WithComments:
		det, err := detachInclusive(el, alg == AlgC14N10 || alg == AlgC14N10WithComments)
		if err != nil {
			return nil, err
		}
		var c dsig.Canonicalizer
		if comments && (alg == AlgC14N10WithComments || alg == AlgC14N11WithComments) {
			c = dsig.MakeC14N11WithCommentsCanonicalizer()
		} else {
			c = dsig.MakeC14N11Canonicalizer()
		}
		return c.Canonicalize(det)
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
	for p := el.Parent(); p != nil && p.Tag != ""; p = p.Parent() {
		for _, a := range p.Attr {
			if a.Space != "xml" || own["xml:"+a.Key] {
				continue
			}
			if !c14n10 && a.Key != "lang" && a.Key != "space" {
				continue
			}
			own["xml:"+a.Key] = true
			cp.CreateAttr("xml:"+a.Key, a.Value)
		}
	}
	return cp, nil
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
