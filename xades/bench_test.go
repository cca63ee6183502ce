package xades

import (
	"os"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
)

func benchDoc(b *testing.B) []byte {
	b.Helper()
	doc, err := os.ReadFile(testenv.SpecFile(b, "samples/auth/AuthTokenRequest-context-identifier-nip.xml"))
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

func benchSign(b *testing.B, s testSigner) {
	doc := benchDoc(b)
	opts := &SignOptions{SigningTime: testNow}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(doc, s.cert, s.key, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func benchVerify(b *testing.B, s testSigner) {
	signed, err := Sign(benchDoc(b), s.cert, s.key, &SignOptions{SigningTime: testNow})
	if err != nil {
		b.Fatal(err)
	}
	opts := &VerifyOptions{Now: testNow}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(signed, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignRSA(b *testing.B)     { benchSign(b, rsaTestSigner(b)) }
func BenchmarkSignECDSA(b *testing.B)   { benchSign(b, ecTestSigner(b)) }
func BenchmarkVerifyRSA(b *testing.B)   { benchVerify(b, rsaTestSigner(b)) }
func BenchmarkVerifyECDSA(b *testing.B) { benchVerify(b, ecTestSigner(b)) }
