package batchpack_test

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/ksef2/ksef/internal/batchpack"
)

// Pack three invoices into one encrypted ZIP package, as POST
// /sessions/batch declares it.
func ExamplePack() {
	invoices := []batchpack.Invoice{
		batchpack.Bytes("FV-1.xml", []byte("<Faktura>1</Faktura>")),
		batchpack.Bytes("FV-2.xml", []byte("<Faktura>2</Faktura>")),
		batchpack.Bytes("FV-3.xml", []byte("<Faktura>3</Faktura>")),
	}
	pkg, err := batchpack.Pack(context.Background(), slices.Values(invoices), batchpack.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer pkg.Cleanup()
	fmt.Println("compressionType:", pkg.Format)
	fmt.Println("parts:", len(pkg.Parts), "encrypted size is a multiple of 16:", pkg.Parts[0].Size%16 == 0)
	for _, e := range pkg.Invoices {
		fmt.Println(e.FileName, e.Size, len(e.SHA256.Base64()))
	}
	// Output:
	// compressionType: Zip
	// parts: 1 encrypted size is a multiple of 16: true
	// FV-1.xml 20 44
	// FV-2.xml 20 44
	// FV-3.xml 20 44
}
