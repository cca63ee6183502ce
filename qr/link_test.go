package qr

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/testenv"
)

// Examples from the KSeF documentation (kody-qr.md).
const (
	docInvoiceLink = "https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"
	docHash        = "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"
	docSignedData  = "qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"
	docSignature   = "mSkm_XmM9fq7PgAJwiL32L9ujhyguOEV48cDB0ncemD2r9TMGa3lr0iRoFk588agCi8QPsOuscUY1rZ7ff76STbGquO-gZtQys5_fHdf2HUfDqPqVTnUS6HknBu0zLkyf9ygoW7WbH06Ty_8BgQTlOmJFzNWSt9WZa7tAGuAE9JOooNps-KG2PYkkIP4q4jPMp3FKypAygHVnXtS0RDGgOxhhM7LWtFP7D-dWINbh5yXD8Lr-JVbeOpyQjHa6WmMYavCDQJ3X_Z-iS01LZu2s1B3xuOykl1h0sLObCdADrbxOONsXrvQa61Xt_rxyprVraj2Uf9pANQgR4-12HEcMw"
	docCertLink    = "https://" + docSignedData + "/" + docSignature
)

func TestDocInvoiceLink(t *testing.T) {
	t.Parallel()
	l, err := ParseInvoiceLink(docInvoiceLink)
	if err != nil {
		t.Fatal(err)
	}
	if l.Host != TestHost || l.SellerNIP != "1111111111" || l.Hash != docHash ||
		!l.IssueDate.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("parsed %+v", l)
	}
	if l.String() != docInvoiceLink {
		t.Errorf("String = %s", l.String())
	}
	// Built from its parts, the link is the documented one.
	built := &InvoiceLink{Host: TestHost, SellerNIP: "1111111111", IssueDate: time.Date(2026, 2, 1, 15, 4, 0, 0, time.UTC), Hash: docHash}
	if built.String() != docInvoiceLink {
		t.Errorf("built %s", built)
	}
	if _, err := ParseCertificateLink(docInvoiceLink); !errors.Is(err, ErrMalformedLink) {
		t.Errorf("KOD I accepted as KOD II: %v", err)
	}
}

func TestDocCertificateLink(t *testing.T) {
	t.Parallel()
	l, err := ParseCertificateLink(docCertLink)
	if err != nil {
		t.Fatal(err)
	}
	if l.Host != TestHost || l.ContextType != ident.TypeNip || l.ContextValue != "1111111111" ||
		l.SellerNIP != "1111111111" || l.CertSerial != "01F20A5D352AE590" || l.Hash != docHash {
		t.Errorf("parsed %+v", l)
	}
	if l.SignedData() != docSignedData {
		t.Errorf("SignedData = %s", l.SignedData())
	}
	// "example RSA signature 342 chars = 256 bytes" (RSA 2048).
	if len(docSignature) != 342 || len(l.Signature) != 256 {
		t.Errorf("signature: %d chars, %d bytes", len(docSignature), len(l.Signature))
	}
	if l.String() != docCertLink {
		t.Errorf("String = %s", l.String())
	}
	if _, err := ParseInvoiceLink(docCertLink); !errors.Is(err, ErrMalformedLink) {
		t.Errorf("KOD II accepted as KOD I: %v", err)
	}
}

// TestInvoiceHashOpenSSL compares InvoiceHash with openssl.
func TestInvoiceHashOpenSSL(t *testing.T) {
	t.Parallel()
	openssl := testenv.RequireTool(t, "openssl")
	invoice := []byte("<Faktura>zażółć gęślą jaźń</Faktura>\n")
	cmd := exec.Command(openssl, "dgst", "-sha256", "-binary")
	cmd.Stdin = strings.NewReader(string(invoice))
	raw, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(openssl, "base64", "-A")
	cmd.Stdin = strings.NewReader(string(raw))
	std, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(strings.TrimSpace(string(std))), "=")
	if got := InvoiceHash(invoice); got != want {
		t.Errorf("InvoiceHash = %s, openssl %s", got, want)
	}
	if got, err := HashFromBase64(strings.TrimSpace(string(std))); err != nil || got != want {
		t.Errorf("HashFromBase64 = %s, %v", got, err)
	}
}

