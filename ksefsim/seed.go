package ksefsim

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/ident"
)

// SeedParams describes invoices to put straight into the simulator's
// invoice repository with [Simulator.SeedInvoices], as if they had been
// sent and accepted: for trying download, metadata queries and exports at
// scale without sending tens of thousands of invoices first.
type SeedParams struct {
	// Count is the number of invoices (required, at most 1,000,000).
	Count int
	// SellerNIP is the seller (Podmiot1) of every invoice; empty picks a
	// random NIP. Log in to this NIP's context to see them as Subject1.
	SellerNIP string
	// BuyerNIP is the buyer (Podmiot2); empty picks a random NIP. Log in to
	// its context to see them as Subject2.
	BuyerNIP string
	// From and To bound the acceptance (and permanent storage) dates, which
	// are spread evenly over [From, To]; zero To is the simulator's time,
	// zero From is To minus 30 days.
	From, To time.Time
	// NumberPrefix starts every invoice number (P_2); default "SEED/".
	NumberPrefix string
}

// SeedResult describes what [Simulator.SeedInvoices] added.
type SeedResult struct {
	// SellerNIP and BuyerNIP are the parties of every seeded invoice.
	SellerNIP, BuyerNIP string
	// KSeFNumbers are the numbers assigned, in acceptance order.
	KSeFNumbers []string
	// From and To are the first and last acceptance dates.
	From, To time.Time
}

// seedTemplate is an FA(3) invoice with placeholders for the invoice
// number and dates, built once per amount.
type seedTemplate struct {
	doc []byte
	// segs is doc cut at its placeholders: literal text and, where a
	// placeholder stood, its index in seedPlaceholders (render appends the
	// values instead of running a strings.Replacer per invoice).
	segs  []seedSegment
	size  int // the literal bytes of segs
	net   float64
	vat   float64
	gross float64
}

const (
	seedNumber = "@@SEED-NUMBER@@"
	seedDay    = "2025-10-15"
)

// seedPlaceholders are replaced by render's arguments in this order:
// seller NIP, buyer NIP, invoice number, issue day.
var seedPlaceholders = [...]string{"1111111111", "2222222222", seedNumber, seedDay}

// seedSegment is literal text (ph < 0) or placeholder ph.
type seedSegment struct {
	lit string
	ph  int
}

// cutPlaceholders cuts doc at every placeholder, scanning left to right and
// trying the placeholders in order at each position (as strings.Replacer
// does).
func cutPlaceholders(doc []byte) (segs []seedSegment, size int) {
	s := string(doc)
	start := 0
	for i := 0; i < len(s); {
		ph := -1
		for k, p := range seedPlaceholders {
			if strings.HasPrefix(s[i:], p) {
				ph = k
				break
			}
		}
		if ph < 0 {
			i++
			continue
		}
		if i > start {
			segs = append(segs, seedSegment{lit: s[start:i], ph: -1})
			size += i - start
		}
		segs = append(segs, seedSegment{ph: ph})
		i += len(seedPlaceholders[ph])
		start = i
	}
	if start < len(s) {
		segs = append(segs, seedSegment{lit: s[start:], ph: -1})
		size += len(s) - start
	}
	return segs, size
}

var seedTemplates = sync.OnceValues(func() ([]*seedTemplate, error) {
	var out []*seedTemplate
	for i, price := range []int{100, 250, 999, 1200, 37, 5000, 10, 860} {
		p := fa3.InvoiceParams{
			Number: seedNumber, IssueDate: seedDay, SaleDate: seedDay, IssuePlace: "Warszawa",
			Created: time.Date(2025, 10, 1, 8, 0, 0, 0, time.UTC),
			Seller:  fa3.Party{NIP: "1111111111", Name: "Sprzedawca Seed Sp. z o.o.", AddressLine1: "ul. Testowa 1", AddressLine2: "00-001 Warszawa"},
			Buyer:   fa3.Party{NIP: "2222222222", Name: "Nabywca Seed S.A.", AddressLine1: "ul. Polna 2", AddressLine2: "00-002 Warszawa"},
			Lines:   []fa3.Line{{Name: "Usługa nr " + strconv.Itoa(i+1), Unit: "szt.", Quantity: "1", UnitPrice: fa3.Decimal(strconv.Itoa(price)), Rate: "23"}},
		}
		doc, err := fa3.BuildXML(p)
		if err != nil {
			return nil, fmt.Errorf("ksefsim: seed template: %w", err)
		}
		net := float64(price)
		vat := round2(net * 0.23)
		segs, size := cutPlaceholders(doc)
		out = append(out, &seedTemplate{doc: doc, segs: segs, size: size, net: net, vat: vat, gross: round2(net + vat)})
	}
	return out, nil
})

