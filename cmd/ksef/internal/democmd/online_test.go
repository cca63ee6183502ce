package democmd

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/upo"
)

// checkDemoOnline checks the online steps of a demo's -o json report: two
// KSeF numbers, a verified UPO confirming both, its printouts, and the
// re-send answered with the first invoice's KSeF number.
func checkDemoOnline(t *testing.T, jsonOut, tmpDir string) {
	t.Helper()
	d := demoDetails(t, jsonOut)
	sent := d["Send the invoice and a second one online"]
	got := d["Download the session UPO and verify its signature"]
	rendered := d["Render the UPO to PDF and HTML"]
	resent := d["Send the invoice again: KSeF answers with the original KSeF number"]
	if sent == nil || got == nil || rendered == nil || resent == nil {
		t.Fatalf("online steps missing: %v", d)
	}
	n1, n2 := sent["invoice1KsefNumber"], sent["invoice2KsefNumber"]
	for _, n := range []string{n1, n2} {
		if _, err := ident.ParseKSeFNumber(n); err != nil {
			t.Errorf("KSeF number %q: %v", n, err)
		}
	}
	session, _, _ := strings.Cut(sent["onlineSession"], " ")
	if n1 == n2 || session == "" {
		t.Errorf("send step: %v", sent)
	}
	if !strings.HasPrefix(resent["outcome"], "duplicate") || !strings.HasPrefix(resent["originalKsefNumber"], n1+" ") ||
		resent["originalSession"] != session || resent["newSession"] == session || resent["newSession"] == "" {
		t.Errorf("re-send step: %v (first send: %s in %s)", resent, n1, session)
	}
	if !strings.HasPrefix(got["signature"], "valid (XAdES), signed by ") {
		t.Errorf("UPO step: %v", got)
	}
	xmlPath, data := demoFile(t, got["xmlFile"], tmpDir)
	u, cert, err := upo.Verify(data)
	if err != nil {
		t.Fatalf("%s: %v", xmlPath, err)
	}
	if u.SessionReferenceNumber != session || len(u.Documents) != 2 || !strings.Contains(got["signature"], cert.Subject.String()) {
		t.Errorf("%s: session %s, %d documents", xmlPath, u.SessionReferenceNumber, len(u.Documents))
	}
	for _, n := range []string{n1, n2} {
		if _, ok := u.Document(n); !ok {
			t.Errorf("%s does not confirm %s", xmlPath, n)
		}
	}
	pdfPath, pdf := demoFile(t, rendered["pdfFile"], tmpDir)
	_, html := demoFile(t, rendered["htmlFile"], tmpDir)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(html, []byte(n1)) || !bytes.Contains(html, []byte(n2)) {
		t.Errorf("UPO printouts lack the KSeF numbers")
	}
	testenv.SkipShort(t, "pdftotext on the demo's UPO PDF")
	text, err := exec.Command(testenv.RequireTool(t, "pdftotext"), "-enc", "UTF-8", pdfPath, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(text)), "")
	for _, want := range []string{n1, n2, session} {
		if !strings.Contains(flat, want) {
			t.Errorf("UPO PDF text lacks %q:\n%s", want, text)
		}
	}
}
