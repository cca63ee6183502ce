package ksef

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// referenceMetadata is the decoding of _metadata.json by encoding/json
// alone (what decodeMetadata did before its hand-written parser).
func referenceMetadata(r io.Reader) ([]InvoiceMetadata, error) {
	d := json.NewDecoder(r)
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	var out []InvoiceMetadata
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		if key, _ := tok.(string); key != "invoices" {
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return nil, err
			}
			continue
		}
		if tok, err := d.Token(); err != nil || tok != json.Delim('[') {
			return nil, fmt.Errorf("invoices is not an array: %v", err)
		}
		for d.More() {
			var md InvoiceMetadata
			if err := d.Decode(&md); err != nil {
				return nil, err
			}
			out = append(out, md)
		}
		if _, err := d.Token(); err != nil {
			return nil, err
		}
	}
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	return out, nil
}

func sampleMetadata(i int) InvoiceMetadata {
	t := time.Date(2026, 3, 4, 5, 6, 7, 891000000, time.UTC).Add(time.Duration(i) * time.Hour)
	md := InvoiceMetadata{
		KSeFNumber: fmt.Sprintf("5265877635-20260304-0100A0%05X-%02X", i, i%256), InvoiceNumber: fmt.Sprintf("FV/%d/2026 \"ąę\" <&>", i),
		IssueDate: "2026-03-04", InvoicingDate: t, AcquisitionDate: t.Add(time.Second), PermanentStorageDate: t.In(time.FixedZone("", 3600)),
		Seller:    InvoiceMetadataSeller{Nip: "5265877635", Name: "Firma Łódź sp. z o.o."},
		Buyer:     InvoiceMetadataBuyer{Identifier: InvoiceMetadataBuyerIdentifier{Type: "Nip", Value: "7010002137"}, Name: "Żółw\tS.A."},
		NetAmount: 100.5 + float64(i), GrossAmount: 123.615, VatAmount: 1e-7, Currency: "PLN",
		InvoicingMode: "Online", InvoiceType: "Vat", FormCode: FormCode{SystemCode: "FA (3)", SchemaVersion: "1-0E", Value: "FA"},
		IsSelfInvoicing: i%2 == 0, HasAttachment: i%3 == 0, InvoiceHash: bytes.Repeat([]byte{byte(i)}, 32),
	}
	if i%4 == 1 {
		md.HashOfCorrectedInvoice = bytes.Repeat([]byte{7}, 32)
		md.ThirdSubjects = []InvoiceMetadataThirdSubject{{Identifier: InvoiceMetadataThirdSubjectIdentifier{Type: "InternalId", Value: "x"}, Name: "T", Role: 4}, {Role: -2}}
		md.AuthorizedSubject = &InvoiceMetadataAuthorizedSubject{Nip: "1111111111", Name: "A", Role: 2}
	}
	if i%4 == 2 {
		md.ThirdSubjects = []InvoiceMetadataThirdSubject{}
	}
	return md
}

// checkSameAsReference decodes doc with decodeMetadata, read in pieces of
// every size, and with encoding/json, and wants the same records, or an
// error from both.
func checkSameAsReference(t *testing.T, doc []byte) {
	t.Helper()
	want, werr := referenceMetadata(bytes.NewReader(doc))
	for _, r := range []io.Reader{bytes.NewReader(doc), iotest.OneByteReader(bytes.NewReader(doc)), iotest.HalfReader(bytes.NewReader(doc))} {
		got, gerr := decodeMetadata(r, 0)
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("%.200q: error %v, encoding/json %v", doc, gerr, werr)
		}
		if werr != nil {
			continue
		}
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%.200q: the records differ from those of encoding/json", doc)
		}
	}
}

