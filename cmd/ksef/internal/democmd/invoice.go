package democmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicefile"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/qr"
	"github.com/ksef2/ksef/visual"
)

// demoInvoice is what the invoice steps of the demo hand on to each other.
type demoInvoice struct {
	params fa3.InvoiceParams
	xml    []byte
	view   *visual.Invoice
	link   *qr.InvoiceLink
	dir    string // output directory
}

// demoLines are the lines of the demo invoice: two VAT rates.
var demoLines = []fa3.Line{
	{Name: "Usługa programistyczna", Unit: "h", Quantity: "12", UnitPrice: "180.00", Rate: "23"},
	{Name: "Szkolenie stacjonarne", Unit: "szt.", Quantity: "3", UnitPrice: "415.50", Rate: "8"},
}

// outputDir returns the directory for the demo's files: --out-dir
// (created when missing), or a new temporary directory.
func (s *demoState) outputDir() (string, error) {
	if s.inv.dir != "" {
		return s.inv.dir, nil
	}
	var err error
	if s.outDir != "" {
		err = os.MkdirAll(s.outDir, 0o755)
		s.inv.dir = s.outDir
	} else {
		s.inv.dir, err = os.MkdirTemp("", "ksef-demo-")
	}
	if err != nil {
		s.inv.dir = ""
		return "", fmt.Errorf("cannot create the output directory: %w", err)
	}
	return s.inv.dir, nil
}

// writeDemoFile writes data to name in the output directory and describes
// the result as "PATH (N bytes)".
func (s *demoState) writeDemoFile(name string, data []byte) (string, error) {
	dir, err := s.outputDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s (%d bytes)", p, len(data)), nil
}

func stepBuildInvoice(_ context.Context, s *demoState) (facts, error) {
	if s.nip == "" {
		return nil, errors.New("no seller NIP")
	}
	buyer := string(ksef.RandomNIP(nil))
	for buyer == s.nip {
		buyer = string(ksef.RandomNIP(nil))
	}
	now := time.Now()
	p := fa3.InvoiceParams{
		Number:    "FV/DEMO/" + now.Format("20060102-150405"),
		IssueDate: now.Format(time.DateOnly),
		Seller:    fa3.Party{NIP: s.nip, Name: "Demo Sprzedawca sp. z o.o.", AddressLine1: "ul. Przykładowa 1", AddressLine2: "00-950 Warszawa"},
		Buyer:     fa3.Party{NIP: buyer, Name: "Demo Nabywca S.A.", AddressLine1: "ul. Testowa 2", AddressLine2: "30-001 Kraków"},
		Lines:     demoLines,
	}
	doc, err := fa3.BuildXML(p)
	if err != nil {
		return nil, invoicefile.DescribeError("demo invoice", err)
	}
	view, err := visual.FromFA3(doc)
	if err != nil {
		return nil, err
	}
	s.inv.params, s.inv.xml, s.inv.view = p, doc, view
	rates := make([]string, len(p.Lines))
	for i, l := range p.Lines {
		rates[i] = string(l.Rate) + "%"
	}
	fs := facts{
		{"invoice number", p.Number},
		{"issue date", p.IssueDate},
		{"seller NIP", s.nip},
		{"buyer NIP", buyer + " (random)"},
		{"lines", fmt.Sprintf("%d, VAT %s", len(p.Lines), strings.Join(rates, " and "))},
		{"net", view.Totals.Net + " PLN"},
		{"VAT", view.Totals.VAT + " PLN"},
		{"gross", view.Totals.Gross + " PLN"},
	}
	// The totals printed on the invoice must be those of its lines.
	net, vat, err := lineTotals(p.Lines)
	if err != nil {
		return fs, err
	}
	gross := new(big.Rat).Add(net, vat)
	for _, c := range []struct {
		name string
		got  string
		want *big.Rat
	}{{"net", view.Totals.Net, net}, {"VAT", view.Totals.VAT, vat}, {"gross", view.Totals.Gross, gross}} {
		got, ok := new(big.Rat).SetString(c.got)
		if !ok || got.Cmp(c.want) != 0 {
			return fs, fmt.Errorf("the invoice's %s total is %q, want %s", c.name, c.got, c.want.FloatString(2))
		}
	}
	file, err := s.writeDemoFile("faktura.xml", doc)
	if err != nil {
		return fs, err
	}
	return append(fs, fact{"XML file", file}), nil
}

