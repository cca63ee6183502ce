package authcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/cmd/ksef/internal/profile"
	"github.com/ksef2/ksef/internal/simtest"
)

func TestLoginPEMStatusSessionsLogout(t *testing.T) {
	sim, base := simtest.Start(t)
	nip, certFile, keyFile := clitest.WriteIdentity(t, sim)
	c := newCLI(t)

	out := c.MustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip)
	p := c.Profile("default")
	if p.AccessToken == "" || p.RefreshToken == "" || p.BaseURL != base || p.ContextValue != nip || p.ContextType != "Nip" {
		t.Fatalf("stored profile: base %q context %s:%s, tokens present %v/%v", p.BaseURL, p.ContextType, p.ContextValue,
			p.AccessToken != "", p.RefreshToken != "")
	}
	if !strings.Contains(out, "Logged in") || !strings.Contains(out, p.AuthReference) {
		t.Errorf("login output:\n%s", out)
	}
	clitest.AssertNoTokens(t, out, p.AccessToken, p.RefreshToken)
	fi, err := os.Stat(filepath.Join(c.Dir, "profiles.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("profiles.json mode %v, want 0600", fi.Mode().Perm())
	}

	out = c.MustRun("auth", "status")
	clitest.AssertNoTokens(t, out, p.AccessToken, p.RefreshToken)
	for _, want := range []string{"Profile:        default", base, "Nip " + nip, "logged in", "valid until"} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
	if out := c.MustRun("auth", "status", "--show-tokens"); !strings.Contains(out, p.AccessToken) || !strings.Contains(out, p.RefreshToken) {
		t.Errorf("status --show-tokens does not show the tokens")
	}
	st := clitest.DecodeJSON[View](t, c.MustRun("auth", "status", "-o", "json"))
	if !st.LoggedIn || st.AccessToken == nil || !st.AccessToken.Valid || st.AccessToken.Token != "" || st.Context.Value != nip ||
		st.Refreshed || st.ReferenceNumber != p.AuthReference {
		t.Errorf("status -o json: %+v", st)
	}

	// A second session of the same context, to see the current one flagged.
	c2 := newCLI(t)
	c2.MustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile)
	out = c.MustRun("auth", "sessions")
	if !strings.Contains(out, "CURRENT") || !strings.Contains(out, "2 session(s)") {
		t.Errorf("sessions output:\n%s", out)
	}
	for line := range strings.Lines(out) {
		if strings.Contains(line, p.AuthReference) != strings.HasPrefix(line, "*") {
			t.Errorf("current session flagged wrongly: %q", line)
		}
	}
	ss := clitest.DecodeJSON[struct {
		Profile  string                        `json:"profile"`
		Sessions []ksef.AuthenticationListItem `json:"sessions"`
	}](t, c.MustRun("auth", "sessions", "-o", "json"))
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

	c.MustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--profile", "second")
	c.MustRun("auth", "logout", "--profile", "second")
	pl := clitest.DecodeJSON[struct {
		Profiles []profileSummary `json:"profiles"`
	}](t, c.MustRun("auth", "profiles", "-o", "json"))
	if len(pl.Profiles) != 2 || pl.Profiles[0].Name != "default" || !pl.Profiles[0].Current || !pl.Profiles[0].LoggedIn ||
		pl.Profiles[1].Name != "second" || pl.Profiles[1].Current || pl.Profiles[1].LoggedIn || pl.Profiles[1].BaseURL != base {
		t.Errorf("auth profiles -o json: %+v", pl.Profiles)
	}
	out = c.MustRun("auth", "profiles", "--profile", "second")
	clitest.AssertNoTokens(t, out, p.AccessToken, p.RefreshToken)
	if !strings.Contains(out, "*        second") || !strings.Contains(out, "Nip "+nip) {
		t.Errorf("auth profiles:\n%s", out)
	}

	lo := clitest.DecodeJSON[map[string]any](t, c.MustRun("auth", "logout", "-o", "json"))
	if lo["revoked"] != true || lo["tokensDeleted"] != true {
		t.Errorf("logout -o json: %v", lo)
	}
	if q := c.Profile("default"); q.AccessToken != "" || q.RefreshToken != "" || q.BaseURL != base {
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
	if out, _, err := c.Run("auth", "status"); err == nil || !strings.Contains(out, "not logged in") || !strings.Contains(err.Error(), "holds no tokens") {
		t.Errorf("status after logout: %v\n%s", err, out)
	}
	if _, _, err := c.Run("auth", "sessions"); err == nil || !strings.Contains(err.Error(), "not logged in") ||
		!strings.Contains(err.Error(), "`ksef auth login --cert FILE") {
		t.Errorf("sessions after logout: %v", err)
	}
	if _, _, err := c.Run("auth", "sessions", "--profile", "second"); err == nil ||
		!strings.Contains(err.Error(), "`ksef auth login --profile second --cert FILE") {
		t.Errorf("sessions of a logged-out named profile: %v", err)
	}
	if _, _, err := c.Run("auth", "sessions", "--profile", "nosuch"); err == nil ||
		!strings.Contains(err.Error(), `no profile "nosuch"`) || !strings.Contains(err.Error(), "--profile nosuch --cert FILE") {
		t.Errorf("sessions of an unknown profile: %v", err)
	}
	if out := c.MustRun("auth", "logout"); !strings.Contains(out, "not logged in") {
		t.Errorf("second logout:\n%s", out)
	}
	// The other profile directory's session is untouched.
	if out := c2.MustRun("auth", "sessions"); !strings.Contains(out, "1 session(s)") {
		t.Errorf("sessions of the second login after the first logged out:\n%s", out)
	}
	// Logging in again without --base-url goes back to the server the
	// profile was logged in to (here the simulator), as the "not logged in"
	// hint suggests, not to the TEST environment.
	c.MustRun("auth", "login", "--cert", certFile, "--key", keyFile)
	if q := c.Profile("default"); q.AccessToken == "" || q.BaseURL != base || q.ContextValue != nip {
		t.Errorf("login again without --base-url: base %q, context %s, token present %v", q.BaseURL, q.ContextValue, q.AccessToken != "")
	}
}

