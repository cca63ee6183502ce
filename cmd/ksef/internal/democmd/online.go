package democmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/upo"
	"github.com/ksef2/ksef/visual"
)

// demoOnline is what the online steps of the demo hand on to each other.
type demoOnline struct {
	second     []byte   // the second invoice's XML
	numbers    []string // KSeF numbers of the two invoices
	sessionRef string
	upo        *upo.UPO
}

// demoWait polls quickly: the embedded simulator answers at once.
var demoWait = &ksef.WaitOptions{MinDelay: 20 * time.Millisecond, MaxDelay: 500 * time.Millisecond}

// sender returns a Sender of FA (3) invoices with the KSeF token's session
// (its token has the InvoiceWrite permission).
func (s *demoState) sender() *ksefsend.Sender {
	return &ksefsend.Sender{Sessions: s.tokenSess.Sessions, Form: ksef.FormFA3, Concurrency: 2, Wait: demoWait}
}

func stepSendOnline(ctx context.Context, s *demoState) (facts, error) {
	if s.inv.xml == nil || s.tokenSess == nil {
		return nil, errors.New("no invoice or no session")
	}
	p := s.inv.params
	p.Number += "/2"
	p.Lines = []fa3.Line{{Name: "Licencja roczna", Unit: "szt.", Quantity: "1", UnitPrice: "1200.00", Rate: "23"}}
	second, err := fa3.BuildXML(p)
	if err != nil {
		return nil, err
	}
	s.online.second = second
	file, err := s.writeDemoFile("faktura-2.xml", second)
	if err != nil {
		return nil, err
	}
	outs, err := s.sender().Send(ctx, ksefsend.Bytes(s.inv.xml, second))
	if err != nil {
		return nil, err
	}
	fs := facts{{"second invoice", p.Number + ", " + file}}
	for i, o := range outs {
		if o.Kind != ksefsend.Registered {
			return fs, fmt.Errorf("invoice %d: %s: %v", i+1, o.Kind, o.Err)
		}
		s.online.numbers = append(s.online.numbers, o.KSeFNumber)
		s.online.sessionRef = o.SessionReferenceNumber
		fs = append(fs, fact{fmt.Sprintf("invoice %d KSeF number", i+1), o.KSeFNumber})
	}
	if outs[0].SessionReferenceNumber != outs[1].SessionReferenceNumber {
		return fs, errors.New("the two invoices went to different sessions")
	}
	return append(facts{{"online session", s.online.sessionRef + " (opened, both sent, closed)"}}, fs...), nil
}

func stepUPO(ctx context.Context, s *demoState) (facts, error) {
	if len(s.online.numbers) != 2 {
		return nil, errors.New("no invoices sent")
	}
	st, err := s.tokenSess.Sessions.WaitSession(ctx, s.online.sessionRef, demoWait)
	if err != nil {
		return nil, err
	}
	if st.Upo == nil || len(st.Upo.Pages) == 0 {
		return nil, errors.New("the processed session lists no UPO page")
	}
	data, err := s.tokenSess.Sessions.UPO(ctx, s.online.sessionRef, st.Upo.Pages[0].ReferenceNumber)
	if err != nil {
		return nil, err
	}
	u, cert, err := upo.Verify(data)
	if err != nil {
		return nil, fmt.Errorf("the UPO's signature does not verify: %w", err)
	}
	for _, n := range s.online.numbers {
		if _, ok := u.Document(n); !ok {
			return nil, fmt.Errorf("the UPO does not confirm %s", n)
		}
	}
	s.online.upo = u
	file, err := s.writeDemoFile("upo.xml", data)
	if err != nil {
		return nil, err
	}
	return facts{
		{"session status", fmt.Sprintf("%d %s", st.Status.Code, st.Status.Description)},
		{"UPO page", st.Upo.Pages[0].ReferenceNumber},
		{"signature", "valid (XAdES), signed by " + cert.Subject.String()},
		{"documents", fmt.Sprintf("%d, both KSeF numbers confirmed", len(u.Documents))},
		{"XML file", file},
	}, nil
}

func stepRenderUPO(_ context.Context, s *demoState) (facts, error) {
	if s.online.upo == nil {
		return nil, errors.New("no UPO")
	}
	pdf, err := visual.UPOPDF(s.online.upo)
	if err != nil {
		return nil, err
	}
	var html bytes.Buffer
	if err := visual.RenderUPOHTML(&html, s.online.upo); err != nil {
		return nil, err
	}
	var fs facts
	for _, f := range []struct {
		label, name string
		data        []byte
	}{{"PDF file", "upo.pdf", pdf}, {"HTML file", "upo.html", html.Bytes()}} {
		d, err := s.writeDemoFile(f.name, f.data)
		if err != nil {
			return fs, err
		}
		fs = append(fs, fact{f.label, d})
	}
	return fs, nil
}

func stepResend(ctx context.Context, s *demoState) (facts, error) {
	if len(s.online.numbers) != 2 {
		return nil, errors.New("no invoices sent")
	}
	outs, err := s.sender().Send(ctx, ksefsend.Bytes(s.inv.xml))
	if err != nil {
		return nil, err
	}
	o := outs[0]
	fs := facts{{"outcome", o.Kind.String() + " (KSeF status 440: already in KSeF; treated as success)"}}
	if o.Kind != ksefsend.Duplicate || o.Duplicate == nil {
		return fs, fmt.Errorf("re-sending gave %s (%v), want a duplicate", o.Kind, o.Err)
	}
	if o.KSeFNumber != s.online.numbers[0] || o.Duplicate.OriginalSessionReferenceNumber != s.online.sessionRef {
		return fs, fmt.Errorf("re-sending gave %s of session %s, want the original %s of %s",
			o.KSeFNumber, o.Duplicate.OriginalSessionReferenceNumber, s.online.numbers[0], s.online.sessionRef)
	}
	return append(fs,
		fact{"new session", o.SessionReferenceNumber},
		fact{"original KSeF number", o.KSeFNumber + " (the same as at the first send)"},
		fact{"original session", o.Duplicate.OriginalSessionReferenceNumber}), nil
}
