package visual_test

import (
	"bytes"
	stdhtml "html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/upo"
	"github.com/ksef2/ksef/visual"
)

func sampleUPOs(t *testing.T) map[string]*upo.UPO {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testenv.SpecFile(t, "samples/upo/v4-3"), "*", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample UPOs: %v", err)
	}
	out := map[string]*upo.UPO{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		u, err := upo.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".xml")] = u
	}
	return out
}

func TestUPORender(t *testing.T) {
	for name, u := range sampleUPOs(t) {
		t.Run(name, func(t *testing.T) {
			var html, pdf bytes.Buffer
			if err := visual.RenderUPOHTML(&html, u); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".html", html.Bytes())
			if err := visual.RenderUPOPDF(&pdf, u); err != nil {
				t.Fatal(err)
			}
			again, err := visual.UPOPDF(u)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pdf.Bytes(), again) {
				t.Error("two renders of the same UPO differ")
			}
			text := pdfText(t, pdf.Bytes())
			wants := []string{"Urzędowe Poświadczenie Odbioru", u.SessionReferenceNumber, u.Authentication.Context.Value, u.FormCode}
			for _, d := range u.Documents {
				wants = append(wants, d.KSeFNumber, d.InvoiceNumber, d.DocumentHash, d.SellerNIP,
					d.KSeFNumberAssignedAt.Format("2006-01-02 15:04:05 -07:00"))
			}
			for _, want := range wants {
				if !strings.Contains(text, want) {
					t.Errorf("UPO PDF text lacks %q", want)
				}
				if !strings.Contains(stdhtml.UnescapeString(html.String()), want) {
					t.Errorf("UPO HTML lacks %q", want)
				}
			}
			if name == "upo-sesja-kontekst-id-nip" {
				golden(t, name+".pdf", pdf.Bytes())
			}
		})
	}
}
