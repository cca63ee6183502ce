package upo_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
	"github.com/ksef2/ksef/upo"
)

// sampleFiles returns the official UPO v4-3 samples.
func sampleFiles(t testing.TB) []string {
	t.Helper()
	dir := testenv.SpecFile(t, "samples/upo/v4-3")
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no UPO samples under %s", dir)
	}
	return files
}

// parseSample parses the UPO sample file.
func parseSample(t testing.TB, file string) *upo.UPO {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	u, err := upo.Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return u
}

// TestParseSamples parses every official sample and compares the result with
// what an independent XML library (etree) reads from the same file.
func TestParseSamples(t *testing.T) {
	for _, file := range sampleFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			u, err := upo.Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(data); err != nil {
				t.Fatal(err)
			}
			root := doc.Root()
			text := func(e *etree.Element, path string) string {
				t.Helper()
				el := e.FindElement(path)
				if el == nil {
					t.Fatalf("etree: no %s", path)
				}
				return strings.TrimSpace(el.Text())
			}
			if got, want := u.SessionReferenceNumber, text(root, "NumerReferencyjnySesji"); got != want {
				t.Errorf("SessionReferenceNumber = %q, want %q", got, want)
			}
			if got, want := u.ReceivingEntity, text(root, "NazwaPodmiotuPrzyjmujacego"); got != want {
				t.Errorf("ReceivingEntity = %q, want %q", got, want)
			}
			if got, want := u.FormCode, text(root, "KodFormularza"); got != want {
				t.Errorf("FormCode = %q, want %q", got, want)
			}
			ctx := root.FindElement("Uwierzytelnienie/IdKontekstu").ChildElements()[0]
			if got, want := u.Authentication.Context, (ident.Identifier{Type: contextTypes[ctx.Tag], Value: ctx.Text()}); got != want {
				t.Errorf("Context = %v, want %v", got, want)
			}
			if el := root.FindElement("Uwierzytelnienie/NumerReferencyjnyTokenaKSeF"); el != nil && el.Text() != u.Authentication.KSeFTokenReferenceNumber {
				t.Errorf("KSeFTokenReferenceNumber = %q, want %q", u.Authentication.KSeFTokenReferenceNumber, el.Text())
			}
			if el := root.FindElement("Uwierzytelnienie/SkrotDokumentuUwierzytelniajacego"); el != nil && el.Text() != u.Authentication.AuthenticationDocumentHash {
				t.Errorf("AuthenticationDocumentHash = %q, want %q", u.Authentication.AuthenticationDocumentHash, el.Text())
			}
			if got, want := u.IsSessionUPO(), root.FindElement("OpisPotwierdzenia") != nil; got != want {
				t.Errorf("IsSessionUPO = %v, want %v", got, want)
			}
			if u.Page != nil && u.Page.TotalDocuments != len(u.Documents) {
				t.Errorf("single page UPO: TotalDocuments = %d, documents = %d", u.Page.TotalDocuments, len(u.Documents))
			}
			docs := root.SelectElements("Dokument")
			if len(docs) != len(u.Documents) {
				t.Fatalf("%d documents, want %d", len(u.Documents), len(docs))
			}
			for i, e := range docs {
				d := u.Documents[i]
				if d.KSeFNumber != text(e, "NumerKSeFDokumentu") || d.SellerNIP != text(e, "NipSprzedawcy") ||
					d.InvoiceNumber != text(e, "NumerFaktury") || d.DocumentHash != text(e, "SkrotDokumentu") ||
					string(d.Mode) != text(e, "TrybWysylki") {
					t.Errorf("document %d = %+v differs from the XML", i, d)
				}
				if got := d.IssueDate.Format(time.DateOnly); got != text(e, "DataWystawieniaFaktury") {
					t.Errorf("IssueDate = %s", got)
				}
				want, err := time.Parse(time.RFC3339, text(e, "DataNadaniaNumeruKSeF"))
				if err != nil {
					t.Fatal(err)
				}
				if !d.KSeFNumberAssignedAt.Equal(want) {
					t.Errorf("KSeFNumberAssignedAt = %v, want %v", d.KSeFNumberAssignedAt, want)
				}
				if !d.SubmittedAt.Before(d.KSeFNumberAssignedAt) {
					t.Errorf("submitted %v not before number assigned %v", d.SubmittedAt, d.KSeFNumberAssignedAt)
				}
				if got, ok := u.Document(d.KSeFNumber); !ok || got != d {
					t.Errorf("Document(%s) = %+v, %v", d.KSeFNumber, got, ok)
				}
			}
			if u.Signed {
				t.Error("Signed = true for an unsigned sample")
			}
			if _, ok := u.Document("0000000000-20250101-000000000000-00"); ok {
				t.Error("Document found a KSeF number that is not in the UPO")
			}
		})
	}
}

