package xades_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"fmt"
	"log"
	"math/big"
	"time"

	"github.com/ksef2/ksef/xades"
)

// ExampleSign signs an AuthTokenRequest with a freshly generated ECDSA P-256 key and a
// self-signed certificate (as accepted on the KSeF TEST environment), then verifies it.
func ExampleSign() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject: pkix.Name{
			CommonName: "Example Seal",
			Country:    []string{"PL"},
		},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:  time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:  x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}

	request := []byte(`<?xml version="1.0" encoding="utf-8"?>
<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.0">
  <Challenge>20250604-CR-461EA5B000-537A6BA15D-D7</Challenge>
  <ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier>
  <SubjectIdentifierType>certificateSubject</SubjectIdentifierType>
</AuthTokenRequest>`)
	signingTime := time.Date(2026, 6, 1, 9, 30, 0, 0, time.UTC)
	signed, err := xades.Sign(request, cert, key, &xades.SignOptions{SigningTime: signingTime})
	if err != nil {
		log.Fatal(err)
	}

	v, err := xades.Verify(signed, &xades.VerifyOptions{Now: signingTime})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed by", v.Certificate.Subject.CommonName, "at", v.SigningTime.Format(time.RFC3339))
	// Read the signed content from v.SignedXML: it holds exactly what the signature covers.
	var content struct {
		Challenge string
	}
	if err := xml.Unmarshal(v.SignedXML, &content); err != nil {
		log.Fatal(err)
	}
	fmt.Println("challenge:", content.Challenge)
	// Output:
	// signed by Example Seal at 2026-06-01T09:30:00Z
	// challenge: 20250604-CR-461EA5B000-537A6BA15D-D7
}
