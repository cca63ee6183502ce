package upo_test

import (
	"fmt"

	"github.com/ksef2/ksef/upo"
)

func ExampleParse() {
	u, err := upo.Parse([]byte(minimal))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.SessionReferenceNumber, u.Authentication.Context)
	for _, d := range u.Documents {
		fmt.Println(d.KSeFNumber, d.InvoiceNumber, d.Mode, d.KSeFNumberAssignedAt.UTC().Format("2006-01-02 15:04:05"))
	}
	// Output:
	// 20250916-SO-2E5F1A0000-0A1B2C3D4E-11 Nip:5265877635
	// 5265877635-20250916-0200A0D6723E-C2 FV 1/2025 Offline 2025-09-16 09:05:41
}
