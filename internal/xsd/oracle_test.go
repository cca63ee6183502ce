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

// probeSchema declares one element per simple type of interest: the
// built-ins the KSeF schemas use and restrictions shaped like theirs.
const probeSchema = `<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:p="urn:probe" targetNamespace="urn:probe" elementFormDefault="qualified">
 <xsd:simpleType name="TKwota2"><xsd:restriction base="xsd:decimal"><xsd:totalDigits value="16"/><xsd:whiteSpace value="collapse"/><xsd:fractionDigits value="2"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TRzeczywisty"><xsd:restriction base="p:TKwota2"><xsd:minInclusive value="0"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TKwotowy"><xsd:restriction base="xsd:decimal"><xsd:totalDigits value="18"/><xsd:fractionDigits value="2"/><xsd:pattern value="-?([1-9]\d{0,15}|0)(\.\d{1,2})?"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TProcentowy"><xsd:restriction base="xsd:decimal"><xsd:totalDigits value="5"/><xsd:fractionDigits value="2"/><xsd:minInclusive value="0"/><xsd:maxInclusive value="100"/><xsd:whiteSpace value="collapse"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TStawka"><xsd:restriction base="p:TProcentowy"><xsd:enumeration value="6.5"/><xsd:enumeration value="7"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TCalkowity"><xsd:restriction base="xsd:int"><xsd:whiteSpace value="collapse"/><xsd:totalDigits value="14"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TNaturalny"><xsd:restriction base="xsd:nonNegativeInteger"><xsd:whiteSpace value="collapse"/><xsd:totalDigits value="14"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TNaturalnyDodatni"><xsd:restriction base="p:TNaturalny"><xsd:minExclusive value="0"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TKwotaC"><xsd:restriction base="xsd:integer"><xsd:totalDigits value="14"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TData"><xsd:restriction base="xsd:date"><xsd:minInclusive value="1900-01-01"/><xsd:maxInclusive value="2050-12-31"/><xsd:pattern value="((\d{4})-(\d{2})-(\d{2}))"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TDataT"><xsd:restriction base="p:TData"><xsd:minInclusive value="2006-01-01"/><xsd:maxInclusive value="2050-01-01"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TDataCzas"><xsd:restriction base="xsd:dateTime"><xsd:whiteSpace value="collapse"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TDataCzasOd"><xsd:restriction base="p:TDataCzas"><xsd:minInclusive value="2025-09-01T00:00:00Z"/><xsd:maxInclusive value="2050-01-01T23:59:59Z"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TRok"><xsd:restriction base="xsd:gYear"><xsd:minInclusive value="1900"/><xsd:maxInclusive value="2050"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TMiesiac"><xsd:restriction base="xsd:byte"><xsd:maxInclusive value="12"/><xsd:minInclusive value="1"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TWybor1_2"><xsd:restriction base="xsd:byte"><xsd:enumeration value="1"/><xsd:enumeration value="2"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TZnakowy"><xsd:restriction base="xsd:token"><xsd:minLength value="1"/><xsd:maxLength value="5"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TTekstowy"><xsd:restriction base="xsd:string"><xsd:minLength value="1"/><xsd:maxLength value="5"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TNorm"><xsd:restriction base="xsd:normalizedString"><xsd:minLength value="1"/><xsd:maxLength value="5"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TReplace"><xsd:restriction base="xsd:string"><xsd:whiteSpace value="replace"/><xsd:maxLength value="5"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TAdresEmail"><xsd:restriction base="xsd:token"><xsd:minLength value="3"/><xsd:maxLength value="255"/><xsd:pattern value="(.)+@(.)+"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TNrNIP"><xsd:restriction base="xsd:string"><xsd:pattern value="[1-9]((\d[1-9])|([1-9]\d))\d{7}"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TNrREGON"><xsd:union><xsd:simpleType><xsd:restriction base="xsd:string"><xsd:pattern value="\d{9}"/></xsd:restriction></xsd:simpleType><xsd:simpleType><xsd:restriction base="xsd:string"><xsd:pattern value="\d{14}"/></xsd:restriction></xsd:simpleType></xsd:union></xsd:simpleType>
 <xsd:simpleType name="TKodKraju"><xsd:restriction base="xsd:normalizedString"><xsd:enumeration value="PL"/><xsd:enumeration value="DE"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TKodKrajuWydania"><xsd:restriction base="p:TKodKraju"><xsd:pattern value="P[A-KM-Z]"/><xsd:pattern value="[A-OQ-Z][A-Z]"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TURL"><xsd:restriction base="xsd:token"><xsd:pattern value="(https?)://([a-zA-Z0-9][a-zA-Z0-9-]*\.)+[a-zA-Z]{2,}(:[0-9]{1,5})?(/[^\s?#]*)?\?([^#\s]*&amp;)?IPKSeF=[0-9]{3}[a-zA-Z0-9]{10}(&amp;[^#\s]*)?(#.*)?"/></xsd:restriction></xsd:simpleType>
 <xsd:simpleType name="TZnakiSpec"><xsd:restriction base="xsd:string"><xsd:pattern value="(\d|[A-Z]|\+|\*){1,12}"/></xsd:restriction></xsd:simpleType>
 <xsd:element name="r"><xsd:complexType><xsd:choice>
  ELEMENTS
  <xsd:element name="Fixed" type="p:TKodKraju" fixed="PL"/>
  <xsd:element name="Attr"><xsd:complexType><xsd:simpleContent><xsd:extension base="p:TZnakowy"><xsd:attribute name="kod" type="xsd:string" use="required" fixed="FA (3)"/></xsd:extension></xsd:simpleContent></xsd:complexType></xsd:element>
 </xsd:choice></xsd:complexType></xsd:element>
</xsd:schema>
`

