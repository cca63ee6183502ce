// Package xsd reads a set of W3C XML Schema documents (the KSeF invoice
// schemas and the MF base types they import) and compiles them into the
// runtime tables of package rt. Only the XSD constructs the KSeF schemas
// use are supported; anything else makes [Load] fail with an error naming
// the construct and its location.
//
// The pipeline:
//
//   - [Load] parses the main schema and follows xsd:import/xsd:include,
//     mapping absolute locations through an OASIS catalog (no network).
//   - Simple types are flattened along their derivation chain into one
//     rt.SimpleType: primitive kind, effective whiteSpace, pattern groups
//     (OR within a step, AND across steps), the most derived enumeration,
//     length and digit facets, and all range facets. XSD regular
//     expressions are translated to anchored RE2 ([TranslateRegexp]).
//   - Complex types become rt.ComplexType values with attribute uses and a
//     particle tree (sequence, choice, element with minOccurs/maxOccurs);
//     simpleContent and complexContent extensions are merged.
//   - Package gen writes the result as Go source (validation tables and
//     typed structs); package rt validates documents against the tables.
//
// Where XSD leaves room, the runtime follows libxml2 (the KSeF reference
// validator, xmllint): white space around date, dateTime, gYear and
// fixed-size integer values is an error unless a pattern or enumeration
// facet applies, decimals and integers have at most 24 significant digits,
// totalDigits counts zeros after the decimal point, values without a time
// zone compare against bounds with a ±14 hour window. Oracle tests in this
// package compare every verdict with xmllint.
package xsd

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
)

// NSXSD is the XML Schema namespace.
const NSXSD = "http://www.w3.org/2001/XMLSchema"

// node is a minimal DOM element of a schema document.
type node struct {
	ns, local string
	attrs     map[string]string // unqualified attributes only
	children  []*node
	text      string
	scope     map[string]string // in-scope namespace prefixes
	file      string
	line      int
	doc       *schemaDoc
}

func (n *node) attr(name string) (string, bool) {
	v, ok := n.attrs[name]
	return v, ok
}

func (n *node) where() string { return fmt.Sprintf("%s:%d", n.file, n.line) }

// parseDoc reads a schema document into a node tree.
func parseDoc(file string) (*node, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("xsd: %w", err)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	var root *node
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("xsd: parsing %s: %w", file, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{ns: t.Name.Space, local: t.Name.Local, attrs: map[string]string{}, file: file, line: line + 1}
			scope := map[string]string{}
			if len(stack) > 0 {
				for k, v := range stack[len(stack)-1].scope {
					scope[k] = v
				}
			}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					scope[a.Name.Local] = a.Value
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					scope[""] = a.Value
				case a.Name.Space == "":
					n.attrs[a.Name.Local] = a.Value
				}
			}
			n.scope = scope
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("xsd: %s has no root element", file)
	}
	return root, nil
}
