package upo_test

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/upo"
)

// FuzzParse feeds arbitrary bytes to Parse. Parse must not panic, every
// error must wrap one of the package's sentinels, and every accepted document
// must survive Marshal and Parse unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(`<Potwierdzenie xmlns="http://upo.schematy.mf.gov.pl/KSeF/v4-3"/>`))
	if dir := testenv.SpecDirPath(); dir != "" {
		for _, file := range globSamples(dir) {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := upo.Parse(data)
		if err != nil {
			if !errors.Is(err, upo.ErrInvalid) && !errors.Is(err, upo.ErrUnsupported) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		if len(u.Documents) == 0 {
			t.Fatal("accepted a UPO without documents")
		}
		out, err := u.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		back, err := upo.Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(u)): %v\n%s", err, out)
		}
		u.Signed = false // Marshal writes no signature
		if diff := cmp.Diff(u, back); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}
