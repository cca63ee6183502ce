package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/contract"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/qr"
)

// cli runs ksef commands in-process with a private configuration directory.
type cli struct {
	t          *testing.T
	dir        string
	env        map[string]string
	prompt     func(string) (string, error)
	stdin      string
	simOptions []ksefsim.Option
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, dir: t.TempDir(), env: map[string]string{}}
}

// run executes the command line args and returns stdout, stderr and the
// error main would print.
func (c *cli) run(args ...string) (string, string, error) {
	return c.runContext(c.t.Context(), args...)
}

func (c *cli) runContext(ctx context.Context, args ...string) (string, string, error) {
	c.t.Helper()
	var out, errb bytes.Buffer
	return c.runTo(ctx, &out, &errb, args...)
}

func (c *cli) runTo(ctx context.Context, out, errb interface {
	Write([]byte) (int, error)
	String() string
}, args ...string) (string, string, error) {
	g := &globals{
		stdin:      strings.NewReader(c.stdin),
		stdout:     out,
		stderr:     errb,
		getenv:     func(k string) string { return c.env[k] },
		prompt:     c.prompt,
		simOptions: c.simOptions,
	}
	root := newRoot(g)
	root.SetArgs(append([]string{"--config-dir", c.dir}, args...))
	err := root.ExecuteContext(ctx)
	return out.String(), errb.String(), err
}

// mustRun runs args and fails the test on error.
func (c *cli) mustRun(args ...string) string {
	c.t.Helper()
	out, stderr, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("ksef %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, stderr)
	}
	return out
}

// profile reads a stored profile.
func (c *cli) profile(name string) *profile {
	c.t.Helper()
	p, err := (&profileStore{path: filepath.Join(c.dir, "profiles.json")}).get(name)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

// writeIdentity writes a simulator test identity as PEM files.
func writeIdentity(t *testing.T, sim *ksefsim.Simulator) (nip, certFile, keyFile string) {
	t.Helper()
	id, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := id.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, id.CertificatePEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return id.NIP, certFile, keyFile
}

func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("output is not the expected JSON: %v\n%s", err, s)
	}
	return v
}

func TestVersion(t *testing.T) {
	c := newCLI(t)
	if out := c.mustRun("version"); !strings.HasPrefix(out, "ksef ") || !strings.Contains(out, "2.8.1") {
		t.Errorf("version: %q", out)
	}
	v := decodeJSON[map[string]string](t, c.mustRun("version", "-o", "json"))
	if v["apiVersion"] != "2.8.1" || v["version"] == "" {
		t.Errorf("version -o json: %v", v)
	}
}