// TestMarshalRoundTrip checks that Marshal writes what Parse reads back.
func TestMarshalRoundTrip(t *testing.T) {
	for _, file := range sampleFiles(t) {
		u := parseSample(t, file)
		out, err := u.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := upo.Parse(out)
		if err != nil {
			t.Fatalf("%s: Parse(Marshal): %v\n%s", file, err, out)
		}
		if diff := cmp.Diff(u, back); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", file, diff)
		}
	}
}

// TestMarshalValidatesWithXmllint validates Marshal's output against the
// official XSD with libxml2. The schema fixes NazwaPodmiotuPrzyjmujacego, so
// the test uses the production value.
func TestMarshalValidatesWithXmllint(t *testing.T) {
	var cases []xsdtest.Case
	for _, file := range sampleFiles(t) {
		u := parseSample(t, file)
		u.ReceivingEntity = "Ministerstwo Finansów"
		out, err := u.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, xsdtest.Case{Name: file, Doc: out})
	}
	verdicts, _ := xsdtest.Xmllint(t, "xsd/upo/upo-v4-3.xsd", cases)
	for i, v := range verdicts {
		if !v.Valid {
			t.Errorf("%s: xmllint rejects Marshal output:\n%s\n%s", cases[i].Name, v.Output, cases[i].Doc)
		}
	}
}

const minimal = `<?xml version="1.0" encoding="utf-8"?>
<Potwierdzenie xmlns="http://upo.schematy.mf.gov.pl/KSeF/v4-3">
	<NazwaPodmiotuPrzyjmujacego>Ministerstwo Finansów</NazwaPodmiotuPrzyjmujacego>
	<NumerReferencyjnySesji>20250916-SO-2E5F1A0000-0A1B2C3D4E-11</NumerReferencyjnySesji>
	<Uwierzytelnienie>
		<IdKontekstu><Nip>5265877635</Nip></IdKontekstu>
		<NumerReferencyjnyTokenaKSeF>20250819-EC-1ECDD12000-5EE71AE5E3-B7</NumerReferencyjnyTokenaKSeF>
	</Uwierzytelnienie>
	<NazwaStrukturyLogicznej>Schemat_FA(3)_v1-0E.xsd</NazwaStrukturyLogicznej>
	<KodFormularza>FA (3)</KodFormularza>
	<Dokument>
		<NipSprzedawcy>5265877635</NipSprzedawcy>
		<NumerKSeFDokumentu>5265877635-20250916-0200A0D6723E-C2</NumerKSeFDokumentu>
		<NumerFaktury>FV 1/2025</NumerFaktury>
		<DataWystawieniaFaktury>2025-09-16</DataWystawieniaFaktury>
		<DataPrzeslaniaDokumentu>2025-09-16T11:05:40.841+02:00</DataPrzeslaniaDokumentu>
		<DataNadaniaNumeruKSeF>2025-09-16T11:05:41.045+02:00</DataNadaniaNumeruKSeF>
		<SkrotDokumentu>GZMGNVzs3krF6URKgvaw77OOeG3nJ+WGziT5xguliQ8=</SkrotDokumentu>
		<TrybWysylki>Offline</TrybWysylki>
	</Dokument>
</Potwierdzenie>`

func TestParseMinimal(t *testing.T) {
	u, err := upo.Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if u.IsSessionUPO() || len(u.Documents) != 1 || u.Documents[0].Mode != upo.ModeOffline ||
		u.Authentication.Context.String() != "Nip:5265877635" {
		t.Errorf("unexpected result %+v", u)
	}
	if _, off := u.Documents[0].SubmittedAt.Zone(); off != 2*3600 {
		t.Errorf("offset %d lost", off)
	}
}

