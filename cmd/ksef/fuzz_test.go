package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzFactsJSON checks that whatever demo details parse also survive a
// round trip: the keys come back as their identifiers (jsonKey), the
// values unchanged, and a second round trip changes nothing.
func FuzzFactsJSON(f *testing.F) {
	f.Add([]byte(`{"a":"b","reference number":"20261125-AU-3F78C82002-6BCBF602F3-FF"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"x":"\u00e9\n","x":""}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"KSeF token":"1","KOD I":"2","ŁódźΣΣ aB":"3","--":"4","9 x":"5"}`))
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
		want := slices.Clone(fs)
		for i := range want {
			want[i].key = jsonKey(want[i].key)
		}
		if !slices.Equal(want, again) {
			t.Fatalf("round trip changed %v into %v", fs, again)
		}
		out2, err := again.MarshalJSON()
		if err != nil || string(out2) != string(out) {
			t.Fatalf("second round trip: %s -> %s (%v)", out, out2, err)
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
