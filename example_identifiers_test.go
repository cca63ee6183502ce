package ksef_test

import (
	"errors"
	"fmt"

	"github.com/ksef2/ksef"
)

func ExampleParseNIP() {
	nip, err := ksef.ParseNIP("5265877635")
	fmt.Println(nip, err)

	// The root's identifier errors are those of package ident.
	_, err = ksef.ParseNIP("5265877636")
	var ie *ksef.IdentifierError
	fmt.Println(errors.Is(err, ksef.ErrInvalidIdentifier), errors.As(err, &ie) && ie.Reason == "checksum mismatch")
	// Output:
	// 5265877635 <nil>
	// true true
}
