package invoicecmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/cmd/ksef/internal/qrcmd"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

// areas are the command areas the invoice tests run: invoice, and qr for
// the verification link.
var areas = []cli.Area{New, qrcmd.New}

// runDoc runs a ksef command line in-process with the given stdin and
// returns stdout, stderr and the error main would print.
func runDoc(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	return clitest.Doc(t, areas, stdin, args...)
}

func mustRunDoc(t *testing.T, args ...string) string {
	t.Helper()
	return clitest.MustDoc(t, areas, args...)
}

var violationLine = regexp.MustCompile(`^(.+):(\d+):(\d+): (/\S*): (.+)$`)

func TestInvoiceValidate(t *testing.T) {
	dir := t.TempDir()
	good := clitest.WriteTempDoc(t, dir, "good.xml", clitest.BuiltTestInvoice(t))
	fa2 := clitest.WriteTempDoc(t, dir, "fa2.xml", xsdtest.Fill(t, clitest.SpecTemplate(t, "invoice-template-fa-2.xml")))
	rr := clitest.WriteTempDoc(t, dir, "rr.xml", xsdtest.Fill(t, clitest.SpecTemplate(t, "invoice-template-fa-rr-1.xml")))
	badDoc := bytes.Replace(clitest.BuiltTestInvoice(t), []byte("<P_2>FV/7/2026</P_2>"), []byte("<P_2></P_2><P_2x/>"), 1)
	bad := clitest.WriteTempDoc(t, dir, "bad.xml", badDoc)
	other := clitest.WriteTempDoc(t, dir, "other.xml", []byte(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`))
	missing := filepath.Join(dir, "missing.xml")

	// All valid: success, one line per file naming the form.
	out := mustRunDoc(t, "invoice", "validate", good, fa2, rr)
	for _, want := range []string{good + ": valid FA (3)", fa2 + ": valid FA (2)", rr + ": valid FA_RR (1)"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Invalid files: an error (exit status 1) and one line per violation.
	out, _, err := runDoc(t, "", "invoice", "validate", good, bad, other, missing)
	if err == nil || err.Error() != "3 of 4 files invalid" {
		t.Fatalf("err = %v", err)
	}
	want := fa3.ValidateBytes(badDoc)
	var ve *fa3.ValidationError
	if !errors.As(want, &ve) || len(ve.Violations) == 0 {
		t.Fatalf("the broken invoice is valid: %v", want)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if m := violationLine.FindStringSubmatch(l); m != nil && m[1] == bad {
			got = append(got, fmt.Sprintf("%s:%s: %s: %s", m[2], m[3], m[4], m[5]))
		}
	}
	if len(got) != len(ve.Violations) {
		t.Fatalf("printed %d violations of %s, want %d:\n%s", len(got), bad, len(ve.Violations), out)
	}
	for i, v := range ve.Violations {
		if w := fmt.Sprintf("%d:%d: %s: %s", v.Line, v.Column, v.Path, v.Message); got[i] != w {
			t.Errorf("violation %d printed as %q, want %q", i, got[i], w)
		}
	}
	if !strings.Contains(out, other+": unknown document: root element {urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice") {
		t.Errorf("no message for the non-invoice:\n%s", out)
	}
	if !strings.Contains(out, missing+": ") || !strings.Contains(out, "no such file") {
		t.Errorf("no message for the missing file:\n%s", out)
	}
	if strings.Count(out, missing) != 1 {
		t.Errorf("the missing file's name is printed more than once:\n%s", out)
	}

	// JSON.
	out, _, err = runDoc(t, "", "invoice", "validate", "-o", "json", good, bad)
	if err == nil {
		t.Fatal("no error for an invalid file")
	}
	var res []validateResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res) != 2 || !res[0].Valid || res[0].Form != "FA (3)" || res[1].Valid || len(res[1].Violations) != len(ve.Violations) ||
		res[1].Violations[0].Line != ve.Violations[0].Line || res[1].Violations[0].Path != ve.Violations[0].Path {
		t.Errorf("json: %+v", res)
	}

	// Stdin.
	out, _, err = runDoc(t, string(clitest.BuiltTestInvoice(t)), "invoice", "validate", "-")
	if err != nil || out != "-: valid FA (3)\n" {
		t.Errorf("stdin: %q, %v", out, err)
	}
	if _, _, err := runDoc(t, "", "invoice", "validate"); err == nil {
		t.Error("no error without files")
	}

	// An invoice description given by mistake points to invoice new.
	desc := filepath.Join(t.TempDir(), "vat.yaml")
	if err := os.WriteFile(desc, []byte(descriptionYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = runDoc(t, "", "invoice", "validate", desc)
	if err == nil || !strings.Contains(out, "`ksef invoice new "+desc+" --out FILE.xml`") {
		t.Errorf("validate on a YAML description: %v\n%s", err, out)
	}
}

// TestInvoiceValidateOtherEncoding: a document declaring another encoding
// is recognised and gets the validator's message about the encoding, not
// a decoder error.
func TestInvoiceValidateOtherEncoding(t *testing.T) {
	doc := bytes.Replace(clitest.BuiltTestInvoice(t), []byte(`encoding="UTF-8"`), []byte(`encoding="windows-1250"`), 1)
	if !bytes.Contains(doc, []byte("windows-1250")) {
		t.Fatal("the test invoice has no encoding declaration")
	}
	in := clitest.WriteTempDoc(t, t.TempDir(), "cp.xml", doc)
	out, _, err := runDoc(t, "", "invoice", "validate", in)
	if err == nil || !strings.Contains(out, in+":1:") || !strings.Contains(out, `encoding "windows-1250"`) {
		t.Errorf("err %v, output:\n%s", err, out)
	}
}