func TestDecodeMetadataMatchesEncodingJSON(t *testing.T) {
	var recs []InvoiceMetadata
	for i := range 50 {
		recs = append(recs, sampleMetadata(i))
	}
	doc, err := json.Marshal(map[string]any{"invoices": recs, "other": []any{1, "x", map[string]any{"a": nil}}})
	if err != nil {
		t.Fatal(err)
	}
	checkSameAsReference(t, doc)
	got, err := decodeMetadata(bytes.NewReader(doc), 10)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(recs)
	if !bytes.Equal(a, b) {
		t.Fatal("the records differ from those encoded")
	}
	indented, _ := json.MarshalIndent(map[string]any{"invoices": recs}, "", " \t")
	checkSameAsReference(t, indented)

	rec := `{"ksefNumber":"K","invoiceHash":"AAAA","netAmount":1}`
	for name, doc := range map[string]string{
		"empty":              `{}`,
		"empty array":        `{"invoices":[]}`,
		"two arrays":         `{"invoices":[` + rec + `],"x":{"invoices":[1]},"invoices":[` + rec + `,` + rec + `]}`,
		"escapes":            `{"invoices":[{"ksefNumber":"K\u0041\"\\\/\n","invoiceNumber":"\ud83d\ude00","seller":{"name":"\u0141"}}]}`,
		"invalid utf8":       "{\"invoices\":[{\"ksefNumber\":\"K\xff\xfe\"}]}",
		"case folded key":    `{"invoices":[{"KSEFNUMBER":"K","ksefnumber":"L"}]}`,
		"duplicate key":      `{"invoices":[{"ksefNumber":"K","ksefNumber":"L","seller":{"nip":"1"},"seller":{"name":"n"}}]}`,
		"unknown keys":       `{"invoices":[{"new":{"a":[1,2,{"b":"}]"}]},"ksefNumber":"K","seller":{"x":1,"nip":"2"}}]}`,
		"nulls":              `{"invoices":[{"ksefNumber":null,"invoiceHash":null,"thirdSubjects":null,"authorizedSubject":null,"invoicingDate":null,"seller":null,"netAmount":null}]}`,
		"null record":        `{"invoices":[null,` + rec + `]}`,
		"null third":         `{"invoices":[{"thirdSubjects":[null,{"role":1}]}]}`,
		"empty hash":         `{"invoices":[{"invoiceHash":""}]}`,
		"hash array":         `{"invoices":[{"invoiceHash":[1,2,3]}]}`,
		"hash newline":       `{"invoices":[{"invoiceHash":"AA\nAA"}]}`,
		"hash escaped":       `{"invoices":[{"invoiceHash":"AA\u0041A"}]}`,
		"numbers":            `{"invoices":[{"netAmount":-0.5e+3,"grossAmount":0,"vatAmount":1E2,"authorizedSubject":{"role":-2147483648}}]}`,
		"white space":        " \n{ \"invoices\" : [ \r\n" + rec + " , " + rec + "\t] , \"a\" : 1 } ",
		"escaped key":        `{"invo\u0069ces":[` + rec + `]}`,
		"bad number":         `{"invoices":[{"netAmount":01}]}`,
		"bad number 2":       `{"invoices":[{"netAmount":1.}]}`,
		"bad number 3":       `{"invoices":[{"netAmount":-}]}`,
		"huge number":        `{"invoices":[{"netAmount":1e400}]}`,
		"role float":         `{"invoices":[{"authorizedSubject":{"role":1.0}}]}`,
		"role overflow":      `{"invoices":[{"authorizedSubject":{"role":2147483648}}]}`,
		"string for number":  `{"invoices":[{"netAmount":"1"}]}`,
		"number for string":  `{"invoices":[{"ksefNumber":1}]}`,
		"bad bool":           `{"invoices":[{"hasAttachment":tru}]}`,
		"bad date":           `{"invoices":[{"invoicingDate":"2026-13-01T00:00:00Z"}]}`,
		"date escaped":       `{"invoices":[{"invoicingDate":"2026-01-01T00:00:00\u005a"}]}`,
		"bad base64":         `{"invoices":[{"invoiceHash":"A"}]}`,
		"control char":       "{\"invoices\":[{\"ksefNumber\":\"a\tb\"}]}",
		"trailing comma":     `{"invoices":[` + rec + `,]}`,
		"trailing comma 2":   `{"invoices":[{"ksefNumber":"K",}]}`,
		"missing colon":      `{"invoices":[{"ksefNumber" "K"}]}`,
		"unbalanced":         `{"invoices":[{"seller":{"nip":"1"]}]}`,
		"truncated":          `{"invoices":[` + rec,
		"truncated string":   `{"invoices":[{"ksefNumber":"K`,
		"not an object":      `[1]`,
		"invoices not array": `{"invoices":null}`,
		"record not object":  `{"invoices":[1]}`,
		"bad skipped":        `{"x":[1,}],"invoices":[]}`,
		"bad skipped in rec": `{"invoices":[{"x":[1,],"ksefNumber":"K"}]}`,
		"literal garbage":    `{"invoices":[{"x":nul}]}`,
	} {
		t.Run(name, func(t *testing.T) { checkSameAsReference(t, []byte(doc)) })
	}
}

func FuzzDecodeMetadata(f *testing.F) {
	doc, _ := json.Marshal(map[string]any{"invoices": []InvoiceMetadata{sampleMetadata(0), sampleMetadata(1), sampleMetadata(2)}})
	f.Add(doc)
	f.Add([]byte(`{"invoices":[{"ksefNumber":"K\u0041","invoiceHash":"AAAA","thirdSubjects":[]}],"x":1}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if strings.Count(string(doc), "[") > 100 {
			return
		}
		checkSameAsReference(t, doc)
	})
}

// TestMetadataParserFastPath: the hand-written parser itself decodes the
// records that encoding/json writes (the fallback is for the unusual).
func TestMetadataParserFastPath(t *testing.T) {
	for i := range 8 {
		want := sampleMetadata(i)
		raw, _ := json.Marshal(want)
		var got InvoiceMetadata
		if p := (metaParser{b: raw}); !p.record(&got) || p.i != len(raw) {
			t.Fatalf("record %d not decoded by the parser: %s", i, raw)
		}
		a, _ := json.Marshal(got)
		if !bytes.Equal(a, raw) {
			t.Fatalf("record %d:\n got %s\nwant %s", i, a, raw)
		}
	}
	for _, raw := range []string{`{"KSeFNumber":"K"}`, `{"ksefNumber":"K","ksefNumber":"L"}`, `{"netAmount":1e400}`, `{"thirdSubjects":[null]}`} {
		var md InvoiceMetadata
		if (&metaParser{b: []byte(raw)}).record(&md) {
			t.Errorf("%s: decoded by the parser, want the encoding/json fallback", raw)
		}
	}
}