func TestLoginPEMStatusSessionsLogout(t *testing.T) {
	sim, base := simtest.Start(t)
	nip, certFile, keyFile := writeIdentity(t, sim)
	c := newCLI(t)

	out := c.mustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip)
	p := c.profile("default")
	if p.AccessToken == "" || p.RefreshToken == "" || p.BaseURL != base || p.ContextValue != nip || p.ContextType != "Nip" {
		t.Fatalf("stored profile: base %q context %s:%s, tokens present %v/%v", p.BaseURL, p.ContextType, p.ContextValue,
			p.AccessToken != "", p.RefreshToken != "")
	}
	if !strings.Contains(out, "Logged in") || !strings.Contains(out, p.AuthReference) {
		t.Errorf("login output:\n%s", out)
	}
	assertNoTokens(t, out, p.AccessToken, p.RefreshToken)
	fi, err := os.Stat(filepath.Join(c.dir, "profiles.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("profiles.json mode %v, want 0600", fi.Mode().Perm())
	}

	out = c.mustRun("auth", "status")
	assertNoTokens(t, out, p.AccessToken, p.RefreshToken)
	for _, want := range []string{"Profile:        default", base, "Nip " + nip, "logged in", "valid until"} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
	if out := c.mustRun("auth", "status", "--show-tokens"); !strings.Contains(out, p.AccessToken) || !strings.Contains(out, p.RefreshToken) {
		t.Errorf("status --show-tokens does not show the tokens")
	}
	st := decodeJSON[authView](t, c.mustRun("auth", "status", "-o", "json"))
	if !st.LoggedIn || st.AccessToken == nil || !st.AccessToken.Valid || st.AccessToken.Token != "" || st.Context.Value != nip ||
		st.Refreshed || st.ReferenceNumber != p.AuthReference {
		t.Errorf("status -o json: %+v", st)
	}

	// A second session of the same context, to see the current one flagged.
	c2 := newCLI(t)
	c2.mustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile)
	out = c.mustRun("auth", "sessions")
	if !strings.Contains(out, "CURRENT") || !strings.Contains(out, "2 session(s)") {
		t.Errorf("sessions output:\n%s", out)
	}
	for line := range strings.Lines(out) {
		if strings.Contains(line, p.AuthReference) != strings.HasPrefix(line, "*") {
			t.Errorf("current session flagged wrongly: %q", line)
		}
	}
	ss := decodeJSON[struct {
		Profile  string                        `json:"profile"`
		Sessions []ksef.AuthenticationListItem `json:"sessions"`
	}](t, c.mustRun("auth", "sessions", "-o", "json"))
	current := 0
	for _, s := range ss.Sessions {
		if s.IsCurrent {
			current++
			if s.ReferenceNumber != p.AuthReference {
				t.Errorf("current session %s, want %s", s.ReferenceNumber, p.AuthReference)
			}
		}
	}
	if len(ss.Sessions) != 2 || current != 1 {
		t.Errorf("sessions -o json: %d sessions, %d current", len(ss.Sessions), current)
	}

	c.mustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--profile", "second")
	c.mustRun("auth", "logout", "--profile", "second")
	pl := decodeJSON[struct {
		Profiles []profileSummary `json:"profiles"`
	}](t, c.mustRun("auth", "profiles", "-o", "json"))
	if len(pl.Profiles) != 2 || pl.Profiles[0].Name != "default" || !pl.Profiles[0].Current || !pl.Profiles[0].LoggedIn ||
		pl.Profiles[1].Name != "second" || pl.Profiles[1].Current || pl.Profiles[1].LoggedIn || pl.Profiles[1].BaseURL != base {
		t.Errorf("auth profiles -o json: %+v", pl.Profiles)
	}
	out = c.mustRun("auth", "profiles", "--profile", "second")
	assertNoTokens(t, out, p.AccessToken, p.RefreshToken)
	if !strings.Contains(out, "*        second") || !strings.Contains(out, "Nip "+nip) {
		t.Errorf("auth profiles:\n%s", out)
	}

	lo := decodeJSON[map[string]any](t, c.mustRun("auth", "logout", "-o", "json"))
	if lo["revoked"] != true || lo["tokensDeleted"] != true {
		t.Errorf("logout -o json: %v", lo)
	}
	if q := c.profile("default"); q.AccessToken != "" || q.RefreshToken != "" || q.BaseURL != base {
		t.Errorf("after logout the profile still holds tokens or lost its base URL")
	}
	// The session is revoked on the server: its refresh token no longer works.
	sdk, err := ksef.NewClient(ksef.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdk.Auth.Refresh(t.Context(), ksef.Secret(p.RefreshToken)); err == nil {
		t.Error("the refresh token still works after logout")
	}
	if out := c.mustRun("auth", "status"); !strings.Contains(out, "not logged in") {
		t.Errorf("status after logout:\n%s", out)
	}
	if _, _, err := c.run("auth", "sessions"); err == nil || !strings.Contains(err.Error(), "not logged in") ||
		!strings.Contains(err.Error(), "`ksef auth login --cert FILE") {
		t.Errorf("sessions after logout: %v", err)
	}
	if _, _, err := c.run("auth", "sessions", "--profile", "second"); err == nil ||
		!strings.Contains(err.Error(), "`ksef auth login --profile second --cert FILE") {
		t.Errorf("sessions of a logged-out named profile: %v", err)
	}
	if _, _, err := c.run("auth", "sessions", "--profile", "nosuch"); err == nil ||
		!strings.Contains(err.Error(), `no profile "nosuch"`) || !strings.Contains(err.Error(), "--profile nosuch --cert FILE") {
		t.Errorf("sessions of an unknown profile: %v", err)
	}
	if out := c.mustRun("auth", "logout"); !strings.Contains(out, "not logged in") {
		t.Errorf("second logout:\n%s", out)
	}
	// The other profile directory's session is untouched.
	if out := c2.mustRun("auth", "sessions"); !strings.Contains(out, "1 session(s)") {
		t.Errorf("sessions of the second login after the first logged out:\n%s", out)
	}
	// Logging in again without --base-url goes back to the server the
	// profile was logged in to (here the simulator), as the "not logged in"
	// hint suggests, not to the TEST environment.
	c.mustRun("auth", "login", "--cert", certFile, "--key", keyFile)
	if q := c.profile("default"); q.AccessToken == "" || q.BaseURL != base || q.ContextValue != nip {
		t.Errorf("login again without --base-url: base %q, context %s, token present %v", q.BaseURL, q.ContextValue, q.AccessToken != "")
	}
}

