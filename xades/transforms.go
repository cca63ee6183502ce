package xades

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// transformKind is one step of a reference's transform chain.
type transformKind int

const (
	// Node-set filters. Each removes ds:Signature subtrees from the node-set.
	trEnveloped      transformKind = iota // enveloped-signature: the signature holding the transform
	trXPathNotSig                         // XPath not(ancestor-or-self::ds:Signature): every signature
	trFilter2AllSigs                      // XPath Filter 2.0 subtract of every ds:Signature
	trFilter2HereSig                      // XPath Filter 2.0 subtract of here()/ancestor::ds:Signature[1]
	// Conversions to octets; at most one, and last.
	trC14N
	trBase64
)

// transform is a parsed ds:Transform.
type transform struct {
	kind       transformKind
	alg        string
	prefixList string // InclusiveNamespaces PrefixList (exclusive C14N)
}

// removes reports whether the transform filters ds:Signature subtrees out of a node-set.
func (t transform) removes() bool { return t.kind <= trFilter2HereSig }

// transformRegexps are the XPath expressions accepted, compiled on first use
// (start-up time of programs that never verify a signature).
//
// notSignature matches the one XPath 1.0 filter expression accepted: the node is neither
// a ds:Signature element nor inside one. Group 1 is the prefix, resolved at the XPath element.
//
// Filter 2.0 expressions accepted: every ds:Signature of the document (allSigs), or the
// signature that contains the transform (hereSig). Group 1 is the prefix.
var transformRegexps = sync.OnceValue(func() (r struct{ notSignature, allSigs, hereSig *regexp.Regexp }) {
	r.notSignature = regexp.MustCompile(`^not\(\s*ancestor-or-self::([A-Za-z_][\w.-]*):Signature\s*\)$`)
	r.allSigs = regexp.MustCompile(`^(?:/descendant::|//)([A-Za-z_][\w.-]*):Signature$`)
	r.hereSig = regexp.MustCompile(`^here\(\s*\)/ancestor::([A-Za-z_][\w.-]*):Signature\[1\]$`)
	return r
})

