package upocmd

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/upo"
)

// tamper changes one signed character of every UPO the simulator serves
// while tampering is on, and fixes the x-ms-meta-hash header to match, so
// only the signature can tell.
type tamper struct{ on atomic.Bool }

func (tp *tamper) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !tp.on.Load() || !strings.HasSuffix(r.URL.Path, "/upo") && !strings.Contains(r.URL.Path, "/upo/") {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			body = bytes.Replace(body, []byte("Ministerstwo"), []byte("Ministerstw0"), 1)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		if rec.Header().Get("x-ms-meta-hash") != "" {
			sum := sha256.Sum256(body)
			w.Header().Set("x-ms-meta-hash", base64.StdEncoding.EncodeToString(sum[:]))
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

func TestUPOGet(t *testing.T) {
	tp := &tamper{}
	sim, base := simtest.Start(t, ksefsim.WithMiddleware(tp.middleware))
	c := clitest.New(t, New)
	nip, a := c.LogIn(sim, base, "default")
	ctx := t.Context()
	s, err := a.Sessions.OpenOnline(ctx, ksef.FormFA3, nil)
	if err != nil {
		t.Fatal(err)
	}
	var refs, numbers []string
	for i := range 2 {
		sent, err := s.SendInvoice(ctx, clitest.FA3Invoice(t, nip, "FV/UPO/"+strconv.Itoa(i)), nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.WaitInvoice(ctx, sent.ReferenceNumber, &ksef.WaitOptions{MinDelay: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		refs, numbers = append(refs, sent.ReferenceNumber), append(numbers, st.KSeFNumber)
	}
	ref := s.ReferenceNumber()
	// Before the close the session has no UPO.
	if _, _, err := c.Run("upo", "get", "--session", ref, "--out", filepath.Join(t.TempDir(), "u.xml")); err == nil ||
		!strings.Contains(err.Error(), "has no UPO yet") {
		t.Errorf("upo get of an open session: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Wait(ctx, &ksef.WaitOptions{MinDelay: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	// By invoice reference, to XML: the file is the signed UPO as sent.
	xmlFile := filepath.Join(dir, "inv.xml")
	out := c.MustRun("upo", "get", "--session", ref, "--invoice", refs[0], "--out", xmlFile)
	for _, want := range []string{"UPO of invoice " + ref, numbers[0], "Signature: valid, signed by ", "Written: " + xmlFile} {
		if !strings.Contains(out, want) {
			t.Errorf("upo get --invoice lacks %q:\n%s", want, out)
		}
	}
	u, cert, err := upo.Verify(clitest.MustRead(t, xmlFile))
	if err != nil || u.Documents[0].KSeFNumber != numbers[0] || !strings.Contains(out, cert.Subject.String()) {
		t.Errorf("written XML: %v", err)
	}
	// By KSeF number, to HTML.
	htmlFile := filepath.Join(dir, "inv.html")
	res := clitest.DecodeJSON[Result](t, c.MustRun("upo", "get", "--session", ref, "--ksef-number", numbers[1], "--out", htmlFile, "-o", "json"))
	if !res.Verified || res.Signer == nil || res.Signer.Subject == "" || res.Format != "html" || len(res.Documents) != 1 || res.Documents[0] != numbers[1] {
		t.Errorf("upo get --ksef-number -o json: %+v", res)
	}
	if h := string(clitest.MustRead(t, htmlFile)); !strings.Contains(h, "<html") || !strings.Contains(h, numbers[1]) {
		t.Errorf("HTML UPO lacks the KSeF number")
	}

	// By KSeF number alone: the session is found.
	found := clitest.DecodeJSON[Result](t, c.MustRun("upo", "get", "--ksef-number", numbers[0], "--out", filepath.Join(dir, "found.xml"), "-o", "json"))
	if found.SessionReferenceNumber != ref || !found.Verified || len(found.Documents) != 1 || found.Documents[0] != numbers[0] {
		t.Errorf("upo get --ksef-number without --session: %+v", found)
	}
	if _, _, err := c.Run("upo", "get", "--out", filepath.Join(dir, "x.xml")); err == nil || !strings.Contains(err.Error(), "give --session") {
		t.Errorf("upo get without --session or --ksef-number: %v", err)
	}

	// The session's page, to PDF.
	pdfFile := filepath.Join(dir, "session.pdf")
	res = clitest.DecodeJSON[Result](t, c.MustRun("upo", "get", "--session", ref, "--out", pdfFile, "-o", "json"))
	if !res.Verified || res.Kind != "session page" || res.Page != "1 of 1" || len(res.Documents) != 2 || res.Format != "pdf" {
		t.Errorf("upo get (session page) -o json: %+v", res)
	}
	pdf := clitest.MustRead(t, pdfFile)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || res.Bytes != len(pdf) {
		t.Errorf("PDF: %d bytes, report %d", len(pdf), res.Bytes)
	}
	if pdftotext := testenv.RequireTool(t, "pdftotext"); pdftotext != "" {
		txt, err := testenv.Output(exec.Command(pdftotext, pdfFile, "-"))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range append(numbers, ref) {
			if !strings.Contains(strings.Join(strings.Fields(string(txt)), ""), n) {
				t.Errorf("pdftotext of the UPO lacks %s:\n%s", n, txt)
			}
		}
	}

	// A tampered UPO is refused, and not written, unless --no-verify.
	tp.on.Store(true)
	bad := filepath.Join(dir, "bad.xml")
	if _, _, err := c.Run("upo", "get", "--session", ref, "--invoice", refs[0], "--out", bad); err == nil ||
		!strings.Contains(err.Error(), "signature does not verify") {
		t.Errorf("tampered UPO: %v", err)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Error("a tampered UPO was written")
	}
	out = c.MustRun("upo", "get", "--session", ref, "--invoice", refs[0], "--out", bad, "--no-verify")
	if !strings.Contains(out, "Signature: NOT VERIFIED (--no-verify)") || !bytes.Contains(clitest.MustRead(t, bad), []byte("Ministerstw0")) {
		t.Errorf("--no-verify:\n%s", out)
	}
	tp.on.Store(false)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"upo", "get", "--session", ref, "--out", "x.txt"}, "unknown extension"},
		{[]string{"upo", "get", "--session", ref, "--invoice", refs[0], "--page", "x", "--out", "x.xml"}, "only one of"},
		{[]string{"upo", "get", "--out", "x.xml"}, "session"},
	} {
		if _, _, err := c.Run(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ksef %s: %v, want %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
