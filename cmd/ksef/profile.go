package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// profile is what `ksef auth login` remembers between runs: where to talk to
// and the tokens of the current authentication session. Tokens are stored in
// a file readable only by its owner and never printed unless asked for.
type profile struct {
	Environment       string    `json:"environment,omitempty"`
	BaseURL           string    `json:"baseUrl,omitempty"`
	ContextType       string    `json:"contextType,omitempty"`
	ContextValue      string    `json:"contextValue,omitempty"`
	AuthReference     string    `json:"authReference,omitempty"`
	AuthMethod        string    `json:"authMethod,omitempty"`
	LoggedInAt        time.Time `json:"loggedInAt,omitzero"`
	AccessToken       string    `json:"accessToken,omitempty"`
	AccessValidUntil  time.Time `json:"accessValidUntil,omitzero"`
	RefreshToken      string    `json:"refreshToken,omitempty"`
	RefreshValidUntil time.Time `json:"refreshValidUntil,omitzero"`
}

// profileStore reads and writes the profiles file atomically with mode 0600.
type profileStore struct{ path string }

func (g *globals) profiles() (*profileStore, error) {
	dir := g.configDir
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("cannot find a configuration directory (use --config-dir): %w", err)
		}
		dir = filepath.Join(base, "ksef")
	}
	return &profileStore{path: filepath.Join(dir, "profiles.json")}, nil
}

// currentProfile opens the profile store and reads the profile selected
// with --profile.
func (g *globals) currentProfile() (*profileStore, *profile, error) {
	store, err := g.profiles()
	if err != nil {
		return nil, nil, err
	}
	p, err := store.get(g.profile)
	if err != nil {
		return nil, nil, err
	}
	return store, p, nil
}

func (s *profileStore) load() (map[string]*profile, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*profile{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]*profile{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("profiles file %s is corrupt: %w", s.path, err)
	}
	return m, nil
}

// get returns the named profile or an error telling the user to log in.
func (s *profileStore) get(name string) (*profile, error) {
	m, err := s.load()
	if err != nil {
		return nil, err
	}
	p, ok := m[name]
	if !ok || p == nil {
		return nil, fmt.Errorf("no profile %q: log in first with %s", name, loginHint(name))
	}
	return p, nil
}

// put stores p under name (nil deletes it).
func (s *profileStore) put(name string, p *profile) error {
	m, err := s.load()
	if err != nil {
		return err
	}
	if p == nil {
		delete(m, name)
	} else {
		m[name] = p
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".profiles-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path)
}

// loginHint is the command that logs in to the named profile, for error
// messages.
func loginHint(name string) string {
	cmd := "ksef auth login"
	if name != "default" {
		cmd += " --profile " + name
	}
	return "`" + cmd + " --cert FILE --key FILE` (or --p12 FILE, or a KSeF token in $KSEF_TOKEN)"
}