var probeTypes = []string{"TKwota2", "TRzeczywisty", "TKwotowy", "TProcentowy", "TStawka", "TCalkowity", "TNaturalny",
	"TNaturalnyDodatni", "TKwotaC", "TData", "TDataT", "TDataCzas", "TDataCzasOd", "TRok", "TMiesiac", "TWybor1_2",
	"TZnakowy", "TTekstowy", "TNorm", "TReplace", "TAdresEmail", "TNrNIP", "TNrREGON", "TKodKraju", "TKodKrajuWydania",
	"TURL", "TZnakiSpec", "xsd:decimal", "xsd:integer", "xsd:int", "xsd:byte", "xsd:nonNegativeInteger",
	"xsd:date", "xsd:dateTime", "xsd:gYear", "xsd:token", "xsd:string", "xsd:boolean"}

var probeValues = []string{
	"", " ", "0", "1", "01", " 1 ", "1 ", "\n1", "+1", "-1", "-0", "1.", ".5", "-.5", ".", "00.", "1.5", "1.50", "1.505",
	"12", "13", "127", "128", "-128", "-129", "2147483647", "2147483648", "99999999999999", "100000000000000",
	"123456789012345678901234", "1234567890123456789012345", "0000000000000000000000000001", "1e5", "1,5", "6.5", "6.50", "7.0", "100", "100.00", "100.01",
	"12345678901234.56", "1234567890123456.78", "12345678901234567",
	"2024-02-29", "2023-02-29", "2025-13-01", "2025-00-10", "0000-01-01", "12024-01-01", "02024-01-01", "-2024-01-01",
	"2025-01-01Z", "2025-01-01+14:00", "2025-01-01+14:01", "2025-01-01-23:59", " 2025-01-01", "2025-01-01 ", "1899-12-31",
	"2050-01-01", "2050-01-02", "2006-01-01", "2005-12-31",
	"2025-09-01T00:00:00Z", "2025-09-01T00:00:00", "2025-09-01T14:00:00", "2025-08-31T23:59:59Z", "2025-09-01T02:00:00+02:00",
	"2025-09-01T01:59:59+02:00", "2025-09-01T24:00:00Z", "2025-09-01T24:00:01Z", "2025-09-01T23:59:60Z", "2025-09-01T12:00:00.5Z",
	"2025-09-01T12:00:00.Z", "2025-09-01T12:00Z", "2025-09-01T3:00:00Z", " 2025-09-01T12:00:00Z", "2050-01-01T23:59:59Z", "2050-01-02T00:00:00Z",
	"2025-09-01T12:00:00Z ", "2025-09-01T12:00:00Z\n", "2025-09-01T12:00:00+01:00\t", "2025-09-01T12:00:00 ",
	" 2025-09-01T12:00:00Z ", "2025-09-01T12:00:00.5-01:00 \n", "2025-01-01Z ", "2025-01-01+01:00\n", "2000Z ", "2000+01:00 ",
	"1900", "2050", "2051", "1899", " 2000", "2000Z",
	"a", "abcde", "abcdef", "  abcde  ", "ab  cd", "a\tb", "a\n\nb", "ąęćźż", "ąęćźżó", "a b", " a b",
	"a@b", "@b", "a@", "ab@c\nd", "PL", "DE", "PA", "PL ", " PL", "XX", "PB",
	"5265877635", "0265877635", "5205877635", "526587763", "123456789", "12345678901234", "1234567890", "١٢٣٤٥٦٧٨٩",
	"ABC+*123", "abc", "ABCDEFGHIJKLM",
	"https://ksef.mf.gov.pl/web?IPKSeF=123abcdefghij", "http://a.pl/x?y=1&IPKSeF=123abcdefghij#frag", "https://ksef.mf.gov.pl/web?IPKSeF=12abcdefghij",
	"ftp://a.pl?IPKSeF=123abcdefghij", "https://a.p/?IPKSeF=123abcdefghij",
	"true", "false", "TRUE", "yes",
}

