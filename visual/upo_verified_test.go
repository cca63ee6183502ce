package visual_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/upo"
	"github.com/ksef2/ksef/visual"
	"github.com/ksef2/ksef/xades"
)

// TestVerifiedUPORenders signs an official UPO sample with a test key,
// verifies it with upo.Verify and renders the verified UPO to HTML and PDF.
func TestVerifiedUPORenders(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.SpecFile(t, "samples/upo/v4-3"), "*", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample UPOs: %v", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "UPO signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	signed, err := xades.Sign(data, cert, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := upo.Verify(signed)
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := visual.RenderUPOHTML(&html, u); err != nil {
		t.Fatal(err)
	}
	for _, d := range u.Documents {
		if !strings.Contains(html.String(), d.KSeFNumber) {
			t.Errorf("HTML lacks KSeF number %s", d.KSeFNumber)
		}
	}
	pdf, err := visual.UPOPDF(u)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	if !strings.Contains(text, u.SessionReferenceNumber) {
		t.Errorf("PDF text lacks the session reference %s", u.SessionReferenceNumber)
	}
}
