package authcmd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/simtest"
)

// newCLI runs the auth commands in-process with a private configuration
// directory.
func newCLI(t *testing.T) *clitest.CLI { return clitest.New(t, New) }

func TestLoginWithoutPermissionsExplains(t *testing.T) {
	sim, base := simtest.Start(t)
	nip, certFile, keyFile := clitest.WriteIdentity(t, sim)
	other := "5265877635"
	if nip == other {
		other = "9520000005"
	}
	c := newCLI(t)
	_, _, err := c.Run("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", other)
	if !errors.Is(err, ksef.ErrAuthNoPermissions) {
		t.Fatalf("login to a foreign context: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "(Nip "+nip+") has no permissions in context Nip "+other) {
		t.Errorf("error does not say whose certificate lacks permissions where: %s", msg)
	}
}

func TestLoginAgainToProductionNeedsEnv(t *testing.T) {
	c := newCLI(t)
	stored := `{"default": {"environment": "production", "baseUrl": "https://api.ksef.mf.gov.pl/v2"}}`
	if err := os.WriteFile(filepath.Join(c.Dir, "profiles.json"), []byte(stored), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.Run("auth", "login", "--cert", "cert.pem", "--key", "key.pem", "--nip", "5265877635")
	if err == nil || !strings.Contains(err.Error(), "--env production") {
		t.Errorf("login again to a production profile without --env: %v", err)
	}
}

func TestLoginPKCS12AndEncryptedPEM(t *testing.T) {
	_, base := simtest.Start(t)
	nip := string(ksef.RandomNIP(nil))
	creds, err := credentials.NewSealNIP(nip, &credentials.CertOptions{KeyType: credentials.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p12, err := creds.EncodePKCS12("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	p12File := filepath.Join(dir, "seal.p12")
	if err := os.WriteFile(p12File, p12, 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)

	// No password available: a clear error, no prompt outside a terminal.
	_, _, err = c.Run("auth", "login", "--base-url", base, "--p12", p12File)
	if err == nil || !strings.Contains(err.Error(), "password-protected") || !strings.Contains(err.Error(), envKeyPassword) {
		t.Errorf("p12 without password: %v", err)
	}
	c.Env[envKeyPassword] = "wrong"
	_, _, err = c.Run("auth", "login", "--base-url", base, "--p12", p12File)
	if err == nil || !strings.Contains(err.Error(), "wrong password") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("p12 with a wrong password: %v", err)
	}
	_, _, err = c.Run("auth", "login", "--base-url", base, "--p12", p12File, "--key-password", "bad")
	if err == nil || !strings.Contains(err.Error(), "wrong password") || !strings.Contains(err.Error(), "--key-password") {
		t.Errorf("p12 with a wrong --key-password: %v", err)
	}
	c.MustRun("auth", "login", "--base-url", base, "--p12", p12File, "--key-password", "s3cret", "--profile", "flag")
	// The context defaults to the certificate's NIP.
	c.Env[envKeyPassword] = "s3cret"
	v := clitest.DecodeJSON[View](t, c.MustRun("auth", "login", "--base-url", base, "--p12", p12File, "-o", "json"))
	if !v.LoggedIn || v.Context == nil || v.Context.Value != nip || !strings.Contains(v.AuthMethod, "PKCS#12") || v.AccessToken.Token != "" {
		t.Errorf("p12 login -o json: %+v", v)
	}

	// The password asked for on the terminal.
	delete(c.Env, envKeyPassword)
	asked := 0
	c.Prompt = func(label string) (string, error) {
		asked++
		if !strings.Contains(label, p12File) {
			t.Errorf("prompt %q does not name the file", label)
		}
		return "s3cret", nil
	}
	c.MustRun("auth", "login", "--base-url", base, "--p12", p12File, "--profile", "prompted")
	if asked != 1 {
		t.Errorf("prompted %d times, want 1", asked)
	}
	c.Prompt = func(string) (string, error) { return "nope", nil }
	if _, _, err := c.Run("auth", "login", "--base-url", base, "--p12", p12File); err == nil || !strings.Contains(err.Error(), "wrong password") {
		t.Errorf("wrong prompted password: %v", err)
	}
	c.Prompt = nil

	// Encrypted PKCS#8 key in PEM, fingerprint subject is refused (no
	// permissions for the fingerprint), subject login works.
	certPEM, keyPEM, err := creds.EncodePEM("pem-pass")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(certFile, certPEM, 0o644)
	os.WriteFile(keyFile, keyPEM, 0o600)
	c.Env[envKeyPassword] = "pem-pass"
	v = clitest.DecodeJSON[View](t, c.MustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip, "--show-tokens", "-o", "json"))
	if v.AccessToken == nil || v.AccessToken.Token == "" || v.AccessToken.Token != c.Profile("default").AccessToken {
		t.Errorf("--show-tokens -o json does not show the stored access token")
	}
	if _, _, err := c.Run("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip, "--subject", "fingerprint"); err == nil {
		t.Error("fingerprint login without permissions succeeded")
	}
	// --verify-chain: the self-signed certificate has no trusted chain (460).
	if _, _, err := c.Run("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip, "--verify-chain"); err == nil || !strings.Contains(err.Error(), "status 460") {
		t.Errorf("--verify-chain with a self-signed certificate: %v", err)
	}
}

func TestLoginKSeFToken(t *testing.T) {
	sim, base := simtest.Start(t)
	id, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	sdk, err := ksef.NewClient(ksef.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	a, err := sdk.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := a.Tokens.Generate(ctx, &ksef.GenerateTokenRequest{
		Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}, Description: "cli test token"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Tokens.WaitActive(ctx, gen.ReferenceNumber, nil); err != nil {
		t.Fatal(err)
	}
	token := gen.Token.Reveal()

	c := newCLI(t)
	if _, _, err := c.Run("auth", "login", "--base-url", base, "--token", token); err == nil || !strings.Contains(err.Error(), "missing context") {
		t.Errorf("token without context: %v", err)
	}
	c.Env[envToken] = token
	out := c.MustRun("auth", "login", "--base-url", base, "--nip", id.NIP, "-o", "json")
	v := clitest.DecodeJSON[View](t, out)
	if !v.LoggedIn || v.AuthMethod != "KSeF token" || v.ReferenceNumber == "" {
		t.Errorf("token login: %+v", v)
	}
	p := c.Profile("default")
	clitest.AssertNoTokens(t, out, token, p.AccessToken, p.RefreshToken)
	if strings.Contains(string(clitest.MustRead(t, filepath.Join(c.Dir, "profiles.json"))), token) {
		t.Error("the KSeF token itself was stored in the profile")
	}
	// With --token (and a wrong one: the login fails with a clear error).
	delete(c.Env, envToken)
	c.MustRun("auth", "login", "--base-url", base, "--nip", id.NIP, "--token", token, "--profile", "flag")
	_, _, err = c.Run("auth", "login", "--base-url", base, "--nip", id.NIP, "--token", "not-a-token")
	if err == nil || !strings.Contains(err.Error(), "login with KSeF token failed") || strings.Contains(err.Error(), "not-a-token") {
		t.Errorf("bad token: %v", err)
	}
	// From stdin.
	c.Stdin = token + "\n"
	c.MustRun("auth", "login", "--base-url", base, "--nip", id.NIP, "--token", "-", "--profile", "stdin")
	c.Stdin = ""
	if _, _, err := c.Run("auth", "login", "--base-url", base, "--nip", id.NIP, "--token", "-"); err == nil || !strings.Contains(err.Error(), "no KSeF token on stdin") {
		t.Errorf("--token - with empty stdin: %v", err)
	}
	if out := c.MustRun("auth", "sessions", "--profile", "flag"); !strings.Contains(out, "token") {
		t.Errorf("sessions of token login:\n%s", out)
	}
}

// TestLoginContextFlags logs in with each context flag: --internal-id with
// the owner's seal, --nip-vat-ue and --peppol-id once the seal's NIP has
// permissions there; the stored profile names the context.
func TestLoginContextFlags(t *testing.T) {
	sim, base := simtest.Start(t)
	nip, certFile, keyFile := clitest.WriteIdentity(t, sim)
	c := newCLI(t)
	for _, tc := range []struct {
		flag, value, typ string
	}{
		{"--internal-id", nip + "-00001", "InternalId"},
		{"--nip-vat-ue", nip + "-DE123456789", "NipVatUe"},
		{"--peppol-id", "PAB123456", "PeppolId"},
	} {
		if tc.typ != "InternalId" {
			if _, _, err := c.Run("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, tc.flag, tc.value, "--profile", tc.typ); err == nil || !strings.Contains(err.Error(), "status 415") {
				t.Errorf("%s without permissions: %v", tc.flag, err)
			}
			err := sim.GrantPermissions(ksef.ContextIdentifier{Type: ksef.AuthenticationContextIdentifierType(tc.typ), Value: tc.value},
				ksef.TestDataAuthorizedIdentifier{Type: ident.TypeNip, Value: nip}, ksef.TestDataPermInvoiceRead)
			if err != nil {
				t.Fatal(err)
			}
		}
		v := clitest.DecodeJSON[View](t, c.MustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, tc.flag, tc.value, "--profile", tc.typ, "-o", "json"))
		p := c.Profile(tc.typ)
		if !v.LoggedIn || v.Context.Type != tc.typ || v.Context.Value != tc.value || p.ContextType != tc.typ || p.ContextValue != tc.value {
			t.Errorf("%s: view %+v, profile %s:%s", tc.flag, v, p.ContextType, p.ContextValue)
		}
	}
}