// lineTotals computes the net total of lines and their VAT, rounded to
// grosze per rate, independently of the invoice builder.
func lineTotals(lines []fa3.Line) (net, vat *big.Rat, err error) {
	net, vat = new(big.Rat), new(big.Rat)
	perRate := map[string]*big.Rat{}
	var order []string
	for _, l := range lines {
		q, ok1 := new(big.Rat).SetString(string(l.Quantity))
		p, ok2 := new(big.Rat).SetString(string(l.UnitPrice))
		r, ok3 := new(big.Rat).SetString(string(l.Rate))
		if !ok1 || !ok2 || !ok3 {
			return nil, nil, fmt.Errorf("line %q: not a number", l.Name)
		}
		v := roundGrosze(new(big.Rat).Mul(q, p))
		net.Add(net, v)
		key := r.RatString()
		if perRate[key] == nil {
			perRate[key] = new(big.Rat)
			order = append(order, key)
		}
		perRate[key].Add(perRate[key], v)
	}
	for _, k := range order {
		r, _ := new(big.Rat).SetString(k)
		tax := new(big.Rat).Mul(perRate[k], r)
		vat.Add(vat, roundGrosze(tax.Quo(tax, big.NewRat(100, 1))))
	}
	return net, vat, nil
}

// roundGrosze rounds a non-negative amount half up to 2 decimal places.
func roundGrosze(x *big.Rat) *big.Rat {
	c := new(big.Rat).Mul(x, big.NewRat(100, 1))
	c.Add(c, big.NewRat(1, 2))
	n := new(big.Int).Quo(c.Num(), c.Denom())
	return new(big.Rat).SetFrac(n, big.NewInt(100))
}

func stepValidateInvoice(_ context.Context, s *demoState) (facts, error) {
	if s.inv.xml == nil {
		return nil, errors.New("no invoice")
	}
	if err := fa3.ValidateBytes(s.inv.xml); err != nil {
		return nil, invoicefile.DescribeError("demo invoice", err)
	}
	return facts{
		{"schema", "FA (3), " + fa3.Namespace},
		{"result", fmt.Sprintf("valid (%d bytes, checked offline)", len(s.inv.xml))},
	}, nil
}

func stepInvoiceLink(_ context.Context, s *demoState) (facts, error) {
	if s.inv.xml == nil {
		return nil, errors.New("no invoice")
	}
	day, err := time.Parse(time.DateOnly, s.inv.params.IssueDate)
	if err != nil {
		return nil, err
	}
	// The simulator serves no QR verification pages: the link uses the
	// QR host of the KSeF TEST environment.
	link, err := qr.NewInvoiceLink(qr.TestHost, s.nip, day, s.inv.xml)
	if err != nil {
		return nil, err
	}
	if err := link.Verify(s.inv.xml); err != nil {
		return nil, err
	}
	s.inv.link = link
	return facts{
		{"KOD I", link.String()},
		{"QR host", qr.TestHost + " (KSeF TEST environment; the simulator has no QR host)"},
		{"invoice hash", link.Hash + " (SHA-256 of faktura.xml)"},
		{"label", qr.InvoiceLabel("")},
	}, nil
}

func stepRenderInvoice(_ context.Context, s *demoState) (facts, error) {
	if s.inv.view == nil || s.inv.link == nil {
		return nil, errors.New("no invoice or no KOD I")
	}
	inv := *s.inv.view
	inv.VerificationLink = s.inv.link.String()
	pdf, err := visual.InvoicePDF(&inv)
	if err != nil {
		return nil, err
	}
	var html bytes.Buffer
	if err := visual.RenderInvoiceHTML(&html, &inv); err != nil {
		return nil, err
	}
	dir, err := s.outputDir()
	if err != nil {
		return nil, err
	}
	fs := facts{{"output directory", dir}}
	for _, f := range []struct {
		label, name string
		data        []byte
	}{{"PDF file", "faktura.pdf", pdf}, {"HTML file", "faktura.html", html.Bytes()}} {
		d, err := s.writeDemoFile(f.name, f.data)
		if err != nil {
			return fs, err
		}
		fs = append(fs, fact{f.label, d})
	}
	return fs, nil
}