func TestNewInvoiceLink(t *testing.T) {
	t.Parallel()
	invoice := []byte("<Faktura/>")
	l, err := NewInvoiceLink(ProductionHost+"/", "5265877635", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), invoice)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://qr.ksef.mf.gov.pl/invoice/5265877635/31-12-2026/" + InvoiceHash(invoice)
	if l.String() != want {
		t.Errorf("link %s, want %s", l, want)
	}
	if err := l.Verify(invoice); err != nil {
		t.Error(err)
	}
	if err := l.Verify([]byte("<Faktura />")); !errors.Is(err, ErrHashMismatch) {
		t.Errorf("Verify of another file: %v", err)
	}
	for _, c := range []struct{ host, nip string }{
		{"http://qr.ksef.mf.gov.pl", "5265877635"},
		{"qr.ksef.mf.gov.pl", "5265877635"},
		{"https://qr.ksef.mf.gov.pl/x", "5265877635"},
		{DemoHost, "526587763"},
		{DemoHost, "0265877635"},
		{DemoHost, "5005877635"},
	} {
		if _, err := NewInvoiceLink(c.host, c.nip, time.Now(), invoice); !errors.Is(err, ErrMalformedLink) {
			t.Errorf("NewInvoiceLink(%q, %q): %v", c.host, c.nip, err)
		}
	}
}

func TestParseLinkRejects(t *testing.T) {
	t.Parallel()
	ok := "https://qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/" + docHash + "/AAAA"
	if _, err := ParseLink(ok); err != nil {
		t.Fatalf("baseline link rejected: %v", err)
	}
	for _, s := range []string{
		"",
		"http://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/" + docHash,
		"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/" + docHash + "/",
		"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/" + docHash + "?a=b",
		"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/2026-02-01/" + docHash,
		"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/30-02-2026/" + docHash,
		"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/1-02-2026/" + docHash,
		"https://qr-test.ksef.mf.gov.pl/invoice/111111111/01-02-2026/" + docHash,
		"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/" + docHash[:42],
		"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/" + docHash + "=",
		"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/UtQp9Gpc51y+u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
		"https://user@qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/" + docHash,
		"https:///invoice/1111111111/01-02-2026/" + docHash,
		"https://qr-test.ksef.mf.gov.pl/faktura/1111111111/01-02-2026/" + docHash,
		strings.Replace(ok, "/Nip/", "/NIP/", 1),
		strings.Replace(ok, "/Nip/1111111111/", "/Nip/111111111/", 1),
		strings.Replace(ok, "/Nip/1111111111/", "/InternalId/1111111111/", 1),
		strings.Replace(ok, "/Nip/1111111111/", "/PeppolId/PPL12345/", 1),
		strings.Replace(ok, "/Nip/1111111111/", "/NipVatUe/1111111111-de123/", 1),
		strings.Replace(ok, "01F20A5D352AE590", "01F20A5D352AE59G", 1),
		strings.Replace(ok, "/AAAA", "/", 1),
		strings.Replace(ok, "/AAAA", "/AAA=", 1),
		strings.Replace(ok, "/AAAA", "/AA+A", 1),
	} {
		if l, err := ParseLink(s); !errors.Is(err, ErrMalformedLink) {
			t.Errorf("ParseLink(%q) = %v, %v; want ErrMalformedLink", s, l, err)
		}
	}
	for _, s := range []string{
		strings.Replace(ok, "/Nip/1111111111/", "/InternalId/1111111111-12345/", 1),
		strings.Replace(ok, "/Nip/1111111111/", "/NipVatUe/1111111111-DE123456789/", 1),
		strings.Replace(ok, "/Nip/1111111111/", "/NipVatUe/1111111111-IE1+12345B/", 1),
		strings.Replace(ok, "/Nip/1111111111/", "/PeppolId/PPL123456/", 1),
		"https://127.0.0.1:8443/invoice/1111111111/01-02-2026/" + docHash,
	} {
		l, err := ParseLink(s)
		if err != nil {
			t.Errorf("ParseLink(%q): %v", s, err)
			continue
		}
		if l.String() != s {
			t.Errorf("round trip %q -> %q", s, l)
		}
	}
}

func FuzzParseLink(f *testing.F) {
	f.Add(docInvoiceLink)
	f.Add(docCertLink)
	f.Add("https://qr.ksef.mf.gov.pl/certificate/PeppolId/PPL123456/1111111111/0A/" + docHash + "/AAAA")
	f.Add("https://x/")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLink(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedLink) {
				t.Fatalf("error %v is not ErrMalformedLink", err)
			}
			return
		}
		if l.String() != s {
			t.Fatalf("round trip %q -> %q", s, l.String())
		}
		if cl, ok := l.(*CertificateLink); ok && !strings.HasPrefix(s, "https://"+cl.SignedData()+"/") {
			t.Fatalf("signed data %q is not a prefix of %q", cl.SignedData(), s)
		}
	})
}
