package xsd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnsupportedConstructsFail checks that the compiler refuses XSD
// constructs it does not implement instead of ignoring them.
func TestUnsupportedConstructsFail(t *testing.T) {
	const head = `<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" xmlns:t="urn:t" elementFormDefault="qualified">`
	cases := map[string]string{
		"xsd:all":                         `<xsd:element name="r"><xsd:complexType><xsd:all><xsd:element name="a" type="xsd:string"/></xsd:all></xsd:complexType></xsd:element>`,
		"xsd:any":                         `<xsd:element name="r"><xsd:complexType><xsd:sequence><xsd:any/></xsd:sequence></xsd:complexType></xsd:element>`,
		"ref":                             `<xsd:element name="a" type="xsd:string"/><xsd:element name="r"><xsd:complexType><xsd:sequence><xsd:element ref="t:a"/></xsd:sequence></xsd:complexType></xsd:element>`,
		"group":                           `<xsd:group name="g"><xsd:sequence/></xsd:group>`,
		"attributeGroup":                  `<xsd:attributeGroup name="g"/>`,
		"xsd:list":                        `<xsd:simpleType name="l"><xsd:list itemType="xsd:string"/></xsd:simpleType>`,
		"mixed":                           `<xsd:element name="r"><xsd:complexType mixed="true"><xsd:sequence/></xsd:complexType></xsd:element>`,
		"nillable":                        `<xsd:element name="r" type="xsd:string" nillable="true"/>`,
		"anyType":                         `<xsd:element name="r"/>`,
		"restriction of complex":          `<xsd:complexType name="b"><xsd:sequence/></xsd:complexType><xsd:element name="r"><xsd:complexType><xsd:complexContent><xsd:restriction base="t:b"/></xsd:complexContent></xsd:complexType></xsd:element>`,
		"built-in anyURI":                 `<xsd:element name="r" type="xsd:anyURI"/>`,
		"facet on union":                  `<xsd:simpleType name="u"><xsd:union><xsd:simpleType><xsd:restriction base="xsd:string"/></xsd:simpleType></xsd:union></xsd:simpleType><xsd:simpleType name="v"><xsd:restriction base="t:u"><xsd:maxLength value="1"/></xsd:restriction></xsd:simpleType>`,
		"unknown facet":                   `<xsd:simpleType name="s"><xsd:restriction base="xsd:string"><xsd:assertion test="true()"/></xsd:restriction></xsd:simpleType>`,
		"untranslatable pattern":          `<xsd:simpleType name="s"><xsd:restriction base="xsd:string"><xsd:pattern value="\i\c*"/></xsd:restriction></xsd:simpleType><xsd:element name="r" type="t:s"/>`,
		"recursive type":                  `<xsd:complexType name="c"><xsd:sequence><xsd:element name="c" type="t:c" minOccurs="0"/></xsd:sequence></xsd:complexType><xsd:element name="r" type="t:c"/>`,
		"reference without import":        `<xsd:element name="r" xmlns:o="urn:o" type="o:T"/>`,
		"absolute import without catalog": `<xsd:import namespace="urn:x" schemaLocation="http://example.com/x.xsd"/>`,
	}
	dir := t.TempDir()
	for name, body := range cases {
		f := strings.ReplaceAll(name, " ", "_") + ".xsd"
		if err := os.WriteFile(filepath.Join(dir, f), []byte(head+body+`</xsd:schema>`), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(dir, f, "")
		if err == nil {
			// Types are compiled on use; force a complete compile.
			t.Errorf("%s: accepted (roots %d)", name, len(c.Schema.Roots))
			continue
		}
		if !strings.HasPrefix(err.Error(), "xsd: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
}
