package fa3_test

import (
	"fmt"
	"testing"

	"github.com/ksef2/ksef/fa3"
)

func manyLines(n int) []fa3.Line {
	rates := []fa3.TStawkaPodatku{"23", "8", "5", "0 KR", "zw"}
	lines := make([]fa3.Line, n)
	for i := range lines {
		lines[i] = fa3.Line{Name: fmt.Sprintf("Pozycja %d", i+1), Unit: "szt.", Quantity: fa3.Decimal(fmt.Sprintf("%d.5", i%7+1)),
			UnitPrice: fa3.Decimal(fmt.Sprintf("%d.%02d", i%500+1, i%100)), Rate: rates[i%len(rates)]}
	}
	return lines
}

func BenchmarkComputeTotals1000Lines(b *testing.B) {
	lines := manyLines(1000)
	for b.Loop() {
		if _, err := fa3.ComputeTotals(lines); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildXML measures building, marshalling and validating an
// invoice of 10 and of 1000 lines.
func BenchmarkBuildXML(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			p := vatParams()
			p.Lines = manyLines(n)
			doc, err := fa3.BuildXML(p)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := fa3.BuildXML(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ExampleComputeTotals() {
	t, err := fa3.ComputeTotals([]fa3.Line{
		{Name: "Energia", Quantity: "20", UnitPrice: "0.90", Rate: "23"},
		{Name: "Dystrybucja", Quantity: "1", UnitPrice: "25.60", Rate: "23"},
		{Name: "Książka", Quantity: "2", UnitPrice: "39.99", Rate: "5"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range t.Rates {
		fmt.Printf("%s%%: net %s VAT %s\n", r.Rate, r.Net, r.VAT)
	}
	fmt.Println("gross", t.Gross)
	// Output:
	// 23%: net 43.60 VAT 10.03
	// 5%: net 79.98 VAT 4.00
	// gross 137.61
}
