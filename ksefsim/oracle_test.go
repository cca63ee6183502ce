package ksefsim

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/testenv"
)

// TestKSeFTokenEncryptedByOpenSSL has openssl (an independent
// implementation) encrypt "token|timestampMs" with RSA-OAEP SHA-256 /
// MGF1-SHA-256 under the MF certificate the simulator publishes; the
// simulator must accept it.
func TestKSeFTokenEncryptedByOpenSSL(t *testing.T) {
	openssl := testenv.RequireTool(t, "openssl")
	h := newHarness(t)
	nip := randomNIP()
	access := h.login(nipCtx(nip), "certificateSubject", seal(t, nip)).AccessToken.Token.Reveal()
	g := h.newToken(access, ksef.TokenPermInvoiceRead)

	var list []ksef.PublicKeyCertificate
	h.ok(req{method: "GET", path: "/security/public-key-certificates"}, 200, &list)
	var pk ksef.PublicKeyCertificate
	for _, c := range list {
		if c.Usage[0] == ksef.KsefTokenEncryption {
			pk = c
		}
	}
	dir := t.TempDir()
	certFile := filepath.Join(dir, "mf.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pk.Certificate}), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParseCertificate(pk.Certificate); err != nil {
		t.Fatal(err)
	}
	ch := h.challenge()
	plainFile := filepath.Join(dir, "plain")
	if err := os.WriteFile(plainFile, []byte(g.Token.Reveal()+"|"+strconv.FormatInt(ch.TimestampMs, 10)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(openssl, "pkeyutl", "-encrypt", "-certin", "-inkey", certFile, "-in", plainFile,
		"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256").Output()
	if err != nil {
		t.Fatalf("openssl: %v", err)
	}
	var init ksef.AuthenticationInitResponse
	h.ok(req{method: "POST", path: "/auth/ksef-token", body: ksef.InitTokenAuthenticationRequest{
		Challenge:         ch.Challenge,
		ContextIdentifier: ksef.AuthenticationContextIdentifier{Type: ksef.ContextNip, Value: nip},
		EncryptedToken:    base64.StdEncoding.EncodeToString(out),
		PublicKeyID:       pk.PublicKeyID,
	}}, 202, &init)
	st := h.status(init)
	if st.Status.Code != 200 {
		b, _ := json.Marshal(st.Status)
		t.Fatalf("status %s", b)
	}
	// OAEP with SHA-1 (a common client mistake) ends with 450.
	ch = h.challenge()
	if err := os.WriteFile(plainFile, []byte(g.Token.Reveal()+"|"+strconv.FormatInt(ch.TimestampMs, 10)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(openssl, "pkeyutl", "-encrypt", "-certin", "-inkey", certFile, "-in", plainFile,
		"-pkeyopt", "rsa_padding_mode:oaep").Output()
	if err != nil {
		t.Fatalf("openssl: %v", err)
	}
	h.ok(req{method: "POST", path: "/auth/ksef-token", body: ksef.InitTokenAuthenticationRequest{
		Challenge:         ch.Challenge,
		ContextIdentifier: ksef.AuthenticationContextIdentifier{Type: ksef.ContextNip, Value: nip},
		EncryptedToken:    base64.StdEncoding.EncodeToString(out),
	}}, 202, &init)
	if st := h.status(init); st.Status.Code != 450 || st.Status.Details[0] != detailTokenEncryption {
		t.Errorf("SHA-1 OAEP: %+v", st.Status)
	}
}