// parseTransform reads one ds:Transform. XPath expressions are recognised by their exact form
// (white space around them ignored), and the prefix they use must be bound to the XML-DSig
// namespace where the expression is written; any other expression is refused.
func parseTransform(tr *etree.Element) ([]transform, error) {
	alg, _ := attr(tr, "Algorithm")
	switch {
	case isC14N(alg):
		for _, k := range tr.ChildElements() {
			if !(k.Tag == "InclusiveNamespaces" && k.NamespaceURI() == AlgExcC14N) {
				return nil, structErr("unexpected element %s in the %s transform", k.FullTag(), alg)
			}
		}
		return []transform{{kind: trC14N, alg: alg, prefixList: inclusivePrefixes(tr)}}, nil
	case alg == AlgEnvelopedSignature:
		return []transform{{kind: trEnveloped, alg: alg}}, nil
	case alg == AlgBase64:
		return []transform{{kind: trBase64, alg: alg}}, nil
	case alg == AlgXPath:
		xs := tr.ChildElements()
		if len(xs) != 1 || !is(xs[0], NamespaceDSig, "XPath") {
			return nil, structErr("the XPath transform must hold one ds:XPath element")
		}
		expr := strings.TrimSpace(xs[0].Text())
		m := transformRegexps().notSignature.FindStringSubmatch(expr)
		if m == nil {
			return nil, fmt.Errorf("%w: XPath expression %q (only not(ancestor-or-self::ds:Signature) is accepted)", ErrUnsupportedAlgorithm, expr)
		}
		if ns := lookupNamespace(xs[0], m[1]); ns != NamespaceDSig {
			return nil, fmt.Errorf("%w: XPath prefix %q is bound to %q, not to the XML-DSig namespace", ErrUnsupportedAlgorithm, m[1], ns)
		}
		return []transform{{kind: trXPathNotSig, alg: alg}}, nil
	case alg == AlgXPathFilter2:
		xs := tr.ChildElements()
		if len(xs) == 0 {
			return nil, structErr("the XPath Filter 2.0 transform holds no dsig-xpath:XPath")
		}
		var out []transform
		for _, x := range xs {
			if !is(x, AlgXPathFilter2, "XPath") {
				return nil, structErr("unexpected element %s in the XPath Filter 2.0 transform", x.FullTag())
			}
			if f, _ := attr(x, "Filter"); f != "subtract" {
				return nil, fmt.Errorf("%w: XPath Filter 2.0 filter %q (only subtract of the signature is accepted)", ErrUnsupportedAlgorithm, f)
			}
			expr := strings.TrimSpace(x.Text())
			kind, m := trFilter2AllSigs, transformRegexps().allSigs.FindStringSubmatch(expr)
			if m == nil {
				kind, m = trFilter2HereSig, transformRegexps().hereSig.FindStringSubmatch(expr)
			}
			if m == nil {
				return nil, fmt.Errorf("%w: XPath Filter 2.0 expression %q (accepted: /descendant::ds:Signature, //ds:Signature, here()/ancestor::ds:Signature[1])", ErrUnsupportedAlgorithm, expr)
			}
			if ns := lookupNamespace(x, m[1]); ns != NamespaceDSig {
				return nil, fmt.Errorf("%w: XPath prefix %q is bound to %q, not to the XML-DSig namespace", ErrUnsupportedAlgorithm, m[1], ns)
			}
			out = append(out, transform{kind: kind, alg: alg})
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: transform %q", ErrUnsupportedAlgorithm, alg)
}

// checkChain enforces the accepted order: node-set filters first, then at most one conversion
// to octets (a canonicalisation or base64), which must be the last transform.
func checkChain(trs []transform, uri string) error {
	for i, t := range trs {
		if !t.removes() && i != len(trs)-1 {
			return fmt.Errorf("%w: transform %q in reference URI=%q must be the last one", ErrUnsupportedAlgorithm, t.alg, uri)
		}
	}
	return nil
}

// applyRemovals applies the node-set filters of trs to cp, a copy of the element orig of the
// original document: the ds:Signature subtrees each filter selects are removed from the copy.
// sig is the signature being verified (the one "containing" the transforms). It reports how
// many element subtrees were removed.
func applyRemovals(trs []transform, orig, cp, sig *etree.Element) int {
	removed := 0
	for _, t := range trs {
		switch t.kind {
		case trEnveloped, trFilter2HereSig:
			// The signature that holds this transform.
			if el := elementAtPath(cp, pathFrom(orig, sig)); el != nil {
				removed += removeElement(el)
			}
		case trXPathNotSig, trFilter2AllSigs:
			for _, el := range findAll(cp, NamespaceDSig, "Signature", nil) {
				removed += removeElement(el)
			}
		}
	}
	return removed
}

// removeElement detaches el from its parent and returns 1, or 0 when it has no parent.
func removeElement(el *etree.Element) int {
	p := el.Parent()
	if p == nil {
		return 0
	}
	p.RemoveChildAt(el.Index())
	return 1
}

// pathFrom returns the child-token indexes leading from root down to el, or nil when el is
// not below root.
func pathFrom(root, el *etree.Element) []int {
	var p []int
	for e := el; e != root; e = e.Parent() {
		if e == nil {
			return nil
		}
		p = append([]int{e.Index()}, p...)
	}
	return p
}

// elementAtPath follows p (from pathFrom) in a copy of the tree.
func elementAtPath(root *etree.Element, p []int) *etree.Element {
	if p == nil {
		return nil
	}
	el := root
	for _, i := range p {
		if i < 0 || i >= len(el.Child) {
			return nil
		}
		next, ok := el.Child[i].(*etree.Element)
		if !ok {
			return nil
		}
		el = next
	}
	return el
}

// textContent returns the concatenated character data of el's subtree in document order: the
// string value of the text nodes of a node-set, as the base64 transform reads it.
func textContent(el *etree.Element) string {
	var b strings.Builder
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, t := range e.Child {
			switch c := t.(type) {
			case *etree.CharData:
				b.WriteString(c.Data)
			case *etree.Element:
				walk(c)
			}
		}
	}
	walk(el)
	return b.String()
}
