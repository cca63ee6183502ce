package xsd_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ksef2/ksef/internal/testenv"

	"github.com/ksef2/ksef/internal/xsd"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

// wfDocs probe the XML parser layer: well-formedness and namespace rules.
var wfDocs = []string{
	`<a>x</a>`, `<a b="1" b="2">x</a>`, `<a>&#0;</a>`, "<a>\x01</a>", `<1a>x</1a>`, `<a:b:c xmlns:a="u">x</a:b:c>`,
	`<a xmlns:p="">x</a>`, `<?xml version="1.1"?><a>x</a>`, `<a>]]></a>`, `<!-- a -- b --><a>x</a>`, `<a>x</a><!-- a --->`,
	`<a>&#xFFFE;</a>`, `<a>&#x1F600;</a>`, `<a>x</a >`, `<a >x</a>`, `< a>x</a>`, `<a>x</ a>`, "<a>x</a\t>",
	`<a>&amp;&lt;&gt;&quot;&apos;</a>`, `<a>&#65;&#x41;</a>`, `<a>&#x;</a>`, `<a>&#-1;</a>`, `<a><![CDATA[x]]></a>`,
	`<a><![CDATA[x]]]]><![CDATA[>]]></a>`, `<?xml version="1.0" standalone="yes"?><a>x</a>`,
	`<?xml version="1.0" encoding="UTF-8" standalone="maybe"?><a>x</a>`, `<?xml version='1.0'?><a>x</a>`,
	`<?xml  version="1.0"?><a>x</a>`, "<?xml version=\"1.0\"?>\n<?xml version=\"1.0\"?><a>x</a>", `<?XML version="1.0"?><a>x</a>`,
	`<a xmlns="">x</a>`, `<a xml:lang="pl">x</a>`, `<a xmlns:xml="http://www.w3.org/XML/1998/namespace">x</a>`,
	`<a xmlns:p="u" p:x="1" p:x="2">x</a>`, `<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2">x</a>`, `<a b="<">x</a>`,
	`<a b="&">x</a>`, `<a b="x>y">x</a>`, `<a b=1>x</a>`, `<a b>x</a>`, `<a>a&b</a>`, `<a>a<b</a>`, `<a>x</A>`,
	"<a>\xc3\xa9</a>", "<a>\xe9</a>", "<a>\xef\xbf\xbf</a>", "<a>\xed\xa0\x80</a>", `<a.b>x</a.b>`, `<a-b>x</a-b>`,
	"<a>x</a>\x00", "<a>\x0c</a>", "<a>\t\n</a>", "<a>x</a>  \n  ", "  <a>x</a>", "\n<?xml version=\"1.0\"?><a>x</a>",
	`<a></a>`, `<a/>`, `<a>x<!----></a>`, `<a>x<!---></a>`, `<a xmlns:p="urn:x"><p:b/></a>`, `<p:a xmlns:p="urn:x">x</p:a>`,
	`<a>x</a><a>y</a>`, `<a>x</a>y`, `<a>x</a><!-- c -->`, `<a>x<?pi x?></a>`, "<a>\r\n</a>", `<a>&#x10FFFF;</a>`,
	`<a>&#xD800;</a>`, `<a>&#x110000;</a>`, `<a>&unknown;</a>`, `<a b="1"b="2">x</a>`, `<a>x</a><?xml version="1.0"?>`,
	`<![CDATA[ ]]><a>x</a>`, `<a>x</a><![CDATA[]]>`, "<a>x</a>\r\n", `<a x="1" y='2'>x</a>`, `<a x="1"y="2">x</a>`,
	`<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:x x.xsd">x</a>`,
	`<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="x.xsd">x</a>`,
	`<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>`,
	`<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="false">x</a>`,
	`<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:foo="1">x</a>`,
	`<a xmlns:q="urn:q" q:foo="1">x</a>`, `<a foo="1">x</a>`,
	`<:a>x</:a>`, `<a:>x</a:>`, `<p:a xmlns:p="urn:x" xmlns:p="urn:y">x</p:a>`, `<a xmlns:p="urn:x" p:b="1" b="2">x</a>`,
}

