package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/profile"
	"github.com/ksef2/ksef/internal/simtest"
)

// loggedInProfile logs in to a new simulator with the SDK and stores the
// tokens as profile "p" in a new configuration directory, with the access
// token already expired.
func loggedInProfile(t *testing.T) (dir, base string, p *profile.Profile) {
	t.Helper()
	sim, base := simtest.Start(t)
	id, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	c, err := ksef.NewClient(ksef.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	access, refresh := a.TokenManager().Tokens()
	p = &profile.Profile{Environment: "test", BaseURL: base,
		AccessToken: access.Token.Reveal(), AccessValidUntil: time.Now().Add(-time.Minute),
		RefreshToken: refresh.Token.Reveal(), RefreshValidUntil: refresh.ValidUntil}
	dir = t.TempDir()
	if err := (&profile.Store{Path: filepath.Join(dir, profile.FileName)}).Put("p", p); err != nil {
		t.Fatal(err)
	}
	return dir, base, p
}

// TestSessionStoresRenewedToken: the lazily built client of the current
// profile is built once, and the access token it renews is in the profile
// file as soon as it is renewed.
func TestSessionStoresRenewedToken(t *testing.T) {
	dir, _, old := loggedInProfile(t)
	f := &Factory{Flags: GlobalFlags{Profile: "p", ConfigDir: dir, Env: "test"}}
	s, err := f.Session()
	if err != nil {
		t.Fatal(err)
	}
	if again, err := f.Session(); err != nil || again != s {
		t.Errorf("second Session: %p %v, want the first %p", again, err, s)
	}
	if r, err := s.Refreshed(); r || err != nil {
		t.Errorf("refreshed before use: %v %v", r, err)
	}
	for _, err := range s.Client.AuthSessions.ListAll(t.Context(), nil) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if r, err := s.Refreshed(); !r || err != nil {
		t.Errorf("after a call with an expired access token: refreshed %v, %v", r, err)
	}
	stored, err := (&profile.Store{Path: filepath.Join(dir, profile.FileName)}).Get("p")
	if err != nil {
		t.Fatal(err)
	}
	if stored.AccessToken == old.AccessToken || !stored.AccessValidUntil.After(time.Now()) || stored.RefreshToken != old.RefreshToken {
		t.Error("the renewed access token is not in the profile file")
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestSessionCloseReportsUnstoredToken: when the renewed token cannot be
// written, Close says so (the command would otherwise succeed silently).
func TestSessionCloseReportsUnstoredToken(t *testing.T) {
	dir, _, _ := loggedInProfile(t)
	f := &Factory{Flags: GlobalFlags{Profile: "p", ConfigDir: dir, Env: "test"}}
	s, err := f.Session()
	if err != nil {
		t.Fatal(err)
	}
	// A directory in place of the profiles file: unreadable and
	// unwritable, even for root.
	path := filepath.Join(dir, profile.FileName)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client.TokenManager().AccessToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err == nil || !strings.Contains(err.Error(), "cannot be stored") {
		t.Errorf("Close: %v", err)
	}
}

func TestSessionRefusals(t *testing.T) {
	dir, base, p := loggedInProfile(t)
	store := &profile.Store{Path: filepath.Join(dir, profile.FileName)}
	p.RefreshToken = ""
	if err := store.Put("out", p); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags GlobalFlags
		want  string
	}{
		{GlobalFlags{Profile: "none"}, `no profile "none": log in first with ` + "`ksef auth login --profile none"},
		{GlobalFlags{Profile: "out"}, `profile "out" is not logged in: log in again with ` + "`ksef auth login --profile out"},
		{GlobalFlags{Profile: "p", Env: "demo", EnvChanged: true}, `profile "p" is logged in to ` + base + ", not https://"},
		{GlobalFlags{Profile: "p", Env: "test", BaseURL: "http://127.0.0.1:1/v2", BaseURLChanged: true}, "log in again to switch"},
	} {
		tc.flags.ConfigDir = dir
		if tc.flags.Env == "" {
			tc.flags.Env = "test"
		}
		f := &Factory{Flags: tc.flags}
		if _, err := f.Session(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.flags, err, tc.want)
		}
	}
	// The same server named explicitly is fine.
	f := &Factory{Flags: GlobalFlags{Profile: "p", ConfigDir: dir, Env: "test", BaseURL: base + "/", BaseURLChanged: true}}
	if _, err := f.Session(); err != nil {
		t.Errorf("--base-url of the profile's server: %v", err)
	}
}
