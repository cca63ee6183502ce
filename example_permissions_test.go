package ksef_test

import (
	"encoding/json"
	"fmt"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
)

// The subject details of a grant are built with one constructor per
// variant the spec allows; the discriminator is set by the constructor.
func ExamplePersonByFingerprintWithIdentifier() {
	req := ksef.PersonPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: "70A2B7C4F1D9E8A6B5C4D3E2F1A0B9C8D7E6F5A4B3C2D1E0F9A8B7C6D5E4F3A2"},
		Permissions:       []ksef.PersonPermissionType{ksef.PersonPermissionTypeInvoiceRead},
		Description:       "accountant",
		SubjectDetails: ksef.PersonByFingerprintWithIdentifier("Anna", "Nowak",
			ident.Identifier{Type: ident.TypePesel, Value: "44051401359"}),
	}
	b, _ := json.Marshal(req.SubjectDetails)
	fmt.Println(string(b))
	// Output:
	// {"subjectDetailsType":"PersonByFingerprintWithIdentifier","personByFpWithId":{"firstName":"Anna","lastName":"Nowak","identifier":{"type":"Pesel","value":"44051401359"}}}
}
