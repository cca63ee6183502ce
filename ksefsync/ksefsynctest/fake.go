// Package ksefsynctest provides a deterministic fake [ksefsync.Source] that
// follows KSeF's export rules (PermanentStorage dates, high-water mark,
// truncated packages, 429 with Retry-After) and generates its invoices from
// their index, so that it holds nothing in memory however many it serves,
// and a conformance suite for [ksefsync.Store] implementations.
package ksefsynctest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsync"
)

// Fake is a generated invoice set served the way KSeF exports it. Each
// (context, subject type) stream holds PerStream invoices; invoice i of a
// stream is stored permanently at Base + (i/SameInstant)·Step, so that
// SameInstant invoices share each instant (a truncated package's last
// instant comes again in the next one). Every SharedEvery-th invoice of a
// Subject2 stream is the same invoice (same KSeF number) as the one of the
// Subject1 stream of the next context, as when a company buys from
// another company the store serves.
type Fake struct {
	Contexts    []string
	PerStream   int
	Base        time.Time
	Step        time.Duration
	SameInstant int
	SharedEvery int
	// PackageSize is the most invoices of one package (KSeF: 10,000).
	PackageSize int
	// XMLSize is the approximate size of each invoice's XML in bytes.
	XMLSize int
	// Delay is the time spent on each invoice (to stretch a sync for crash
	// tests), slept every 10 invoices so that short delays stay accurate.
	Delay time.Duration
	// RateLimitEvery makes every n-th Fetch answer 429 with RetryAfter.
	RateLimitEvery int
	RetryAfter     time.Duration

	mu       sync.Mutex
	hwm      map[string]int // stream → invoices visible (below the HWM)
	fetches  int
	log      []Fetch
	inFlight map[string]int
	overlaps int
}

// Fetch is one entry of the fake's request log.
type Fetch struct {
	Stream string
	// From is the start of the window asked for.
	From       time.Time
	Start, End time.Time
	Invoices   int
	Limited    bool
}

// Expected is one invoice the fake holds: its stream and KSeF number.
type Expected struct {
	Context     string
	SubjectType ksef.InvoiceQuerySubjectType
	KSeFNumber  string
	Hash        [32]byte
}

func streamID(c string, st ksef.InvoiceQuerySubjectType) string { return c + "/" + string(st) }

// SetVisible makes only the first n invoices of every stream visible
// (stored up to the high-water mark; n rounded down to whole instants);
// the others arrive later. n < 0 makes all visible.
func (f *Fake) SetVisible(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hwm == nil {
		f.hwm = map[string]int{}
	}
	for _, c := range f.Contexts {
		for _, st := range ksefsync.SubjectTypes {
			if n < 0 || n >= f.PerStream {
				f.hwm[streamID(c, st)] = f.PerStream
			} else {
				f.hwm[streamID(c, st)] = n - n%f.same()
			}
		}
	}
}

func (f *Fake) visible(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hwm == nil {
		return f.PerStream
	}
	if n, ok := f.hwm[id]; ok {
		return n
	}
	return f.PerStream
}

func (f *Fake) same() int { return max(f.SameInstant, 1) }
func (f *Fake) step() time.Duration {
	if f.Step <= 0 {
		return time.Second
	}
	return f.Step
}

// date returns the PermanentStorage date of invoice i.
func (f *Fake) date(i int) time.Time {
	return f.Base.Add(time.Duration(i/f.same()) * f.step()).UTC()
}

// firstAt returns the index of the first invoice stored at or after t.
func (f *Fake) firstAt(t time.Time) int {
	if !t.After(f.Base) {
		return 0
	}
	d := t.Sub(f.Base)
	k := int(d / f.step())
	if time.Duration(k)*f.step() < d {
		k++
	}
	return k * f.same()
}

// lastAt returns the index after the last invoice stored at or before t.
func (f *Fake) lastAt(t time.Time) int {
	if t.Before(f.Base) {
		return 0
	}
	k := int(t.Sub(f.Base)/f.step()) + 1
	return k * f.same()
}

func (f *Fake) ctxIndex(c string) int {
	for i, x := range f.Contexts {
		if x == c {
			return i
		}
	}
	return -1
}

// number returns the KSeF number of invoice i of a stream, and the
// context and subject type whose invoice it is (its owner).
func (f *Fake) number(ci int, st ksef.InvoiceQuerySubjectType, i int) string {
	if st == ksef.InvoiceQuerySubjectTypeSubject2 && f.SharedEvery > 0 && i%f.SharedEvery == 0 && len(f.Contexts) > 1 {
		ci, st = (ci+1)%len(f.Contexts), ksef.InvoiceQuerySubjectTypeSubject1
	}
	stn := 0
	for j, x := range ksefsync.SubjectTypes {
		if x == st {
			stn = j
		}
	}
	d := f.date(i)
	return fmt.Sprintf("%s-%s-%06X-%06X-%02X", f.Contexts[ci], d.Format("20060102"), ci*4+stn, i, (ci*7+stn*3+i)%256)
}