// TestParserLayerAgreesWithXmllint compares verdicts on documents that
// stress the XML parser rather than the schema. Documents with a DOCTYPE
// or processing instructions are excluded: KSeF refuses them on purpose.
func TestParserLayerAgreesWithXmllint(t *testing.T) {
	dir := t.TempDir()
	schema := `<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"><xsd:element name="a" type="xsd:string"/></xsd:schema>`
	if err := os.WriteFile(filepath.Join(dir, "wf.xsd"), []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := xsd.Load(dir, "wf.xsd", "")
	if err != nil {
		t.Fatal(err)
	}
	c.Schema.Package = "wf"
	var cases []xsdtest.Case
	for _, d := range wfDocs {
		cases = append(cases, xsdtest.Case{Name: "wf", Doc: []byte(d)})
	}
	verdicts, _ := xsdtest.XmllintSchema(t, filepath.Join(dir, "wf.xsd"), cases)
	// Intended differences: KSeF accepts XML 1.0 only and no processing
	// instructions; a NUL byte is never XML (libxml2 stops reading there).
	refuse := map[string]bool{
		`<?xml version="1.1"?><a>x</a>`: true,
		"<a>x</a>\x00":                  true,
		`<a>x<?pi x?></a>`:              true,
		`<a>&#x10FFFF;</a>`:             true, // discouraged code point
	}
	agree := 0
	for i, cs := range cases {
		err := c.Schema.Validate(bytes.NewReader(cs.Doc))
		if refuse[string(cs.Doc)] {
			if err == nil {
				t.Errorf("%q accepted", cs.Doc)
			}
			agree++
			continue
		}
		if (err == nil) == verdicts[i].Valid {
			agree++
			continue
		}
		t.Errorf("%q: ours valid=%v, xmllint valid=%v\nours: %v\nxmllint: %s", cs.Doc, err == nil, verdicts[i].Valid, err, verdicts[i].Output)
	}
	t.Logf("parser layer: agree %d/%d (%d of them intended refusals)", agree, len(cases), len(refuse))
}

// FuzzParserLayer compares our verdict with xmllint's on arbitrary
// documents against a one-element schema (well-formedness and namespace
// rules). Documents with a DOCTYPE, processing instructions, an XML
// version other than 1.0, NUL bytes or KSeF-refused characters are
// skipped: we refuse those on purpose.
func FuzzParserLayer(f *testing.F) {
	testenv.SkipShort(f, "one xmllint run per parser-layer seed (TestParserLayerAgreesWithXmllint checks the same documents in one run)")
	for _, d := range wfDocs {
		f.Add([]byte(d))
	}
	bin := testenv.RequireTool(f, "xmllint")
	dir := f.TempDir()
	schema := `<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"><xsd:element name="a" type="xsd:string"/></xsd:schema>`
	if err := os.WriteFile(filepath.Join(dir, "wf.xsd"), []byte(schema), 0o644); err != nil {
		f.Fatal(err)
	}
	c, err := xsd.Load(dir, "wf.xsd", "")
	if err != nil {
		f.Fatal(err)
	}
	c.Schema.Package = "wf"
	f.Fuzz(func(t *testing.T, doc []byte) {
		if bytes.Contains(doc, []byte("<!")) && !bytes.Contains(doc, []byte("<!--")) && !bytes.Contains(doc, []byte("<![CDATA[")) ||
			bytes.Contains(doc, []byte("<!DOCTYPE")) || bytes.Contains(doc, []byte("<?")) || bytes.IndexByte(doc, 0) >= 0 || !utf8.Valid(doc) ||
			bytes.HasPrefix(doc, []byte("\xEF\xBB\xBF")) {
			return
		}
		for _, r := range string(doc) {
			if r >= 0x7F && r <= 0x9F && r != 0x85 || r >= 0xFDD0 && r <= 0xFDEF || r&0xFFFE == 0xFFFE {
				return
			}
		}
		ours := c.Schema.Validate(bytes.NewReader(doc))
		if ours != nil && strings.Contains(ours.Error(), "discouraged character") {
			return // a KSeF rule, not a schema rule
		}
		cmd := exec.Command(bin, "--noout", "--nonet", "--schema", filepath.Join(dir, "wf.xsd"), "-")
		cmd.Stdin = bytes.NewReader(doc)
		out, _ := cmd.CombinedOutput()
		theirs := bytes.Contains(out, []byte("- validates"))
		if (ours == nil) != theirs {
			t.Fatalf("%q: ours valid=%v, xmllint valid=%v\nours: %v\nxmllint: %s", doc, ours == nil, theirs, ours, out)
		}
	})
}