// render returns the template's XML for one invoice.
func (t *seedTemplate) render(seller, buyer, number, day string) []byte {
	vals := [len(seedPlaceholders)]string{seller, buyer, number, day}
	n := t.size
	for _, sg := range t.segs {
		if sg.ph >= 0 {
			n += len(vals[sg.ph])
		}
	}
	out := make([]byte, 0, n)
	for _, sg := range t.segs {
		if sg.ph >= 0 {
			out = append(out, vals[sg.ph]...)
		} else {
			out = append(out, sg.lit...)
		}
	}
	return out
}

// SeedInvoices adds p.Count accepted FA(3) invoices of one seller and one
// buyer to the invoice repository, with KSeF numbers and metadata as if
// they had been sent in online sessions. Their XML is schema-valid and is
// generated on demand, so that a simulator holds hundreds of thousands of
// them in little memory. Seeded invoices are visible at once (the
// permanent-storage delay applies from their storage date).
func (s *Simulator) SeedInvoices(p SeedParams) (*SeedResult, error) {
	if p.Count <= 0 || p.Count > 1_000_000 {
		return nil, errors.New("ksefsim: SeedInvoices: Count must be 1-1000000")
	}
	tmpls, err := seedTemplates()
	if err != nil {
		return nil, err
	}
	seller, buyer := p.SellerNIP, p.BuyerNIP
	if seller == "" {
		seller = string(ident.RandomNIP(nil))
	}
	if buyer == "" {
		buyer = string(ident.RandomNIP(nil))
	}
	for _, n := range []string{seller, buyer} {
		if err := ident.NIP(n).Validate(); err != nil {
			return nil, fmt.Errorf("ksefsim: SeedInvoices: %w", err)
		}
	}
	to := p.To
	if to.IsZero() {
		to = s.now()
	}
	from := p.From
	if from.IsZero() {
		from = to.Add(-30 * 24 * time.Hour)
	}
	if to.Before(from) {
		return nil, errors.New("ksefsim: SeedInvoices: To before From")
	}
	prefix := p.NumberPrefix
	if prefix == "" {
		prefix = "SEED/"
	}
	step := time.Duration(0)
	if p.Count > 1 {
		step = to.Sub(from) / time.Duration(p.Count-1)
	}
	res := &SeedResult{SellerNIP: seller, BuyerNIP: buyer, KSeFNumbers: make([]string, 0, p.Count)}
	form, _ := lookupForm(ksef.FormCode{SystemCode: "FA (3)", SchemaVersion: "1-0E", Value: "FA"})
	batch := make([]*storedInvoice, 0, p.Count)
	for i := range p.Count {
		at := from.Add(step * time.Duration(i)).UTC().Truncate(time.Millisecond)
		t := tmpls[i%len(tmpls)]
		local := at.In(warsaw())
		day := local.Format(time.DateOnly)
		number := prefix + strconv.Itoa(i+1)
		doc := t.render(seller, buyer, number, day)
		ks := newKSeFNumber(seller, at)
		md := ksef.InvoiceMetadata{
			KSeFNumber:           ks,
			InvoiceNumber:        number,
			IssueDate:            day,
			InvoicingDate:        at.Add(-time.Second),
			AcquisitionDate:      at,
			PermanentStorageDate: at,
			Seller:               ksef.InvoiceMetadataSeller{Nip: seller, Name: "Sprzedawca Seed Sp. z o.o."},
			Buyer: ksef.InvoiceMetadataBuyer{
				Identifier: ksef.InvoiceMetadataBuyerIdentifier{Type: "Nip", Value: buyer},
				Name:       "Nabywca Seed S.A.",
			},
			NetAmount: t.net, VatAmount: t.vat, GrossAmount: t.gross,
			Currency:      "PLN",
			InvoicingMode: "Online",
			InvoiceType:   ksef.InvoiceTypeVat,
			FormCode:      form.code,
			InvoiceHash:   hashOf(doc),
		}
		batch = append(batch, &storedInvoice{
			md:        md,
			render:    func() []byte { return t.render(seller, buyer, number, day) },
			visibleAt: at.Add(s.cfg.storageDelay),
		})
		res.KSeFNumbers = append(res.KSeFNumbers, ks)
	}
	res.From, res.To = batch[0].md.AcquisitionDate, batch[len(batch)-1].md.AcquisitionDate
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st.invoices()
	sorted := len(st.all) == 0 || !storageLess(batch[0], st.all[len(st.all)-1])
	for _, inv := range batch {
		if st.byKSeF[inv.md.KSeFNumber] == nil {
			st.byKSeF[inv.md.KSeFNumber] = inv
			st.all = append(st.all, inv)
		}
	}
	if !sorted {
		sort.Slice(st.all, func(i, j int) bool { return storageLess(st.all[i], st.all[j]) })
	}
	return res, nil
}