func TestParseSigned(t *testing.T) {
	signed := strings.Replace(minimal, "</Potwierdzenie>",
		`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature></Potwierdzenie>`, 1)
	u, err := upo.Parse([]byte(signed))
	if err != nil {
		t.Fatal(err)
	}
	if !u.Signed {
		t.Error("Signed = false for a document with ds:Signature")
	}
	// An element named Signature in another namespace is not a signature.
	fake := strings.Replace(minimal, "</Potwierdzenie>", `<Signature/></Potwierdzenie>`, 1)
	if u, err := upo.Parse([]byte(fake)); err != nil || u.Signed {
		t.Errorf("Parse(fake signature) = %v, %v; want unsigned", u, err)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     error
	}{
		{"other namespace", Namespace43, "http://upo.schematy.mf.gov.pl/KSeF/v4-2", upo.ErrUnsupported},
		{"other root", "Potwierdzenie", "Faktura", upo.ErrInvalid},
		{"not xml", "<NumerFaktury>", "<NumerFaktury", upo.ErrInvalid},
		{"no session reference", "<NumerReferencyjnySesji>20250916-SO-2E5F1A0000-0A1B2C3D4E-11</NumerReferencyjnySesji>", "", upo.ErrInvalid},
		{"empty entity", "Ministerstwo Finansów", " ", upo.ErrInvalid},
		{"no context", "<Nip>5265877635</Nip>", "", upo.ErrInvalid},
		{"two contexts", "<Nip>5265877635</Nip>", "<Nip>5265877635</Nip><IdWewnetrzny>5265877635-12345</IdWewnetrzny>", upo.ErrInvalid},
		{"no auth reference", "<NumerReferencyjnyTokenaKSeF>20250819-EC-1ECDD12000-5EE71AE5E3-B7</NumerReferencyjnyTokenaKSeF>", "", upo.ErrInvalid},
		{"two auth references", "</NumerReferencyjnyTokenaKSeF>", "</NumerReferencyjnyTokenaKSeF><SkrotDokumentuUwierzytelniajacego>kyqH+QUgP8ATWd/95IY632mP4uqibwG66Oqclq9+qno=</SkrotDokumentuUwierzytelniajacego>", upo.ErrInvalid},
		{"no documents", "<Dokument>", "<X>", upo.ErrInvalid},
		{"bad KSeF number", "5265877635-20250916-0200A0D6723E-C2", "5265877635-20250916-0200A0D6723E", upo.ErrInvalid},
		{"bad NIP", "<NipSprzedawcy>5265877635", "<NipSprzedawcy>0265877635", upo.ErrInvalid},
		{"bad date", "2025-09-16</DataWystawieniaFaktury>", "16.09.2025</DataWystawieniaFaktury>", upo.ErrInvalid},
		{"date before 2006", "2025-09-16</DataWystawieniaFaktury>", "2005-12-31</DataWystawieniaFaktury>", upo.ErrInvalid},
		{"bad timestamp", "2025-09-16T11:05:40.841+02:00", "yesterday", upo.ErrInvalid},
		{"timestamp before KSeF", "2025-09-16T11:05:41.045+02:00", "2020-09-16T11:05:41.045+02:00", upo.ErrInvalid},
		{"short hash", "GZMGNVzs3krF6URKgvaw77OOeG3nJ+WGziT5xguliQ8=", "GZMGNVzs3krF6URKgvaw77OOeG3nJ", upo.ErrInvalid},
		{"hash not base64", "GZMGNVzs3krF6URKgvaw77OOeG3nJ+WGziT5xguliQ8=", "GZMGNVzs3krF6URKgvaw77OOeG3nJ+WGziT5xguliQ*=", upo.ErrInvalid},
		{"bad mode", "<TrybWysylki>Offline", "<TrybWysylki>Batch", upo.ErrInvalid},
		{"trailing element", "</Potwierdzenie>", "</Potwierdzenie><Potwierdzenie/>", upo.ErrInvalid},
		{"bad page", "<KodFormularza>", "<OpisPotwierdzenia><Strona>0</Strona><LiczbaStron>1</LiczbaStron><ZakresDokumentowOd>1</ZakresDokumentowOd><ZakresDokumentowDo>2</ZakresDokumentowDo><CalkowitaLiczbaDokumentow>1</CalkowitaLiczbaDokumentow></OpisPotwierdzenia><KodFormularza>", upo.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(minimal, tc.old, tc.new, 1)
			if doc == minimal {
				t.Fatalf("mutation %q did not apply", tc.old)
			}
			u, err := upo.Parse([]byte(doc))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %+v, %v; want %v", u, err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "upo: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// Namespace43 repeats upo.Namespace so that a typo in the constant would fail.
const Namespace43 = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"

func TestNamespaceConstant(t *testing.T) {
	if upo.Namespace != Namespace43 {
		t.Errorf("Namespace = %q", upo.Namespace)
	}
	xsd, err := os.ReadFile(testenv.SpecFile(t, "xsd/upo/upo-v4-3.xsd"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(xsd, []byte(`targetNamespace="`+upo.Namespace+`"`)) {
		t.Error("Namespace is not the XSD's targetNamespace")
	}
}

func TestDuplicateKSeFNumber(t *testing.T) {
	start := strings.Index(minimal, "<Dokument>")
	end := strings.Index(minimal, "</Dokument>") + len("</Dokument>")
	doc := minimal[:end] + minimal[start:end] + minimal[end:]
	if _, err := upo.Parse([]byte(doc)); !errors.Is(err, upo.ErrInvalid) {
		t.Fatalf("Parse(duplicate) err = %v", err)
	}
}

func globSamples(specDir string) []string {
	files, _ := filepath.Glob(filepath.Join(specDir, "samples", "upo", "v4-3", "*", "*.xml"))
	return files
}

func BenchmarkParse(b *testing.B) {
	data := []byte(minimal)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := upo.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// contextTypes maps the elements of IdKontekstu to the identifier types of
// Authentication.Context.
var contextTypes = map[string]ident.Type{
	"Nip":                   ident.TypeNip,
	"IdWewnetrzny":          ident.TypeInternalID,
	"IdZlozonyVatUE":        ident.TypeNipVatUe,
	"IdDostawcyUslugPeppol": ident.TypePeppolID,
}
