package ksef_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/ksefsim"
)

// validBuyerNIP is the buyer NIP of fa3Invoice.
const validBuyerNIP = "7773152431"

// badChecksum returns nip with a wrong check digit (still matching the
// schema's NIP pattern).
func badChecksum(t *testing.T, nip string) string {
	t.Helper()
	for d := '0'; d <= '9'; d++ {
		bad := nip[:9] + string(d)
		if _, err := ident.ParseNIP(bad); err != nil && ident.CheckNIPPattern(bad) == nil {
			return bad
		}
	}
	t.Fatalf("no bad checksum for %s", nip)
	return ""
}

// wantInvoiceStatus sends doc and checks that the invoice ends with the
// typed *StatusError of code, matching sentinel.
func wantInvoiceStatus(t *testing.T, s *ksef.OnlineSession, doc []byte, code ksef.InvoiceStatusCode, sentinel error) *ksef.StatusError {
	t.Helper()
	sent, err := s.SendInvoice(t.Context(), doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.WaitInvoice(t.Context(), sent.ReferenceNumber, fastWait)
	var se *ksef.StatusError
	if !errors.As(err, &se) || se.Code != int(code) || se.Operation != "invoice" || !errors.Is(err, sentinel) {
		t.Fatalf("invoice: %v, want status %d (%v)", err, code, sentinel)
	}
	return se
}

// TestE2EOnlineSemanticErrors is workflows §C 23: an invoice whose P_1
// lies after the day of acceptance ends with status 450; a party NIP with
// a bad checksum ends with 450 in a session opened with X-KSeF-Feature:
// subject-identifier-validation, and is accepted without the header (the
// simulator is TEST, where KSeF checks NIP checksums only on request;
// ksef-facts §7).
func TestE2EOnlineSemanticErrors(t *testing.T) {
	clock := ksefsim.NewManualClock(time.Now())
	sim, c, tp, _ := tapClient(t, ksefsim.WithClock(clock.Now))
	id, a := loginSeal(t, sim, c)
	ctx := t.Context()
	plain := openOrSkip(t, sim, a)
	bad := badChecksum(t, validBuyerNIP)
	withBadBuyer := func(number string) []byte {
		doc := fa3Invoice(t, id.NIP, number)
		out := bytes.Replace(doc, []byte("<NIP>"+validBuyerNIP+"</NIP>"), []byte("<NIP>"+bad+"</NIP>"), 1)
		if bytes.Equal(out, doc) {
			t.Fatal("buyer NIP not found in the invoice")
		}
		if err := fa3.ValidateBytes(out); err != nil {
			t.Fatalf("the invoice with a bad NIP checksum is not schema-valid: %v", err)
		}
		return out
	}

	t.Run("C23/P_1-after-acceptance", func(t *testing.T) {
		day := clock.Now().AddDate(0, 0, 2).Format(time.DateOnly)
		b, err := fa3.BuildXML(fa3.InvoiceParams{
			Number: "FV/C23/future", IssueDate: day, IssuePlace: "Warszawa", SaleDate: day, Created: clock.Now().Add(-time.Minute),
			Seller: fa3.Party{NIP: id.NIP, Name: "Sprzedawca S.A.", AddressLine1: "ul. Kwiatowa 1", AddressLine2: "00-001 Warszawa"},
			Buyer:  fa3.Party{NIP: validBuyerNIP, Name: "F.H.U. Jan Kowalski", AddressLine1: "ul. Polna 1", AddressLine2: "00-001 Warszawa"},
			Lines:  []fa3.Line{{Name: "Usługa", Unit: "szt.", Quantity: "1", UnitPrice: "100", Rate: "23"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		se := wantInvoiceStatus(t, plain, b, ksef.InvoiceStatusSemanticError, ksef.ErrInvoiceSemantic)
		if len(se.Details) == 0 || !strings.Contains(se.Details[0], day) {
			t.Errorf("details %q do not name the issue date %s", se.Details, day)
		}
	})
	t.Run("C23/bad-NIP-without-header", func(t *testing.T) {
		sendOK(t, plain, withBadBuyer("FV/C23/nip-plain"))
	})
	t.Run("C23/bad-NIP-with-header", func(t *testing.T) {
		v, err := a.Sessions.OpenOnline(ctx, ksef.FormFA3, &ksef.OpenOnlineParams{SubjectIdentifierValidation: true})
		if err != nil {
			t.Fatal(err)
		}
		if e := tp.last(t, http.MethodPost, "/sessions/online"); e.header.Get("X-KSeF-Feature") != "subject-identifier-validation" {
			t.Errorf("open sent X-KSeF-Feature %q", e.header.Values("X-KSeF-Feature"))
		}
		se := wantInvoiceStatus(t, v, withBadBuyer("FV/C23/nip-checked"), ksef.InvoiceStatusSemanticError, ksef.ErrInvoiceSemantic)
		if !strings.Contains(strings.Join(se.Details, " "), "Podmiot2") || !strings.Contains(strings.Join(se.Details, " "), bad) {
			t.Errorf("details %q do not name Podmiot2's NIP %s", se.Details, bad)
		}
		// Valid NIPs pass in the same session.
		sendOK(t, v, fa3Invoice(t, id.NIP, "FV/C23/nip-valid"))
		if err := v.Close(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if err := plain.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestE2EOnlineLintBeforeSending is workflows §C 35: invoice XML with a
// BOM, a processing instruction or a discouraged Unicode character is
// caught by the SDK's local check before sending (the Sender's default
// validator, fa3.ValidateBytes), with a clear error and no request; sent
// anyway, KSeF (the simulator) gives status 430.
func TestE2EOnlineLintBeforeSending(t *testing.T) {
	sim, c := simClient(t)
	id, a := loginSeal(t, sim, c)
	skipWithoutOnline(t, sim)
	ctx := t.Context()
	withPI := func(doc []byte) []byte {
		i := bytes.Index(doc, []byte("?>")) + 2
		return append(append(append([]byte(nil), doc[:i]...), "<?xml-stylesheet href=\"faktura.xsl\"?>"...), doc[i:]...)
	}
	cases := []struct {
		name, want string
		doc        []byte
	}{
		{"BOM", "BOM", append([]byte("\xEF\xBB\xBF"), fa3Invoice(t, id.NIP, "FV/C35/bom")...)},
		{"processing-instruction", "processing instruction", withPI(fa3Invoice(t, id.NIP, "FV/C35/pi"))},
		{"discouraged-character", "U+0080", bytes.Replace(fa3Invoice(t, id.NIP, "FV/C35/u80"), []byte("Usługa"), []byte("Usługa\u0080"), 1)},
	}
	docs := make([][]byte, len(cases))
	for i, tc := range cases {
		docs[i] = tc.doc
	}
	send := ksef.OpOnlineSessionSendInvoice.String()
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Wait: fastWait}
	outs, err := snd.Send(ctx, ksefsend.Bytes(docs...))
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		t.Run("C35/local/"+tc.name, func(t *testing.T) {
			o := outs[i]
			if o.Kind != ksefsend.Invalid || o.Err == nil || !strings.Contains(o.Err.Error(), tc.want) {
				t.Errorf("outcome %s %v, want Invalid naming %q", o.Kind, o.Err, tc.want)
			}
			t.Logf("local error: %v", o.Err)
		})
	}
	if n := sim.Calls(send); n != 0 {
		t.Errorf("%d invoices sent; the local check must stop them all", n)
	}
	s := openOrSkip(t, sim, a)
	for _, tc := range cases {
		t.Run("C35/sent-anyway/"+tc.name, func(t *testing.T) {
			se := wantInvoiceStatus(t, s, tc.doc, ksef.InvoiceStatusSchemaError, ksef.ErrInvoiceSchema)
			t.Logf("KSeF: %v", se)
		})
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
