package ksef_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ksef2/ksef"
)

func ExampleParseNIP() {
	nip, err := ksef.ParseNIP("5265877635")
	fmt.Println(nip, err)

	_, err = ksef.ParseNIP("5265877636")
	fmt.Println(err)
	fmt.Println(errors.Is(err, ksef.ErrInvalidIdentifier))
	// Output:
	// 5265877635 <nil>
	// ksef: invalid NIP "5265877636": checksum mismatch
	// true
}

func ExampleParsePESEL() {
	p, err := ksef.ParsePESEL("44051401359")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.BirthDate().Format(time.DateOnly), p.IsFemale())
	// Output:
	// 1944-05-14 false
}

func ExampleParseKSeFNumber() {
	k, err := ksef.ParseKSeFNumber("5265877635-20250826-0100001AF629-AF")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(k.SellerNIP(), k.Date().Format(time.DateOnly))

	// One mistyped character (B instead of 8) is caught by the checksum.
	_, err = ksef.ParseKSeFNumber("5265877635-20250B26-0100001AF629-AF")
	fmt.Println(err != nil)
	// Output:
	// 5265877635 2025-08-26
	// true
}

func ExampleNewKSeFNumber() {
	r := rand.New(rand.NewPCG(1, 1))
	k := ksef.NewKSeFNumber("5265877635", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), r)
	fmt.Println(k.Validate() == nil, k.SellerNIP(), len(k))
	// Output:
	// true 5265877635 35
}

func ExampleRandomNIP() {
	// Fresh random NIPs keep tests apart on the shared KSeF TEST environment.
	nip := ksef.RandomNIP(nil)
	fmt.Println(nip.Validate() == nil)
	// Output:
	// true
}

func ExampleParseCollectiveIdentifier() {
	c, err := ksef.ParseCollectiveIdentifier("1111111111-IZ202607-65ED02180000-E7")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.SellerNIP(), c.Created().Format("2006-01"))
	// Output:
	// 1111111111 2026-07
}
