package authcmd

import (
	"crypto/rand"
	"crypto/rsa"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/xades/xadestest"
)

// TestChallengeAndSignedLogin runs the external-signing flow of the CLI
// against the simulator through the contract harness: `auth challenge`
// writes the unsigned AuthTokenRequest, xmlsec1 signs it (xadestest), and
// `auth login --signed` logs in and stores the tokens in the profile.
func TestChallengeAndSignedLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("oracle test (xmlsec1); skipped under -short")
	}
	_, base := simtest.Start(t)
	nip := string(ksef.RandomNIP(nil))
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := credentials.NewSealNIP(nip, &credentials.CertOptions{Signer: key})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	unsignedFile, signedFile := filepath.Join(dir, "request.xml"), filepath.Join(dir, "request-signed.xml")
	c := newCLI(t)

	out := c.MustRun("auth", "challenge", "--base-url", base, "--nip", nip, "--out", unsignedFile)
	if !strings.Contains(out, unsignedFile) || !strings.Contains(out, "auth login --signed") {
		t.Errorf("challenge output: %s", out)
	}
	req, err := ksef.ParseAuthTokenRequest(clitest.MustRead(t, unsignedFile))
	if err != nil {
		t.Fatal(err)
	}
	if req.ContextIdentifier.Nip != nip || !strings.Contains(out, req.Challenge) {
		t.Fatalf("request %+v, output %s", req, out)
	}
	var form xadestest.Form
	for _, f := range xadestest.Forms() {
		if f.Name == "enveloped-csharp" {
			form = f
		}
	}
	signed := xadestest.Sign(t, form, xadestest.Request{Namespace: ksef.AuthTokenNamespace, Challenge: req.Challenge,
		ContextType: "Nip", ContextValue: nip, SubjectType: string(req.SubjectIdentifierType)},
		cred.Certificate, cred.Signer, time.Now().Add(-time.Minute))
	if err := os.WriteFile(signedFile, signed, 0o600); err != nil {
		t.Fatal(err)
	}

	// Context flags must agree with the document.
	if _, _, err := c.Run("auth", "login", "--base-url", base, "--signed", signedFile, "--nip", "5265877635"); err == nil || !strings.Contains(err.Error(), "is for context Nip "+nip) {
		t.Errorf("login --signed with another --nip: %v", err)
	}
	if _, _, err := c.Run("auth", "login", "--base-url", base, "--signed", signedFile, "--token", "x"); err == nil {
		t.Error("login --signed with --token accepted")
	}
	out = c.MustRun("auth", "login", "--base-url", base, "--signed", signedFile)
	if !strings.Contains(out, "Logged in") {
		t.Errorf("login output: %s", out)
	}
	p := c.Profile("default")
	if p == nil || p.AccessToken == "" || p.RefreshToken == "" || p.ContextValue != nip || p.BaseURL != base {
		t.Fatalf("stored profile %+v", p)
	}
	clitest.AssertNoTokens(t, out, p.AccessToken, p.RefreshToken)
	// The stored login works.
	c.MustRun("auth", "sessions")

	// A file that is not an AuthTokenRequest is refused before any request.
	bad := filepath.Join(dir, "bad.xml")
	if !strings.Contains(string(signed), "<Nip>"+nip) {
		t.Fatalf("no <Nip>%s in the signed document", nip)
	}
	if err := os.WriteFile(bad, []byte(strings.Replace(string(signed), "<Nip>"+nip, "<Nip>"+nip[:3]+"<evil/>"+nip[3:], 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Run("auth", "login", "--base-url", base, "--signed", bad); err == nil {
		t.Error("a document with an element inside Nip was accepted")
	}
}
