package ident_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ksef2/ksef/ident"
)

func ExampleParseNIP() {
	nip, err := ident.ParseNIP("5265877635")
	fmt.Println(nip, err)

	_, err = ident.ParseNIP("5265877636")
	fmt.Println(err)
	fmt.Println(errors.Is(err, ident.ErrInvalidIdentifier))
	// Output:
	// 5265877635 <nil>
	// ksef: invalid NIP "5265877636": checksum mismatch
	// true
}

func ExampleParsePESEL() {
	p, err := ident.ParsePESEL("44051401359")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.BirthDate().Format(time.DateOnly), p.IsFemale())
	// Output:
	// 1944-05-14 false
}

func ExampleParseKSeFNumber() {
	k, err := ident.ParseKSeFNumber("5265877635-20250826-0100001AF629-AF")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(k.SellerNIP(), k.Date().Format(time.DateOnly))

	// One mistyped character (B instead of 8) is caught by the checksum.
	_, err = ident.ParseKSeFNumber("5265877635-20250B26-0100001AF629-AF")
	fmt.Println(err != nil)
	// Output:
	// 5265877635 2025-08-26
	// true
}

func ExampleNewKSeFNumber() {
	r := rand.New(rand.NewPCG(1, 1))
	k := ident.NewKSeFNumber("5265877635", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), r)
	fmt.Println(k.Validate() == nil, k.SellerNIP(), len(k))
	// Output:
	// true 5265877635 35
}

func ExampleRandomNIP() {
	// Fresh random NIPs keep tests apart on the shared KSeF TEST environment.
	nip := ident.RandomNIP(nil)
	fmt.Println(nip.Validate() == nil)
	// Output:
	// true
}

func ExampleParseCollectiveIdentifier() {
	c, err := ident.ParseCollectiveIdentifier("1111111111-IZ202607-65ED02180000-E7")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.SellerNIP(), c.Created().Format("2006-01"))
	// Output:
	// 1111111111 2026-07
}

func ExampleParseReferenceNumber() {
	// Check a reference number typed by a user before asking KSeF about it.
	r, err := ident.ParseReferenceNumber("20250625-SO-2C3E6C8000-B675CF5D68-07")
	fmt.Println(r.Category(), r.Date().Format(time.DateOnly), err)

	_, err = ident.ParseReferenceNumber("20250625-so-2C3E6C8000-B675CF5D68-07")
	fmt.Println(err)
	// Output:
	// SO 2025-06-25 <nil>
	// ksef: invalid reference number "20250625-so-2C3E6C8000-B675CF5D68-07": category must be 2 uppercase letters
}
