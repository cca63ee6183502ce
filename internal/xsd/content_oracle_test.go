package xsd_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

// contentModels are deterministic content models in a compact notation
// expanded by expandModel: e(x) is element x, S/C are sequence/choice,
// and min/max follow in braces.
var contentModels = []string{
	`<s><e n="a" min="0"/><c min="0"><e n="b"/><s><e n="c"/><e n="d" min="0"/></s></c><e n="e" min="0" max="unbounded"/></s>`,
	`<s><e n="a"/><s min="0"><e n="b"/><e n="c" min="0"/></s><s min="0"><e n="d"/><e n="e" min="0"/></s></s>`,
	`<c><s><e n="a"/><e n="b" min="0"/></s><s><e n="c"/><e n="d"/></s><e n="e"/></c>`,
	`<s><e n="a" min="0" max="3"/><e n="b" max="2"/><c min="0"><e n="c"/><e n="d"/></c></s>`,
	`<s><s min="0"><e n="a" min="0"/><e n="b" min="0"/></s><e n="c"/></s>`,
	`<s><c min="2" max="3"><e n="a"/><e n="b"/></c><e n="c" min="0"/></s>`,
	`<s><s max="3"><e n="a"/><e n="b" min="0"/></s><e n="c" min="0"/></s>`,
	`<s><c min="0"><s><e n="a" min="0"/><e n="b" min="0"/></s><e n="c"/></c><e n="d" min="0"/></s>`,
	`<s><c min="0" max="2"><s><e n="a"/><e n="b" min="0"/></s><e n="c"/></c><e n="d"/></s>`,
	`<s min="0"><e n="a"/><c><e n="b"/><e n="c" max="2"/></c></s>`,
	`<s><e n="a" min="0"/><c min="0"><e n="b" min="0"/><e n="c" min="0"/></c><e n="d" min="0"/></s>`,
}

func expandModel(m string) string {
	r := strings.NewReplacer(`<s`, `<xsd:sequence`, `</s>`, `</xsd:sequence>`, `<c`, `<xsd:choice`, `</c>`, `</xsd:choice>`,
		`<e n=`, `<xsd:element type="xsd:string" name=`, `min=`, `minOccurs=`, `max=`, `maxOccurs=`)
	return r.Replace(m)
}

// TestContentModelsAgreeWithXmllint validates every child sequence of up
// to four elements over {a..e} against each content model with both
// validators.
func TestContentModelsAgreeWithXmllint(t *testing.T) {
	testenv.SkipShort(t, "xmllint differential over the content-model oracle")
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(`<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:cm" elementFormDefault="qualified"><xsd:element name="r"><xsd:complexType><xsd:choice>`)
	for i, m := range contentModels {
		fmt.Fprintf(&b, `<xsd:element name="m%d"><xsd:complexType>%s</xsd:complexType></xsd:element>`, i, expandModel(m))
	}
	b.WriteString(`</xsd:choice></xsd:complexType></xsd:element></xsd:schema>`)
	if err := os.WriteFile(filepath.Join(dir, "cm.xsd"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := xsd.Load(dir, "cm.xsd", "")
	if err != nil {
		t.Fatal(err)
	}
	c.Schema.Package = "cm"
	var words []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		words = append(words, prefix)
		if n == 0 {
			return
		}
		for _, x := range "abcde" {
			gen(prefix+string(x), n-1)
		}
	}
	gen("", 4)
	var cases []xsdtest.Case
	for i := range contentModels {
		for _, w := range words {
			var d strings.Builder
			fmt.Fprintf(&d, `<r xmlns="urn:cm"><m%d>`, i)
			for _, x := range w {
				fmt.Fprintf(&d, "<%c/>", x)
			}
			fmt.Fprintf(&d, `</m%d></r>`, i)
			cases = append(cases, xsdtest.Case{Name: fmt.Sprintf("m%d", i), Doc: []byte(d.String()), Desc: w})
		}
	}
	agree, valid := xsdtest.DifferentialSchema(t, filepath.Join(dir, "cm.xsd"), func(doc []byte) error {
		return c.Schema.Validate(bytes.NewReader(doc))
	}, cases)
	t.Logf("content models: agree %d/%d (valid %d)", agree, len(cases), valid)
	if valid == 0 || valid == len(cases) {
		t.Error("degenerate corpus")
	}
}
