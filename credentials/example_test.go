package credentials_test

import (
	"fmt"
	"log"

	"github.com/ksef2/ksef/credentials"
)

// Generate a self-signed TEST certificate for a person identified by NIP,
// read back the identity KSeF will see, and save it as PKCS#12.
func ExampleNewPersonNIP() {
	cr, err := credentials.NewPersonNIP("5265877635", &credentials.CertOptions{
		KeyType:   credentials.ECP256,
		GivenName: "Jan",
		Surname:   "Kowalski",
	})
	if err != nil {
		log.Fatal(err)
	}
	id := cr.Identity()
	fmt.Println(cr.Certificate.Subject.SerialNumber)
	fmt.Println(cr.Certificate.Subject.CommonName)
	fmt.Println(id.Kind, id.Value, id.Seal)

	p12, err := cr.EncodePKCS12("change-me")
	if err != nil {
		log.Fatal(err)
	}
	back, err := credentials.LoadPKCS12(p12, "change-me")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Fingerprint() == cr.Fingerprint())
	// Output:
	// TINPL-5265877635
	// Jan Kowalski
	// Nip 5265877635 false
	// true
}

// A company seal: identified by organizationIdentifier VATPL-<NIP>.
func ExampleNewSealNIP() {
	cr, err := credentials.NewSealNIP("7762811692", &credentials.CertOptions{
		KeyType:      credentials.ECP256,
		Organization: "Fermy Drobiu Sp. z o.o.",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", cr.Identity())
	// Output:
	// {Kind:Nip Value:7762811692 Seal:true}
}
