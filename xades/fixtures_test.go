package xades

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateFixtures = flag.Bool("update", false, "rewrite testdata/signed-*.xml")

// fixtureDoc is the document signed into the committed fixtures.
const fixtureDoc = `<?xml version="1.0" encoding="utf-8"?>
<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.0">
  <Challenge>20250604-CR-461EA5B000-537A6BA15D-D7</Challenge>
  <ContextIdentifier>
    <Nip>5265877635</Nip>
  </ContextIdentifier>
  <SubjectIdentifierType>certificateSubject</SubjectIdentifierType>
</AuthTokenRequest>
`

var fixtureFiles = []string{"signed-rsa.xml", "signed-ecdsa.xml"}

// TestVerifyFixtures verifies signatures produced by an earlier build (regenerate with
// go test ./xades -run TestVerifyFixtures -update). They also seed FuzzVerify.
func TestVerifyFixtures(t *testing.T) {
	if *updateFixtures {
		for i, s := range []testSigner{rsaTestSigner(t), ecTestSigner(t)} {
			signed, err := Sign([]byte(fixtureDoc), s.cert, s.key, &SignOptions{SigningTime: testNow})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("testdata", fixtureFiles[i]), signed, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, name := range fixtureFiles {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		v, err := Verify(b, &VerifyOptions{Now: testNow})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !v.SigningTime.Equal(testNow) {
			t.Errorf("%s: SigningTime %v", name, v.SigningTime)
		}
	}
}
