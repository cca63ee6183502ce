package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzFactsJSON checks that whatever demo details parse also survive a
// round trip unchanged.
func FuzzFactsJSON(f *testing.F) {
	f.Add([]byte(`{"a":"b","reference number":"20261125-AU-3F78C82002-6BCBF602F3-FF"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"x":"\u00e9\n","x":""}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var fs facts
		if err := fs.UnmarshalJSON(data); err != nil {
			return
		}
		out, err := fs.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var again facts
		if err := again.UnmarshalJSON(out); err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !slices.Equal(fs, again) {
			t.Fatalf("round trip changed %v into %v", fs, again)
		}
	})
}

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
		s := &profileStore{path: path}
		m, err := s.load()
		if err != nil {
			return
		}
		for name, p := range m {
			if p == nil {
				if _, err := s.get(name); err == nil {
					t.Fatalf("get %q of a null profile succeeded", name)
				}
				continue
			}
			if err := s.put(name, p); err != nil {
				t.Fatalf("store %q: %v", name, err)
			}
			if _, err := s.get(name); err != nil {
				t.Fatalf("get %q after put: %v", name, err)
			}
		}
	})
}
