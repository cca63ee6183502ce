package invoicecmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/internal/testenv"
)

func TestInvoiceRender(t *testing.T) {
	dir := t.TempDir()
	in := clitest.WriteTempDoc(t, dir, "inv.xml", clitest.BuiltTestInvoice(t))
	html := filepath.Join(dir, "inv.html")
	out := mustRunDoc(t, "invoice", "render", in, "--out", html, "--ksef-number", "5265877635-20260115-0123456789AB-CE")
	if !strings.HasPrefix(out, "wrote "+html+" (HTML, ") {
		t.Errorf("output %q", out)
	}
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	link := strings.TrimSpace(mustRunDoc(t, "qr", in))
	link = strings.SplitN(link, "\n", 2)[0]
	for _, want := range []string{"FV/7/2026", "Konsultacje", "5265877635-20260115-0123456789AB-CE"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if !bytes.Contains(b, []byte(strings.ReplaceAll(link, "&", "&amp;"))) {
		t.Errorf("HTML lacks the verification link %s", link)
	}

	pdf := filepath.Join(dir, "inv.pdf")
	js := mustRunDoc(t, "invoice", "render", in, pdf, "-o", "json")
	var res renderResult
	if err := json.Unmarshal([]byte(js), &res); err != nil || res.Format != "pdf" || res.VerificationLink != link {
		t.Errorf("json %v %+v", err, res)
	}
	b, err = os.ReadFile(pdf)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) || res.Bytes != len(b) {
		t.Fatalf("pdf: %v, %d bytes", err, len(b))
	}
	pdftotext := testenv.RequireTool(t, "pdftotext")
	text, err := exec.Command(pdftotext, "-enc", "UTF-8", pdf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FV/7/2026", "Konsultacje", "OFFLINE"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}

	for args, want := range map[string]string{
		in:                                     "no output file: give --out FILE.pdf",
		in + " x.txt":                          "use the extension .pdf or .html",
		in + " a.pdf --out b.pdf":              "output file given twice",
		in + " a.pdf --ksef-number 5265877635": "not a KSeF number",
		filepath.Join(dir, "none.xml") + " a.pdf": "no such file",
	} {
		_, _, err := runDoc(t, "", append([]string{"invoice", "render"}, strings.Fields(args)...)...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("render %s: err %v, want %q", args, err, want)
		}
	}
}

// TestInvoiceRenderOutputFlag: -o is the report format only. A file name
// given to -o (the old form "ksef invoice render FILE -o out.pdf") is an
// error that says to use --out FILE, and writes nothing; other commands
// reject anything but text and json as well.
func TestInvoiceRenderOutputFlag(t *testing.T) {
	dir := t.TempDir()
	in := clitest.WriteTempDoc(t, dir, "inv.xml", clitest.BuiltTestInvoice(t))

	for _, args := range [][]string{
		{in, "-o", filepath.Join(dir, "o.pdf")},
		{"-o", filepath.Join(dir, "o.HTML"), in},                             // the flag before the file
		{in, filepath.Join(dir, "a.pdf"), "-o", filepath.Join(dir, "b.pdf")}, // an output file given as well
		{in, "-o", "foo.txt"},
		{in, "-o", "yaml"},
	} {
		o := args[slices.Index(args, "-o")+1]
		_, _, err := runDoc(t, "", append([]string{"invoice", "render"}, args...)...)
		want := fmt.Sprintf("unknown output format %q (want text or json; -o is the output format only: to write a file, use --out FILE)", o)
		if err == nil || err.Error() != want {
			t.Errorf("render %v: err %v, want %q", args, err, want)
		}
		if _, err := os.Stat(o); err == nil {
			t.Errorf("render %v wrote %s", args, o)
		}
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 1 {
		t.Errorf("refused -o values left files: %v %v", ents, err)
	}

	// --out writes the file, before or after the input; upper-case
	// extensions count.
	pdf := filepath.Join(dir, "o.pdf")
	out := mustRunDoc(t, "invoice", "render", in, "--out", pdf)
	if !strings.HasPrefix(out, "wrote "+pdf+" (PDF, ") {
		t.Errorf("--out %s: output %q", pdf, out)
	}
	if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("--out %s: %v, %.8q", pdf, err, b)
	}
	html := filepath.Join(dir, "o.HTML")
	out = mustRunDoc(t, "invoice", "render", "--out", html, in)
	if !strings.HasPrefix(out, "wrote "+html+" (HTML, ") {
		t.Errorf("--out %s: output %q", html, out)
	}
	if b, err := os.ReadFile(html); err != nil || !bytes.Contains(b, []byte("FV/7/2026")) || !bytes.Contains(b, []byte("<html")) {
		t.Errorf("--out %s: %v, %d bytes", html, err, len(b))
	}

	// -o json is the report format.
	pdf2 := filepath.Join(dir, "j.pdf")
	js := mustRunDoc(t, "invoice", "render", in, "--out", pdf2, "-o", "json")
	var res renderResult
	if err := json.Unmarshal([]byte(js), &res); err != nil || res.Out != pdf2 || res.Format != "pdf" || res.Bytes == 0 {
		t.Errorf("-o json: %v %+v\n%s", err, res, js)
	}
	if _, err := os.Stat(filepath.Join(dir, "json")); err == nil {
		t.Error("-o json wrote a file named json")
	}
	if out := mustRunDoc(t, "invoice", "render", in, pdf2, "-o", "text"); !strings.HasPrefix(out, "wrote "+pdf2) {
		t.Errorf("-o text: %q", out)
	}

	for args, want := range map[string]string{
		in + " b.html --out a.pdf":                      "output file given twice",
		"--out " + filepath.Join(dir, "x.pdf"):          "accepts between 1 and 2 arg(s)",
		filepath.Join(dir, "none.xml") + " --out a.pdf": "no such file",
	} {
		_, _, err := runDoc(t, "", append([]string{"invoice", "render"}, strings.Fields(args)...)...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("render %s: err %v, want %q", args, err, want)
		}
	}
	if _, _, err := runDoc(t, "", "invoice", "render", in, filepath.Join(dir, "e.pdf"), "-o", ""); err == nil || !strings.Contains(err.Error(), `unknown output format ""`) {
		t.Errorf(`-o "": err %v`, err)
	}
	// invoice new writes its file with --out too; commands that write no
	// file reject file names without pointing to --out.
	if _, _, err := runDoc(t, "", "invoice", "new", "--template", in, "-o", "x.xml"); err == nil || !strings.Contains(err.Error(), "use --out FILE") {
		t.Errorf("invoice new -o x.xml: err %v", err)
	}
	for _, args := range [][]string{{"invoice", "validate", in, "-o", "x.pdf"}, {"qr", in, "-o", "x.html"}} {
		if _, _, err := runDoc(t, "", args...); err == nil || !strings.Contains(err.Error(), "unknown output format") || strings.Contains(err.Error(), "--out") {
			t.Errorf("%v: err %v", args, err)
		}
	}
}
