package democmd

import (
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