func TestLoginWithoutPermissionsExplains(t *testing.T) {
	sim, base := simtest.Start(t)
	nip, certFile, keyFile := writeIdentity(t, sim)
	other := "5265877635"
	if nip == other {
		other = "9520000005"
	}
	c := newCLI(t)
	_, _, err := c.run("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", other)
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
	if err := os.WriteFile(filepath.Join(c.dir, "profiles.json"), []byte(stored), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.run("auth", "login", "--cert", "cert.pem", "--key", "key.pem", "--nip", "5265877635")
	if err == nil || !strings.Contains(err.Error(), "--env production") {
		t.Errorf("login again to a production profile without --env: %v", err)
	}
}

func assertNoTokens(t *testing.T, out string, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if tok != "" && strings.Contains(out, tok) {
			t.Errorf("output contains a token:\n%s", out)
		}
	}
}

func TestStatusRefreshesExpiredAccessToken(t *testing.T) {
	sim, base := simtest.Start(t)
	nip, certFile, keyFile := writeIdentity(t, sim)
	c := newCLI(t)
	c.mustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip, "--profile", "p1")

	// Pretend the access token expired.
	store := &profileStore{path: filepath.Join(c.dir, "profiles.json")}
	p := c.profile("p1")
	old := p.AccessToken
	p.AccessValidUntil = time.Now().Add(-time.Minute)
	if err := store.put("p1", p); err != nil {
		t.Fatal(err)
	}
	st := decodeJSON[authView](t, c.mustRun("auth", "status", "--profile", "p1", "-o", "json"))
	if !st.Refreshed || !st.AccessToken.Valid || st.Profile != "p1" {
		t.Errorf("status after expiry: %+v", st)
	}
	q := c.profile("p1")
	if q.AccessToken == old || !q.AccessValidUntil.After(time.Now()) {
		t.Error("the refreshed access token was not stored")
	}
	// A valid token is not refreshed, unless asked.
	if st := decodeJSON[authView](t, c.mustRun("auth", "status", "--profile", "p1", "-o", "json")); st.Refreshed {
		t.Error("status refreshed a valid access token")
	}
	if st := decodeJSON[authView](t, c.mustRun("auth", "status", "--profile", "p1", "--refresh", "-o", "json")); !st.Refreshed {
		t.Error("status --refresh did not refresh")
	}
	// The stored token works: sessions lists this session.
	if out := c.mustRun("auth", "sessions", "--profile", "p1"); !strings.Contains(out, "1 session(s)") {
		t.Errorf("sessions:\n%s", out)
	}
	// The same base URL given explicitly is fine, another one is refused.
	c.mustRun("auth", "sessions", "--profile", "p1", "--base-url", base+"/")
	if _, _, err := c.run("auth", "status", "--profile", "p1", "--env", "demo"); err == nil || !strings.Contains(err.Error(), "log in again") {
		t.Errorf("status with another environment: %v", err)
	}

	// --verbose logs the exchanges to stderr, without tokens.
	_, stderr, err := c.run("auth", "status", "--profile", "p1", "--refresh", "--verbose")
	if err != nil {
		t.Fatal(err)
	}
	q = c.profile("p1")
	if !strings.Contains(stderr, "level=DEBUG") || !strings.Contains(stderr, "/auth/token/refresh") {
		t.Errorf("--verbose stderr:\n%s", stderr)
	}
	assertNoTokens(t, stderr, q.AccessToken, q.RefreshToken, old)

	// Revoked elsewhere: status cannot refresh and says to log in again;
	// logout still deletes the tokens.
	sdk, err := ksef.NewClient(ksef.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	a := sdk.Auth.Resume(ksef.TokenInfo{Token: ksef.Secret(q.AccessToken), ValidUntil: q.AccessValidUntil},
		ksef.TokenInfo{Token: ksef.Secret(q.RefreshToken), ValidUntil: q.RefreshValidUntil})
	if err := a.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.run("auth", "status", "--profile", "p1", "--refresh"); err == nil || !strings.Contains(err.Error(), "log in again") {
		t.Errorf("status of a revoked session: %v", err)
	}
	q.AccessValidUntil = time.Now().Add(-time.Minute)
	if err := store.put("p1", q); err != nil {
		t.Fatal(err)
	}
	lo := decodeJSON[map[string]any](t, c.mustRun("auth", "logout", "--profile", "p1", "-o", "json"))
	if lo["revoked"] != false || lo["tokensDeleted"] != true || lo["note"] == nil {
		t.Errorf("logout of a revoked session: %v", lo)
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
	_, _, err = c.run("auth", "login", "--base-url", base, "--p12", p12File)
	if err == nil || !strings.Contains(err.Error(), "password-protected") || !strings.Contains(err.Error(), envKeyPassword) {
		t.Errorf("p12 without password: %v", err)
	}
	c.env[envKeyPassword] = "wrong"
	_, _, err = c.run("auth", "login", "--base-url", base, "--p12", p12File)
	if err == nil || !strings.Contains(err.Error(), "wrong password") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("p12 with a wrong password: %v", err)
	}
	_, _, err = c.run("auth", "login", "--base-url", base, "--p12", p12File, "--key-password", "bad")
	if err == nil || !strings.Contains(err.Error(), "wrong password") || !strings.Contains(err.Error(), "--key-password") {
		t.Errorf("p12 with a wrong --key-password: %v", err)
	}
	c.mustRun("auth", "login", "--base-url", base, "--p12", p12File, "--key-password", "s3cret", "--profile", "flag")
	// The context defaults to the certificate's NIP.
	c.env[envKeyPassword] = "s3cret"
	v := decodeJSON[authView](t, c.mustRun("auth", "login", "--base-url", base, "--p12", p12File, "-o", "json"))
	if !v.LoggedIn || v.Context == nil || v.Context.Value != nip || !strings.Contains(v.AuthMethod, "PKCS#12") || v.AccessToken.Token != "" {
		t.Errorf("p12 login -o json: %+v", v)
	}

	// The password asked for on the terminal.
	delete(c.env, envKeyPassword)
	asked := 0
	c.prompt = func(label string) (string, error) {
		asked++
		if !strings.Contains(label, p12File) {
			t.Errorf("prompt %q does not name the file", label)
		}
		return "s3cret", nil
	}
	c.mustRun("auth", "login", "--base-url", base, "--p12", p12File, "--profile", "prompted")
	if asked != 1 {
		t.Errorf("prompted %d times, want 1", asked)
	}
	c.prompt = func(string) (string, error) { return "nope", nil }
	if _, _, err := c.run("auth", "login", "--base-url", base, "--p12", p12File); err == nil || !strings.Contains(err.Error(), "wrong password") {
		t.Errorf("wrong prompted password: %v", err)
	}
	c.prompt = nil

	// Encrypted PKCS#8 key in PEM, fingerprint subject is refused (no
	// permissions for the fingerprint), subject login works.
	certPEM, keyPEM, err := creds.EncodePEM("pem-pass")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(certFile, certPEM, 0o644)
	os.WriteFile(keyFile, keyPEM, 0o600)
	c.env[envKeyPassword] = "pem-pass"
	v = decodeJSON[authView](t, c.mustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip, "--show-tokens", "-o", "json"))
	if v.AccessToken == nil || v.AccessToken.Token == "" || v.AccessToken.Token != c.profile("default").AccessToken {
		t.Errorf("--show-tokens -o json does not show the stored access token")
	}
	if _, _, err := c.run("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip, "--subject", "fingerprint"); err == nil {
		t.Error("fingerprint login without permissions succeeded")
	}
	// --verify-chain: the self-signed certificate has no trusted chain (460).
	if _, _, err := c.run("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip, "--verify-chain"); err == nil || !strings.Contains(err.Error(), "status 460") {
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
	a, err := sdk.Auth.LoginWithCertificate(ctx, ksef.NIPContext(id.NIP), id.Certificate, id.Key, nil)
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
	if _, _, err := c.run("auth", "login", "--base-url", base, "--token", token); err == nil || !strings.Contains(err.Error(), "missing context") {
		t.Errorf("token without context: %v", err)
	}
	c.env[envToken] = token
	out := c.mustRun("auth", "login", "--base-url", base, "--nip", id.NIP, "-o", "json")
	v := decodeJSON[authView](t, out)
	if !v.LoggedIn || v.AuthMethod != "KSeF token" || v.ReferenceNumber == "" {
		t.Errorf("token login: %+v", v)
	}
	p := c.profile("default")
	assertNoTokens(t, out, token, p.AccessToken, p.RefreshToken)
	if strings.Contains(string(mustRead(t, filepath.Join(c.dir, "profiles.json"))), token) {
		t.Error("the KSeF token itself was stored in the profile")
	}
	// With --token (and a wrong one: the login fails with a clear error).
	delete(c.env, envToken)
	c.mustRun("auth", "login", "--base-url", base, "--nip", id.NIP, "--token", token, "--profile", "flag")
	_, _, err = c.run("auth", "login", "--base-url", base, "--nip", id.NIP, "--token", "not-a-token")
	if err == nil || !strings.Contains(err.Error(), "login with KSeF token failed") || strings.Contains(err.Error(), "not-a-token") {
		t.Errorf("bad token: %v", err)
	}
	// From stdin.
	c.stdin = token + "\n"
	c.mustRun("auth", "login", "--base-url", base, "--nip", id.NIP, "--token", "-", "--profile", "stdin")
	c.stdin = ""
	if _, _, err := c.run("auth", "login", "--base-url", base, "--nip", id.NIP, "--token", "-"); err == nil || !strings.Contains(err.Error(), "no KSeF token on stdin") {
		t.Errorf("--token - with empty stdin: %v", err)
	}
	if out := c.mustRun("auth", "sessions", "--profile", "flag"); !strings.Contains(out, "token") {
		t.Errorf("sessions of token login:\n%s", out)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate"), 0o600)
	missing := filepath.Join(dir, "missing.pem")
	nip := string(ksef.RandomNIP(nil))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"auth", "login"}, "nothing to log in with"},
		{[]string{"auth", "login", "--cert", missing, "--nip", nip}, "cannot read --cert file"},
		{[]string{"auth", "login", "--cert", garbage, "--key", missing, "--nip", nip}, "cannot read --key file"},
		{[]string{"auth", "login", "--cert", garbage, "--nip", nip}, "cannot load the certificate"},
		{[]string{"auth", "login", "--key", garbage, "--nip", nip}, "--key needs --cert"},
		{[]string{"auth", "login", "--cert", garbage, "--p12", garbage}, "not both"},
		{[]string{"auth", "login", "--cert", garbage, "--token", "x"}, "not both"},
		{[]string{"auth", "login", "--token", "x", "--nip", nip, "--peppol-id", "PPL123456"}, "only one of"},
		{[]string{"auth", "login", "--token", "x", "--nip", "1234567890"}, "invalid context"},
		{[]string{"auth", "login", "--cert", garbage, "--subject", "name"}, "unknown --subject"},
		{[]string{"auth", "login", "--token", "x", "--nip", nip, "--base-url", "ftp://x"}, "base URL"},
		{[]string{"auth", "status"}, `no profile "default"`},
		{[]string{"auth", "sessions", "--profile", "nobody"}, `no profile "nobody"`},
		{[]string{"auth", "logout"}, `no profile "default"`},
		{[]string{"version", "-o", "yaml"}, "unknown output format"},
		{[]string{"version", "--env", "staging"}, "unknown environment"},
		{[]string{"auth", "login", "extra"}, "unknown command"},
	} {
		c := newCLI(t)
		_, _, err := c.run(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ksef %s: error %v, want it to mention %q", strings.Join(tc.args, " "), err, tc.want)
			continue
		}
		if msg := errorMessage(err); strings.Count(msg, "ksef:") != 1 {
			t.Errorf("ksef %s: message %q repeats the prefix", strings.Join(tc.args, " "), msg)
		}
	}
	if got := errorMessage(ksef.ErrUnauthorized); got != "ksef: unauthorized" {
		t.Errorf("errorMessage doubles the prefix: %q", got)
	}
}