func TestStatusRefreshesExpiredAccessToken(t *testing.T) {
	sim, base := simtest.Start(t)
	nip, certFile, keyFile := clitest.WriteIdentity(t, sim)
	c := newCLI(t)
	c.MustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip, "--profile", "p1")

	// Pretend the access token expired.
	store := c.Store()
	p := c.Profile("p1")
	old := p.AccessToken
	p.AccessValidUntil = time.Now().Add(-time.Minute)
	if err := store.Put("p1", p); err != nil {
		t.Fatal(err)
	}
	st := clitest.DecodeJSON[View](t, c.MustRun("auth", "status", "--profile", "p1", "-o", "json"))
	if !st.Refreshed || !st.AccessToken.Valid || st.Profile != "p1" {
		t.Errorf("status after expiry: %+v", st)
	}
	q := c.Profile("p1")
	if q.AccessToken == old || !q.AccessValidUntil.After(time.Now()) {
		t.Error("the refreshed access token was not stored")
	}
	// A valid token is not refreshed, unless asked.
	if st := clitest.DecodeJSON[View](t, c.MustRun("auth", "status", "--profile", "p1", "-o", "json")); st.Refreshed {
		t.Error("status refreshed a valid access token")
	}
	if st := clitest.DecodeJSON[View](t, c.MustRun("auth", "status", "--profile", "p1", "--refresh", "-o", "json")); !st.Refreshed {
		t.Error("status --refresh did not refresh")
	}
	// The stored token works: sessions lists this session.
	if out := c.MustRun("auth", "sessions", "--profile", "p1"); !strings.Contains(out, "1 session(s)") {
		t.Errorf("sessions:\n%s", out)
	}
	// The same base URL given explicitly is fine, another one is refused.
	c.MustRun("auth", "sessions", "--profile", "p1", "--base-url", base+"/")
	if _, _, err := c.Run("auth", "status", "--profile", "p1", "--env", "demo"); err == nil || !strings.Contains(err.Error(), "log in again") {
		t.Errorf("status with another environment: %v", err)
	}

	// --verbose logs the exchanges to stderr, without tokens.
	_, stderr, err := c.Run("auth", "status", "--profile", "p1", "--refresh", "--verbose")
	if err != nil {
		t.Fatal(err)
	}
	q = c.Profile("p1")
	if !strings.Contains(stderr, "level=DEBUG") || !strings.Contains(stderr, "/auth/token/refresh") {
		t.Errorf("--verbose stderr:\n%s", stderr)
	}
	clitest.AssertNoTokens(t, stderr, q.AccessToken, q.RefreshToken, old)

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
	if _, _, err := c.Run("auth", "status", "--profile", "p1", "--refresh"); err == nil || !strings.Contains(err.Error(), "log in again") {
		t.Errorf("status of a revoked session: %v", err)
	}
	q.AccessValidUntil = time.Now().Add(-time.Minute)
	if err := store.Put("p1", q); err != nil {
		t.Fatal(err)
	}
	lo := clitest.DecodeJSON[map[string]any](t, c.MustRun("auth", "logout", "--profile", "p1", "-o", "json"))
	if lo["revoked"] != false || lo["tokensDeleted"] != true || lo["note"] == nil {
		t.Errorf("logout of a revoked session: %v", lo)
	}
}

