package xades

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// parseDocument parses b (UTF-8, optional BOM) strictly. DOCTYPE declarations, character data
// outside the document element and encodings other than UTF-8 are rejected.
func parseDocument(b []byte) (*etree.Document, error) {
	b = bytes.TrimPrefix(b, utf8BOM)
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		CharsetReader: func(charset string, _ io.Reader) (io.Reader, error) {
			return nil, fmt.Errorf("encoding %q is not UTF-8", charset)
		},
	}
	if err := doc.ReadFromBytes(normalizeAttrWhitespace(b)); err != nil {
		return nil, fmt.Errorf("%w: parse XML: %v", ErrStructure, err)
	}
	roots := 0
	for _, tok := range doc.Child {
		switch t := tok.(type) {
		case *etree.Element:
			roots++
		case *etree.Directive:
			return nil, fmt.Errorf("%w: DOCTYPE and other directives are not accepted", ErrStructure)
		case *etree.CharData:
			if strings.TrimSpace(t.Data) != "" {
				return nil, fmt.Errorf("%w: text outside the document element", ErrStructure)
			}
		}
	}
	if roots != 1 {
		return nil, fmt.Errorf("%w: want exactly one document element, found %d", ErrStructure, roots)
	}
	return doc, nil
}

// rootEndOffset returns where the signature must be inserted into b so that it becomes the last
// child of the document element: the offset of the root's end tag. For a self-closing root it
// returns the offset of "/>" and selfClosing=true, plus the root's qualified name.
func rootEndOffset(b []byte) (off int, selfClosing bool, qname string, err error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.CharsetReader = func(charset string, _ io.Reader) (io.Reader, error) {
		return nil, fmt.Errorf("encoding %q is not UTF-8", charset)
	}
	depth := 0
	for {
		start := int(d.InputOffset())
		tok, err := d.RawToken()
		if err != nil {
			return 0, false, "", fmt.Errorf("%w: parse XML: %v", ErrStructure, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				qname = t.Name.Local
				if t.Name.Space != "" {
					qname = t.Name.Space + ":" + t.Name.Local
				}
			}
			depth++
		case xml.EndElement:
			depth--
			if depth == 0 {
				if bytes.HasPrefix(b[start:], []byte("</")) {
					return start, false, qname, nil
				}
				if start >= 2 && string(b[start-2:start]) == "/>" {
					return start - 2, true, qname, nil
				}
				return 0, false, "", fmt.Errorf("%w: cannot locate the end of the document element", ErrStructure)
			}
		}
	}
}

// normalizeAttrWhitespace applies XML attribute-value normalisation for CDATA-typed attributes,
// which encoding/xml skips: literal tab, line feed, carriage return and CR LF inside attribute
// values become one space each (character references such as &#10; are left alone, so they
// still produce the character itself). Other markup is copied unchanged. b is returned as is
// when nothing needs to change.
func normalizeAttrWhitespace(b []byte) []byte {
	var out []byte
	last := 0
	skipTo := func(i int, end string) int {
		j := bytes.Index(b[i:], []byte(end))
		if j < 0 {
			return len(b)
		}
		return i + j + len(end)
	}
	for i := 0; i < len(b); {
		if b[i] != '<' {
			i++
			continue
		}
		rest := b[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = skipTo(i+4, "-->")
			continue
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i = skipTo(i+9, "]]>")
			continue
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipTo(i+2, "?>")
			continue
		case bytes.HasPrefix(rest, []byte("<!")):
			// DOCTYPE: rejected after parsing; leave the input untouched.
			return b
		}
		// Start or end tag: find its end, normalising white space inside quoted values.
		var quote byte
		for i++; i < len(b); i++ {
			c := b[i]
			if quote == 0 {
				if c == '"' || c == '\'' {
					quote = c
				} else if c == '>' {
					i++
					break
				}
				continue
			}
			switch c {
			case quote:
				quote = 0
			case '\t', '\n', '\r':
				out = append(out, b[last:i]...)
				out = append(out, ' ')
				if c == '\r' && i+1 < len(b) && b[i+1] == '\n' {
					i++
				}
				last = i + 1
			}
		}
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}