// TestMainExitCode runs the real main in a child process.
func TestMainExitCode(t *testing.T) {
	if os.Getenv("KSEF_CLI_TEST_MAIN") == "1" {
		os.Args = append([]string{"ksef"}, strings.Fields(os.Getenv("KSEF_CLI_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	cmd := testCommand(t, "--config-dir "+t.TempDir()+" auth status")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	if got := stderr.String(); !strings.HasPrefix(got, "ksef: no profile") {
		t.Errorf("stderr %q, want it to start with \"ksef: no profile\"", got)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// contractOption validates the traffic of simulators the CLI starts.
func contractOption(t *testing.T) ksefsim.Option {
	contract.Default(t)
	return ksefsim.WithMiddleware(func(h http.Handler) http.Handler { return contract.Middleware(t, h) })
}

func TestSimServe(t *testing.T) {
	c := newCLI(t)
	c.simOptions = []ksefsim.Option{contractOption(t)}
	idDir := filepath.Join(t.TempDir(), "identity")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		_, _, err := c.runTo(ctx, out, &syncBuffer{}, "sim", "serve", "--addr", "127.0.0.1:0", "--identity-dir", idDir,
			"--processing-delay", "300ms", "-o", "json")
		done <- err
	}()
	var info simInfo
	for {
		if err := json.Unmarshal([]byte(out.String()), &info); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("sim serve ended: %v\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/v2$`).MatchString(info.BaseURL) {
		t.Errorf("base URL %q", info.BaseURL)
	}
	if fi, err := os.Stat(info.Identity.KeyFile); err != nil || fi.Mode().Perm() != 0o600 || filepath.Dir(info.Identity.KeyFile) != idDir {
		t.Errorf("key file %s: %v %v", info.Identity.KeyFile, fi, err)
	}
	// The printed command logs in.
	args := strings.Fields(info.Login)
	if args[0] != "ksef" {
		t.Fatalf("login command %q", info.Login)
	}
	login := newCLI(t)
	jsonOut, stderr, err := login.run(append(args[1:], "-o", "json", "--verbose")...)
	if err != nil {
		t.Fatalf("login with the printed command: %v\n%s", err, stderr)
	}
	v := decodeJSON[authView](t, jsonOut)
	if !v.LoggedIn || v.Context.Value != info.Identity.NIP || v.BaseURL != info.BaseURL {
		t.Errorf("login with the printed command: %+v", v)
	}
	// --processing-delay: the authentication stayed in progress for a while.
	if n := strings.Count(stderr, "path=/auth/{referenceNumber} status=200"); n < 2 {
		t.Errorf("authentication status polled %d times, want several with --processing-delay:\n%s", n, stderr)
	}
	login.mustRun("auth", "logout")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("sim serve after cancel: %v", err)
	}

	// Text output names the URL and the command.
	ctx2, cancel2 := context.WithCancel(t.Context())
	text := &syncBuffer{}
	go func() {
		_, _, err := c.runTo(ctx2, text, &syncBuffer{}, "sim", "serve", "--addr", "127.0.0.1:0", "--processing-delay", "1ms", "--no-rate-limits")
		done <- err
	}()
	for !strings.Contains(text.String(), "Ctrl+C") {
		select {
		case err := <-done:
			t.Fatalf("sim serve ended: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel2()
	<-done
	for _, want := range []string{"/v2", "ksef auth login --base-url http://127.0.0.1:", "--nip "} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("sim serve output lacks %q:\n%s", want, text.String())
		}
	}
	// Without --identity-dir the identity lives in a temporary directory
	// that is removed when the simulator stops.
	if m := regexp.MustCompile(`private key: (\S+)`).FindStringSubmatch(text.String()); m == nil {
		t.Errorf("no private key path in:\n%s", text.String())
	} else if _, err := os.Stat(filepath.Dir(m[1])); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary identity directory %s left behind: %v", filepath.Dir(m[1]), err)
	}
	if _, _, err := c.run("sim", "serve", "--addr", "256.0.0.1:x"); err == nil || !strings.Contains(err.Error(), "cannot listen") {
		t.Errorf("bad --addr: %v", err)
	}
}

// secretRecorder collects every "token" value the simulator sends.
type secretRecorder struct {
	mu      sync.Mutex
	secrets map[string]bool
}

var tokenField = regexp.MustCompile(`"token"\s*:\s*"([^"]+)"`)

func (s *secretRecorder) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &teeWriter{ResponseWriter: w}
		next.ServeHTTP(tw, r)
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, m := range tokenField.FindAllStringSubmatch(tw.body.String(), -1) {
			s.secrets[m[1]] = true
		}
	})
}

type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

func TestDemo(t *testing.T) {
	rec := &secretRecorder{secrets: map[string]bool{}}
	c := newCLI(t)
	c.simOptions = []ksefsim.Option{contractOption(t), ksefsim.WithMiddleware(rec.middleware)}

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the default --out-dir
	outDir := filepath.Join(t.TempDir(), "new", "dir")
	out := c.mustRun("demo", "--out-dir", outDir)
	if n := len(demoSteps()); n != 12 || !strings.Contains(out, "Demo succeeded: 12 of 12 steps passed") {
		t.Errorf("demo output:\n%s", out)
	}
	for i, st := range demoSteps() {
		if want := strings.Join([]string{itoa(i + 1), ". ", st.name, ": ok"}, ""); !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	for _, want := range []string{"-AU-", "-EC-", "(current)", "valid until", "Active",
		"invoice number:  FV/DEMO/", "VAT 23% and 8%", "gross:", "KOD I:", qr.TestHost + "/invoice/",
		"output directory:  " + outDir, filepath.Join(outDir, "faktura.pdf") + " ("} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}

	jsonOut := c.mustRun("demo", "-o", "json")
	rep := decodeJSON[demoReport](t, jsonOut)
	if !rep.OK || len(rep.Steps) != len(demoSteps()) || !strings.HasSuffix(rep.BaseURL, "/v2") {
		t.Errorf("demo -o json: %+v", rep)
	}
	for _, s := range rep.Steps {
		if s.Status != "ok" || s.Error != "" {
			t.Errorf("step %d %s: %s %s", s.Step, s.Name, s.Status, s.Error)
		}
	}
	var raw struct {
		Steps []struct {
			Details map[string]string `json:"details"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &raw); err != nil || raw.Steps[2].Details["referenceNumber"] == "" {
		t.Errorf("step details in JSON: %v %v", err, raw.Steps)
	}
	checkDemoInvoice(t, jsonOut, tmp)

	// --verbose logs the SDK's and the simulator's work to stderr.
	verboseOut, verboseErr, err := c.run("demo", "--verbose")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(verboseErr, "level=DEBUG") || !strings.Contains(verboseErr, "/auth/token/refresh") {
		t.Errorf("demo --verbose stderr:\n%s", verboseErr)
	}

	// Three demos issued at least 3×(3 authentication + 3 access + 3
	// refresh tokens + 1 refreshed access token + 1 KSeF token); none was
	// printed or logged.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.secrets) < 30 {
		t.Fatalf("recorded only %d secrets from the simulator", len(rec.secrets))
	}
	jwts := 0
	for s := range rec.secrets {
		if strings.HasPrefix(s, "eyJ") {
			jwts++
		}
		for _, o := range []string{out, jsonOut, verboseOut, verboseErr} {
			if strings.Contains(o, s) {
				t.Errorf("demo output contains a token issued by the simulator")
			}
		}
	}
	if jwts < 27 {
		t.Errorf("recorded %d JWTs, want at least 18", jwts)
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		14*time.Minute + 59*time.Second + 400*time.Millisecond: "14m59s",
		47 * time.Hour:                                 "47h0m0s",
		7*24*time.Hour - time.Second:                   "7d0h0m",
		6*24*time.Hour + 23*time.Hour + 59*time.Minute: "6d23h59m",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%v) = %q, want %q", d, got, want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDemoFailingStep(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	c := newCLI(t)
	c.simOptions = []ksefsim.Option{ksefsim.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/auth/ksef-token") {
				http.Error(w, "injected", http.StatusInternalServerError)
				return
			}
			next.ServeHTTP(w, r)
		})
	})}
	out, _, err := c.run("demo", "-o", "json")
	if err == nil || !strings.Contains(err.Error(), "step 6") {
		t.Errorf("demo with a failing step: %v", err)
	}
	rep := decodeJSON[demoReport](t, out)
	if rep.OK || rep.Steps[5].Status != "failed" || rep.Steps[5].Error == "" || rep.Steps[6].Status != "skipped" || rep.Steps[4].Status != "ok" {
		t.Errorf("report: %+v", rep)
	}
	out, _, _ = c.run("demo")
	if !strings.Contains(out, "Demo FAILED: 5 of 12") || !strings.Contains(out, "7. Refresh the access token: skipped") ||
		!strings.Contains(out, "12. Render the invoice to PDF and HTML: skipped") {
		t.Errorf("text report:\n%s", out)
	}
	// The invoice steps were skipped: no output directory was created.
	if ents, err := os.ReadDir(tmp); err != nil || len(ents) != 0 {
		t.Errorf("failed demo left %v in the temporary directory (%v)", ents, err)
	}
}

func testCommand(t *testing.T, args string) *exec.Cmd {
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestMainExitCode$")
	cmd.Env = append(os.Environ(), "KSEF_CLI_TEST_MAIN=1", "KSEF_CLI_TEST_ARGS="+args)
	return cmd
}

// TestLoginContextFlags logs in with each context flag: --internal-id with
// the owner's seal, --nip-vat-ue and --peppol-id once the seal's NIP has
// permissions there; the stored profile names the context.
func TestLoginContextFlags(t *testing.T) {
	sim, base := simtest.Start(t)
	nip, certFile, keyFile := writeIdentity(t, sim)
	c := newCLI(t)
	for _, tc := range []struct {
		flag, value, typ string
	}{
		{"--internal-id", nip + "-00001", "InternalId"},
		{"--nip-vat-ue", nip + "-DE123456789", "NipVatUe"},
		{"--peppol-id", "PAB123456", "PeppolId"},
	} {
		if tc.typ != "InternalId" {
			if _, _, err := c.run("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, tc.flag, tc.value, "--profile", tc.typ); err == nil || !strings.Contains(err.Error(), "status 415") {
				t.Errorf("%s without permissions: %v", tc.flag, err)
			}
			err := sim.GrantPermissions(ksef.ContextIdentifier{Type: ksef.AuthenticationContextIdentifierType(tc.typ), Value: tc.value},
				ksef.TestDataAuthorizedIdentifier{Type: ident.TypeNip, Value: nip}, ksef.TestDataPermInvoiceRead)
			if err != nil {
				t.Fatal(err)
			}
		}
		v := decodeJSON[authView](t, c.mustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, tc.flag, tc.value, "--profile", tc.typ, "-o", "json"))
		p := c.profile(tc.typ)
		if !v.LoggedIn || v.Context.Type != tc.typ || v.Context.Value != tc.value || p.ContextType != tc.typ || p.ContextValue != tc.value {
			t.Errorf("%s: view %+v, profile %s:%s", tc.flag, v, p.ContextType, p.ContextValue)
		}
	}
}

func TestArgErrorsShowUsage(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		use  string
	}{
		{[]string{"qr"}, "ksef qr FILE"},
		{[]string{"number", "check"}, "ksef number check NUMBER..."},
		{[]string{"version", "extra"}, "ksef version"},
	} {
		_, _, err := c.run(tc.args...)
		if err == nil || !strings.Contains(err.Error(), "(usage: "+tc.use) {
			t.Errorf("ksef %v: %v", tc.args, err)
		}
	}
}
