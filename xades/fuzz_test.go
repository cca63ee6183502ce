package xades

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/ksef2/ksef/xades/xadestest"
)

var sentinels = []error{ErrTooLarge, ErrStructure, ErrUnsupportedAlgorithm, ErrDigestMismatch, ErrBadSignature, ErrCertificateMismatch, ErrCertificateValidity}

func FuzzVerify(f *testing.F) {
	for _, name := range fixtureFiles {
		signed, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(signed)
		f.Add(bytes.Replace(signed, []byte("5265877635"), []byte("5265877636"), 1))
		f.Add(bytes.Replace(signed, []byte("12:00:00Z"), []byte("12:00:01Z"), 1))
		f.Add(bytes.Replace(signed, []byte(`URI=""`), []byte(`URI="#x"`), 1))
		f.Add(bytes.Replace(signed, []byte(AlgExcC14N), []byte(AlgC14N10), 1))
		f.Add(signed[:len(signed)/2])
	}
	// Signatures made by xmlsec1 in every form KSeF accepts (generated now: their keys are
	// not stored), with a tampered copy each. Skipped under -short to keep the fast loop fast.
	// Fuzzing worker processes get their inputs from the coordinator, so they skip the
	// (slow) generation.
	if !testing.Short() && !isFuzzWorker() && xmlsec1Available(f) {
		for _, form := range xadestest.Forms() {
			signed, _ := signForm(f, form)
			f.Add(signed)
			f.Add(bytes.Replace(signed, []byte("12:00:00Z"), []byte("12:00:01Z"), 1))
		}
	}
	f.Add([]byte(`<a/>`))
	f.Add([]byte(`<a><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="s"/></a>`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Verify(data, &VerifyOptions{Now: testNow})
		if err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		if v.Certificate == nil || len(v.SignedXML) == 0 || v.SigningTime.IsZero() {
			t.Fatalf("incomplete result: %+v", v)
		}
	})
}

// isFuzzWorker reports whether this process is a worker of "go test -fuzz" (the testing
// package's -test.fuzzworker flag).
func isFuzzWorker() bool {
	fl := flag.Lookup("test.fuzzworker")
	return fl != nil && fl.Value.String() == "true"
}
