// Package profile stores what `ksef auth login` remembers between runs: the
// named profiles, each with the server it talks to and the tokens of its
// current authentication session, in one JSON file readable only by its
// owner.
package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ksef2/ksef/cmd/ksef/internal/atomicfile"
)

// Profile is one named profile: where to talk to and the tokens of the
// current authentication session. Tokens are stored in a file readable only
// by its owner and never printed unless asked for.
type Profile struct {
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

// FileName is the name of the profiles file in the configuration directory.
const FileName = "profiles.json"

// Store reads and writes the profiles file atomically with mode 0600.
type Store struct {
	// Path is the profiles file.
	Path string
}

// Open returns the store in dir, or in $XDG_CONFIG_HOME/ksef (the user's
// configuration directory) when dir is empty. The file is not read yet.
func Open(dir string) (*Store, error) {
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("cannot find a configuration directory (use --config-dir): %w", err)
		}
		dir = filepath.Join(base, "ksef")
	}
	return &Store{Path: filepath.Join(dir, FileName)}, nil
}

// Load returns all profiles by name; a missing file holds none.
func (s *Store) Load() (map[string]*Profile, error) {
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*Profile{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]*Profile{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("profiles file %s is corrupt: %w", s.Path, err)
	}
	return m, nil
}

// Get returns the named profile or an error telling the user to log in.
func (s *Store) Get(name string) (*Profile, error) {
	m, err := s.Load()
	if err != nil {
		return nil, err
	}
	p, ok := m[name]
	if !ok || p == nil {
		return nil, fmt.Errorf("no profile %q: log in first with %s", name, LoginHint(name))
	}
	return p, nil
}

// Put stores p under name (nil deletes it).
func (s *Store) Put(name string, p *Profile) error {
	m, err := s.Load()
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
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(s.Path, data, 0o600)
}

// LoginHint is the command that logs in to the named profile, for error
// messages.
func LoginHint(name string) string {
	cmd := "ksef auth login"
	if name != "default" {
		cmd += " --profile " + name
	}
	return "`" + cmd + " --cert FILE --key FILE` (or --p12 FILE, or a KSeF token in $KSEF_TOKEN)"
}
