package ksef_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ksefsim"
)

func ExamplePaymentTitle() {
	title, err := ksef.PaymentTitle("1111111111-IZ202607-65ED02180000-E7", "Faktury za lipiec 2026 — czynsz & media")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(title)
	// Output:
	// 1111111111-IZ202607-65ED02180000-E7 Faktury za lipiec 2026 czynsz media
}

// Obtaining a KSeF Authentication certificate from the simulator and
// logging in with it.
func ExampleCertificatesService_Enroll() {
	sim := ksefsim.New(ksefsim.WithoutRateLimits())
	srv := httptest.NewServer(sim)
	defer srv.Close()
	id, err := sim.NewTestIdentity()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	c, err := ksef.NewClient(ksef.WithBaseURL(srv.URL + ksefsim.BasePath))
	if err != nil {
		log.Fatal(err)
	}
	nip := ksef.MustContext(ksef.NIPContext(id.NIP))
	a, err := c.Auth.LoginWithCertificate(ctx, nip, id.Certificate, id.Signer, nil)
	if err != nil {
		log.Fatal(err)
	}

	data, err := a.Certificates.EnrollmentData(ctx) // the DN the CSR must carry, exactly
	if err != nil {
		log.Fatal(err)
	}
	key, err := credentials.NewKey(credentials.ECP256)
	if err != nil {
		log.Fatal(err)
	}
	csr, err := credentials.NewCSR(key, credentials.EnrollmentSubject{CommonName: data.CommonName, CountryName: data.CountryName,
		OrganizationName: data.OrganizationName, OrganizationIdentifier: data.OrganizationIdentifier})
	if err != nil {
		log.Fatal(err)
	}
	en, err := a.Certificates.Enroll(ctx, &ksef.EnrollCertificateRequest{CertificateName: "Integracja ERP",
		CertificateType: ksef.KsefCertificateTypeAuthentication, Csr: csr})
	if err != nil {
		log.Fatal(err)
	}
	st, err := a.Certificates.WaitEnrollment(ctx, en.ReferenceNumber, nil)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := a.Certificates.RetrieveX509(ctx, st.CertificateSerialNumber)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("serial:", len(st.CertificateSerialNumber), "hex digits")
	fmt.Println("issuer:", cert.Issuer.CommonName)
	_, err = c.Auth.LoginWithCertificate(ctx, nip, cert, key, nil)
	fmt.Println("logs in:", err == nil)
	// Output:
	// serial: 16 hex digits
	// issuer: ksefsim KSeF CA
	// logs in: true
}

// Test data that removes itself: whatever the scope created is undone by
// Close (deferred, so also when the test fails or panics).
func ExampleTestDataService_Temporary() {
	sim := ksefsim.New(ksefsim.WithoutRateLimits())
	srv := httptest.NewServer(sim)
	defer srv.Close()
	ctx := context.Background()
	c, err := ksef.NewClient(ksef.WithBaseURL(srv.URL + ksefsim.BasePath))
	if err != nil {
		log.Fatal(err)
	}
	person := &ksef.PersonCreateRequest{Nip: string(ksef.RandomNIP(nil)), Pesel: string(ksef.RandomPESEL(nil)), Description: "komornik testowy", IsBailiff: true}

	func() {
		scope := c.TestData.Temporary()
		defer scope.Close(ctx)
		if err := scope.CreatePerson(ctx, person); err != nil {
			log.Fatal(err)
		}
		fmt.Println("steps to undo:", len(scope.Pending()))
	}()
	// The person is gone: it can be created again.
	fmt.Println("created again:", c.TestData.CreatePerson(ctx, person) == nil)
	// Output:
	// steps to undo: 1
	// created again: true
}
