package profile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzProfilesFile checks that a damaged profiles file gives an error, not
// a panic, and that what loads can be stored and loaded again.
func FuzzProfilesFile(f *testing.F) {
	f.Add([]byte(`{"default":{"environment":"test","baseUrl":"http://127.0.0.1:1/v2","accessValidUntil":"2026-11-25T09:00:00Z"}}`))
	f.Add([]byte(`{"x":null}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "profiles.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s := &Store{Path: path}
		m, err := s.Load()
		if err != nil {
			return
		}
		for name, p := range m {
			if p == nil {
				if _, err := s.Get(name); err == nil {
					t.Fatalf("get %q of a null profile succeeded", name)
				}
				continue
			}
			if err := s.Put(name, p); err != nil {
				t.Fatalf("store %q: %v", name, err)
			}
			if _, err := s.Get(name); err != nil {
				t.Fatalf("get %q after put: %v", name, err)
			}
		}
	})
}
