package fa3_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ksef2/ksef/fa3"
)

func ExampleValidate() {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/">
	<Naglowek>
		<KodFormularza kodSystemowy="FA (3)" wersjaSchemy="1-0E">FA</KodFormularza>
		<WariantFormularza>3</WariantFormularza>
		<DataWytworzeniaFa>2025-02-30T10:00:00Z</DataWytworzeniaFa>
	</Naglowek>
</Faktura>`
	err := fa3.Validate(strings.NewReader(doc))
	var ve *fa3.ValidationError
	if errors.As(err, &ve) {
		for _, v := range ve.Violations {
			fmt.Println(v)
		}
	}
	// Output:
	// line 6, col 3: /Faktura/Naglowek/DataWytworzeniaFa: value "2025-02-30T10:00:00Z" is not a valid dateTime
	// line 8, col 1: /Faktura: content of Faktura is incomplete; expected Podmiot1
}

func ExampleParse() {
	doc := `<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/">
	<Fa>
		<KodWaluty>PLN</KodWaluty>
		<P_1>2025-09-01</P_1>
		<P_2>FV/1/2025</P_2>
	</Fa>
</Faktura>`
	f, err := fa3.Parse([]byte(doc))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Fa.P_2, f.Fa.P_1, f.Fa.KodWaluty == fa3.TKodWalutyPLN)
	// Output:
	// FV/1/2025 2025-09-01 true
}