// Invoice returns invoice i of a stream.
func (f *Fake) Invoice(c string, st ksef.InvoiceQuerySubjectType, i int) *ksefsync.Invoice {
	ci := f.ctxIndex(c)
	if st == ksef.InvoiceQuerySubjectTypeSubject2 && f.SharedEvery > 0 && i%f.SharedEvery == 0 && len(f.Contexts) > 1 {
		// the Subject1 invoice of the next context: it sells to c
		inv := f.Invoice(f.Contexts[(ci+1)%len(f.Contexts)], ksef.InvoiceQuerySubjectTypeSubject1, i)
		return inv
	}
	num := f.number(ci, st, i)
	d := f.date(i)
	seller, buyer := c, fmt.Sprintf("%010d", 1000000000+i)
	if st == ksef.InvoiceQuerySubjectTypeSubject2 {
		seller, buyer = buyer, c
	}
	net := float64(100+i%1000) + float64(i%100)/100
	xml := f.xml(num, seller, buyer, net)
	h := sha256.Sum256(xml)
	return &ksefsync.Invoice{
		Metadata: ksef.InvoiceMetadata{
			KSeFNumber:           num,
			InvoiceNumber:        fmt.Sprintf("FV/%d/%s", i, c),
			IssueDate:            d.Format(time.DateOnly),
			InvoicingDate:        d.Add(-time.Minute),
			AcquisitionDate:      d.Add(-30 * time.Second),
			PermanentStorageDate: d,
			Seller:               ksef.InvoiceMetadataSeller{Nip: seller, Name: "Sprzedawca " + seller},
			Buyer:                ksef.InvoiceMetadataBuyer{Identifier: ksef.InvoiceMetadataBuyerIdentifier{Type: "Nip", Value: buyer}, Name: "Nabywca " + buyer},
			NetAmount:            net,
			VatAmount:            float64(ksefsync.MinorUnits(net*0.23)) / 100,
			GrossAmount:          float64(ksefsync.MinorUnits(net)+ksefsync.MinorUnits(net*0.23)) / 100,
			Currency:             "PLN",
			InvoicingMode:        "Online",
			InvoiceType:          "Vat",
			FormCode:             ksef.FormCode{SystemCode: "FA (3)", SchemaVersion: "1-0E", Value: "FA"},
			InvoiceHash:          h[:],
		},
		XML: xml,
	}
}

func (f *Fake) xml(num, seller, buyer string, net float64) []byte {
	b := fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?><Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"><!-- %s --><Podmiot1><NIP>%s</NIP></Podmiot1><Podmiot2><NIP>%s</NIP></Podmiot2><Fa><P_13_1>%.2f</P_13_1>`, num, seller, buyer, net)
	for len(b) < f.XMLSize-20 {
		b = append(b, "<FaWiersz><P_7>Towar</P_7><P_8B>1</P_8B></FaWiersz>"...)
	}
	return append(b, "</Fa></Faktura>"...)
}

// Expected yields every invoice of every stream once.
func (f *Fake) Expected() iter.Seq[Expected] {
	return func(yield func(Expected) bool) {
		for _, c := range f.Contexts {
			for _, st := range ksefsync.SubjectTypes {
				for i := range f.visible(streamID(c, st)) {
					inv := f.Invoice(c, st, i)
					if !yield(Expected{Context: c, SubjectType: st, KSeFNumber: inv.Metadata.KSeFNumber, Hash: sha256.Sum256(inv.XML)}) {
						return
					}
				}
			}
		}
	}
}

// Log returns the request log.
func (f *Fake) Log() []Fetch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Fetch(nil), f.log...)
}

// Overlaps counts fetches that began while another fetch of the same
// stream was still being read.
func (f *Fake) Overlaps() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.overlaps
}

// Fetch serves one window the way a KSeF export does.
func (f *Fake) Fetch(ctx context.Context, w ksefsync.Window) (*ksefsync.Package, error) {
	id := streamID(w.Context, w.SubjectType)
	if f.ctxIndex(w.Context) < 0 {
		return nil, fmt.Errorf("fake: unknown context %s", w.Context)
	}
	f.mu.Lock()
	f.fetches++
	if f.RateLimitEvery > 0 && f.fetches%f.RateLimitEvery == 0 {
		f.log = append(f.log, Fetch{Stream: id, From: w.From, Start: time.Now(), End: time.Now(), Limited: true})
		f.mu.Unlock()
		return nil, &ksef.APIError{StatusCode: 429, Code: 429, Message: "Too many requests", RetryAfter: f.RetryAfter, Method: "POST", Path: "/invoices/exports"}
	}
	f.mu.Unlock()
	vis := f.visible(id)
	var hwm time.Time
	if vis > 0 {
		hwm = f.date(vis - 1) // visible invoices fill whole instants
	} else {
		hwm = f.Base.Add(-f.step())
	}
	if w.From.After(hwm) {
		return nil, fmt.Errorf("fake: export status 420: %w", ksefsync.ErrAheadOfHWM)
	}
	end := hwm
	if w.To != nil && w.To.Before(end) {
		end = *w.To
	}
	lo, hi := f.firstAt(w.From), min(f.lastAt(end), vis)
	pkg := &ksefsync.Package{PermanentStorageHwmDate: &hwm}
	size := f.PackageSize
	if size <= 0 {
		size = 10000
	}
	if hi-lo > size {
		hi = lo + size
		last := f.date(hi - 1)
		pkg.IsTruncated = true
		pkg.LastPermanentStorageDate = &last
	}
	start := time.Now()
	f.mu.Lock()
	if f.inFlight == nil {
		f.inFlight = map[string]int{}
	}
	if f.inFlight[id] > 0 {
		f.overlaps++
	}
	f.inFlight[id]++
	f.mu.Unlock()
	pkg.Invoices = func(yield func(*ksefsync.Invoice, error) bool) {
		n := 0
		defer func() {
			f.mu.Lock()
			f.inFlight[id]--
			f.log = append(f.log, Fetch{Stream: id, From: w.From, Start: start, End: time.Now(), Invoices: n})
			f.mu.Unlock()
		}()
		for i := lo; i < hi; i++ {
			if f.Delay > 0 && (i-lo)%10 == 0 {
				time.Sleep(10 * f.Delay)
			}
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			n++
			if !yield(f.Invoice(w.Context, w.SubjectType, i), nil) {
				return
			}
		}
	}
	return pkg, nil
}