// TestStatusAsksServer: auth status exits non-zero unless KSeF accepts the
// stored tokens (garbage, expired, revoked); --local reads only the
// profile, and fails only for absent or expired tokens.
func TestStatusAsksServer(t *testing.T) {
	sim, base := simtest.Start(t)
	nip, certFile, keyFile := clitest.WriteIdentity(t, sim)
	c := newCLI(t)
	c.MustRun("auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip)
	good := c.Profile("default")
	store := c.Store()
	put := func(name string, edit func(p *profile.Profile)) {
		t.Helper()
		q := *good
		edit(&q)
		if err := store.Put(name, &q); err != nil {
			t.Fatal(err)
		}
	}
	status := func(args ...string) (View, error) {
		t.Helper()
		out, _, err := c.Run(append([]string{"auth", "status", "-o", "json"}, args...)...)
		return clitest.DecodeJSON[View](t, out), err
	}

	// Valid: checked with the server, exit 0.
	if v, err := status(); err != nil || !v.LoggedIn || !v.Checked {
		t.Errorf("valid tokens: %+v, %v", v, err)
	}
	if out := c.MustRun("auth", "status"); !strings.Contains(out, "logged in (checked with KSeF)") {
		t.Errorf("status text:\n%s", out)
	}
	// Garbage tokens that look valid locally: refused by the server.
	put("garbage", func(p *profile.Profile) { p.AccessToken, p.RefreshToken = "garbage", "garbage" })
	if v, err := status("--profile", "garbage"); err == nil || v.LoggedIn || !strings.Contains(err.Error(), "KSeF says its session has expired or was revoked") {
		t.Errorf("garbage tokens: %+v, %v", v, err)
	}
	if v, err := status("--profile", "garbage", "--local"); err != nil || !v.LoggedIn || v.Checked || !strings.Contains(v.Note, "--local") {
		t.Errorf("garbage tokens --local: %+v, %v", v, err)
	}
	// Expired refresh token: not logged in, locally or not, without asking.
	put("expired", func(p *profile.Profile) {
		p.AccessValidUntil, p.RefreshValidUntil = time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)
	})
	for _, local := range []bool{false, true} {
		args := []string{"--profile", "expired"}
		if local {
			args = append(args, "--local")
		}
		if v, err := status(args...); err == nil || v.LoggedIn || !strings.Contains(err.Error(), "refresh token expired") {
			t.Errorf("expired tokens (local %v): %+v, %v", local, v, err)
		}
	}
	// Revoked on the server: the access token is refused, and so is the
	// refresh.
	put("revoked", func(p *profile.Profile) {})
	c.MustRun("auth", "logout", "--profile", "default")
	if v, err := status("--profile", "revoked"); err == nil || v.LoggedIn || !strings.Contains(err.Error(), "log in again") ||
		!strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked session: %+v, %v", v, err)
	}
	// Absent tokens (after logout).
	if _, err := status("--local"); err == nil || !strings.Contains(err.Error(), "holds no tokens") {
		t.Errorf("no tokens --local: %v", err)
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
