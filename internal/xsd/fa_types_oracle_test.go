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
	"github.com/ksef2/ksef/internal/xsd/rt"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

// valuesFor derives boundary values from a type's facets.
func valuesFor(t *rt.SimpleType) []string {
	var out []string
	enum := t.Enumeration
	if len(enum) > 4 {
		enum = append(append([]string(nil), enum[:3]...), enum[len(enum)-1])
	}
	for _, e := range enum {
		out = append(out, e, " "+e+" ", e+"X", strings.ToLower(e), "0"+e, e+".0")
	}
	fill := "a"
	if t.Kind != rt.KindString {
		fill = "1"
	}
	for _, n := range []int{t.MinLength - 1, t.MinLength, t.MaxLength, t.MaxLength + 1, t.Length - 1, t.Length, t.Length + 1} {
		if n > 0 && n < 5000 {
			out = append(out, strings.Repeat(fill, n))
		}
	}
	if t.TotalDigits > 0 {
		out = append(out, strings.Repeat("9", t.TotalDigits), strings.Repeat("9", t.TotalDigits+1), "-"+strings.Repeat("9", t.TotalDigits))
		if t.FractionDigits >= 0 {
			out = append(out, "0."+strings.Repeat("5", t.FractionDigits), "0."+strings.Repeat("5", t.FractionDigits+1))
		}
	}
	for _, b := range t.Bounds {
		out = append(out, b.Value, " "+b.Value, b.Value+"1", "-"+b.Value)
	}
	return out
}

// TestFATypesAgreeWithXmllint checks every named simple type of FA(3),
// FA(2) and FA_RR(1) (and the MF base types they use) on the probe values
// and on values derived from its facets, with both validators.
func TestFATypesAgreeWithXmllint(t *testing.T) {
	testenv.SkipShort(t, "xmllint differential over every named simple type of FA(3), FA(2), FA_RR(1) and their facet boundaries")
	spec := testenv.SpecDir(t)
	for _, main := range []string{"xsd/FA/schemat_FA(3)_v1-0E.xsd", "xsd/FA/schemat_FA(2)_v1-0E.xsd", "xsd/RR/schemat_FA_RR(1)_v1-1E.xsd"} {
		t.Run(filepath.Base(main), func(t *testing.T) {
			c, err := xsd.Load(spec, main, "xsd/catalog.xml")
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			rel, err := filepath.Rel(dir, filepath.Join(spec, main))
			if err != nil {
				t.Fatal(err)
			}
			cat, err := filepath.Rel(dir, filepath.Join(spec, "xsd", "catalog.xml"))
			if err != nil {
				t.Fatal(err)
			}
			const etd = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"
			var b strings.Builder
			fmt.Fprintf(&b, `<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns=%q xmlns:etd=%q targetNamespace="urn:t" elementFormDefault="qualified">`, c.TargetNamespace, etd)
			fmt.Fprintf(&b, `<xsd:import namespace=%q schemaLocation=%q/>`, c.TargetNamespace, filepath.ToSlash(rel))
			fmt.Fprintf(&b, `<xsd:import namespace=%q schemaLocation=%q/>`, etd, etd+"StrukturyDanych_v10-0E.xsd")
			b.WriteString(`<xsd:element name="r"><xsd:complexType><xsd:choice>`)
			var cases []xsdtest.Case
			for i, st := range c.SimpleTypes {
				fmt.Fprintf(&b, `<xsd:element name="e%d" type=%q/>`, i, st.Name)
				vals := append(valuesFor(st), probeValues...)
				for _, v := range vals {
					var esc bytes.Buffer
					_ = xmlEscape(&esc, v)
					doc := fmt.Sprintf(`<r xmlns="urn:t"><e%d>%s</e%d></r>`, i, esc.String(), i)
					cases = append(cases, xsdtest.Case{Name: st.Name, Doc: []byte(doc), Desc: fmt.Sprintf("%q", v)})
				}
			}
			b.WriteString(`</xsd:choice></xsd:complexType></xsd:element></xsd:schema>`)
			if err := os.WriteFile(filepath.Join(dir, "types.xsd"), []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			probe, err := xsd.Load(dir, "types.xsd", cat)
			if err != nil {
				t.Fatal(err)
			}
			probe.Schema.Package = "types"
			agree, valid := xsdtest.DifferentialSchema(t, filepath.Join(dir, "types.xsd"), func(doc []byte) error {
				return probe.Schema.Validate(bytes.NewReader(doc))
			}, cases)
			t.Logf("%d named simple types: agree %d/%d (valid %d)", len(c.SimpleTypes), agree, len(cases), valid)
		})
	}
}