// TestSimpleTypesAgreeWithXmllint checks every probe value against every
// probe type with both validators.
func TestSimpleTypesAgreeWithXmllint(t *testing.T) {
	testenv.SkipShort(t, "xmllint differential over every probe value against every probe type")
	dir := t.TempDir()
	var els strings.Builder
	for _, ty := range probeTypes {
		n := strings.ReplaceAll(strings.TrimPrefix(ty, "xsd:"), "_", "")
		if !strings.HasPrefix(ty, "xsd:") {
			ty = "p:" + ty
		}
		fmt.Fprintf(&els, "<xsd:element name=%q type=%q/>\n", "E"+n, ty)
	}
	schema := strings.Replace(probeSchema, "ELEMENTS", els.String(), 1)
	if err := os.WriteFile(filepath.Join(dir, "probe.xsd"), []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := xsd.Load(dir, "probe.xsd", "")
	if err != nil {
		t.Fatal(err)
	}
	c.Schema.Package = "probe"
	var cases []xsdtest.Case
	esc := func(s string) string {
		var b bytes.Buffer
		_ = xmlEscape(&b, s)
		return b.String()
	}
	for _, ty := range probeTypes {
		n := "E" + strings.ReplaceAll(strings.TrimPrefix(ty, "xsd:"), "_", "")
		for _, v := range probeValues {
			doc := fmt.Sprintf(`<r xmlns="urn:probe"><%s>%s</%s></r>`, n, esc(v), n)
			cases = append(cases, xsdtest.Case{Name: n, Doc: []byte(doc), Desc: fmt.Sprintf("%q", v)})
		}
	}
	for _, v := range []string{"", "PL", " PL ", "DE", "pl"} {
		cases = append(cases, xsdtest.Case{Name: "Fixed", Doc: []byte(`<r xmlns="urn:probe"><Fixed>` + v + `</Fixed></r>`), Desc: fmt.Sprintf("%q", v)})
	}
	for _, v := range []string{"FA (3)", "FA  (3)", " FA (3)", "FA (2)", "FA\t(3)"} {
		cases = append(cases, xsdtest.Case{Name: "Attr", Doc: []byte(`<r xmlns="urn:probe"><Attr kod="` + esc(v) + `">x</Attr></r>`), Desc: fmt.Sprintf("%q", v)})
	}
	cases = append(cases, xsdtest.Case{Name: "Attr", Doc: []byte(`<r xmlns="urn:probe"><Attr>x</Attr></r>`), Desc: "missing attribute"})
	// Literal white space in attribute values is normalised by the parser.
	for _, raw := range []string{"FA\t(3)", "FA\n(3)", "FA\r\n(3)", "FA&#32;(3)", "FA&#9;(3)", "FA  (3)", "FA \t(3)"} {
		cases = append(cases, xsdtest.Case{Name: "Attr", Doc: []byte(`<r xmlns="urn:probe"><Attr kod="` + raw + `">x</Attr></r>`), Desc: fmt.Sprintf("raw %q", raw)})
	}
	agree, _ := xsdtest.DifferentialSchema(t, filepath.Join(dir, "probe.xsd"), func(doc []byte) error {
		return c.Schema.Validate(bytes.NewReader(doc))
	}, cases)
	t.Logf("simple types: agree %d/%d", agree, len(cases))
}
