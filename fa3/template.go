package fa3

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ksef2/ksef/ident"
)

// Template is an FA(3) invoice written as XML with placeholders: a name
// between two hash signs, "#nip#", "#invoice_number#", as in the sample
// templates of the official KSeF documentation and the InvoiceFactory of
// the Python ksef2 SDK. A placeholder may stand anywhere in text or
// attribute values, also inside a longer value ("FA/#invoice_number#/2026").
// Names are ASCII letters, digits and underscores, starting with a letter
// or underscore; any other use of "#" is left as it is.
type Template struct {
	src   []byte
	names []string
}

// placeholderRE matches #name# placeholders.
var placeholderRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`#([A-Za-z_][A-Za-z0-9_]*)#`) })

// TemplateError reports placeholders of a template without a value and
// values for placeholders the template does not have.
type TemplateError struct {
	Missing []string // placeholders without a value
	Unknown []string // values for placeholders the template lacks
}

// Error lists the missing and unknown placeholders.
func (e *TemplateError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "no value for placeholder "+hashNames(e.Missing))
	}
	if len(e.Unknown) > 0 {
		parts = append(parts, "template has no placeholder "+hashNames(e.Unknown))
	}
	return "fa3: template: " + strings.Join(parts, "; ")
}

func hashNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "#" + n + "#"
	}
	return strings.Join(q, ", ")
}

// ParseTemplate reads a template: it must be well-formed XML whose root is
// the Faktura element of the FA(3) namespace. Placeholders are found but not
// checked against the schema until [Template.Fill].
func ParseTemplate(tmpl []byte) (*Template, error) {
	dec := xml.NewDecoder(bytes.NewReader(tmpl))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil, errors.New("fa3: template: no root element")
		}
		if err != nil {
			return nil, fmt.Errorf("fa3: template: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Space != Namespace || se.Name.Local != "Faktura" {
				return nil, fmt.Errorf("fa3: template: root element is {%s}%s, not an FA(3) invoice ({%s}Faktura)",
					se.Name.Space, se.Name.Local, Namespace)
			}
			break
		}
	}
	t := &Template{src: tmpl}
	for _, m := range placeholderRE().FindAllSubmatch(tmpl, -1) {
		if n := string(m[1]); !slices.Contains(t.names, n) {
			t.names = append(t.names, n)
		}
	}
	return t, nil
}

// Placeholders returns the names of the template's placeholders (without
// the hash signs) in order of first appearance.
func (t *Template) Placeholders() []string { return slices.Clone(t.names) }

// Fill substitutes values (keyed by placeholder name, without hash signs;
// values are XML-escaped) and validates the result. It fails with a
// *[TemplateError] when a placeholder has no value or a value has no
// placeholder, and with a *[ValidationError] listing the schema violations
// of the filled invoice.
func (t *Template) Fill(values map[string]string) ([]byte, error) {
	te := &TemplateError{}
	for _, n := range t.names {
		if _, ok := values[n]; !ok {
			te.Missing = append(te.Missing, n)
		}
	}
	for n := range values {
		if !slices.Contains(t.names, n) {
			te.Unknown = append(te.Unknown, n)
		}
	}
	if len(te.Missing) > 0 || len(te.Unknown) > 0 {
		slices.Sort(te.Unknown)
		return nil, te
	}
	out := placeholderRE().ReplaceAllFunc(t.src, func(m []byte) []byte {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(values[string(m[1:len(m)-1])]))
		return b.Bytes()
	})
	if err := ValidateBytes(out); err != nil {
		return nil, err
	}
	return out, nil
}

// TemplateOptions control the default values of [Template.Defaults].
type TemplateOptions struct {
	// Rand is the source of random NIPs and numbers; nil uses the global
	// generator of math/rand/v2.
	Rand *rand.Rand
	// Now is the current time for dates and numbers; zero means time.Now.
	Now time.Time
}

// invoiceSeq numbers the default invoice numbers of this process; it
// starts at a random value so that two processes started in the same
// second are unlikely to collide.
var invoiceSeq = sync.OnceValue(func() *atomic.Uint64 {
	var c atomic.Uint64
	c.Store(rand.Uint64N(1_000_000))
	return &c
})

func nextInvoiceSeq() int { return int(invoiceSeq().Add(1) % 1_000_000) }

// Defaults returns default values for the template's placeholders that
// have a conventional meaning, for test invoices:
//
//   - a NIP ("nip", "supplier_nip", "buyer_nip", "nipOdbiorca",
//     "selfInvocingNip" and any other name containing "nip"): a random
//     valid NIP, different for each name;
//   - "invoice_number": the time and six digits; without opts.Rand the digits
//     come from a counter with a random start, so a process gets no repeated
//     number within a million calls (with opts.Rand they are random);
//   - "issue_date", "invoicing_date", "invoice_date", "sale_date": today
//     (YYYY-MM-DD, UTC); "due_date": today plus 14 days;
//   - "ksef_number": a KSeF number with a valid checksum for the seller's
//     NIP ("nip" or "supplier_nip") and today.
//
// Placeholders not listed here get no default.
func (t *Template) Defaults(opts *TemplateOptions) map[string]string {
	var o TemplateOptions
	if opts != nil {
		o = *opts
	}
	intN := rand.IntN
	if o.Rand != nil {
		intN = o.Rand.IntN
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	out := map[string]string{}
	used := map[string]bool{}
	for _, n := range t.names {
		if strings.Contains(strings.ToLower(n), "nip") {
			for {
				nip := string(ident.RandomNIP(o.Rand))
				if !used[nip] {
					used[nip] = true
					out[n] = nip
					break
				}
			}
		}
	}
	for _, n := range t.names {
		switch n {
		case "invoice_number":
			var seq int
			if o.Rand != nil {
				seq = intN(1_000_000)
			} else {
				seq = nextInvoiceSeq()
			}
			out[n] = fmt.Sprintf("%s-%06d", now.Format("20060102T150405"), seq)
		case "issue_date", "invoicing_date", "invoice_date", "sale_date":
			out[n] = now.Format(time.DateOnly)
		case "due_date":
			out[n] = now.AddDate(0, 0, 14).Format(time.DateOnly)
		case "ksef_number":
			seller := out["nip"]
			if seller == "" {
				seller = out["supplier_nip"]
			}
			if seller == "" {
				seller = string(ident.RandomNIP(o.Rand))
			}
			out[n] = string(ident.NewKSeFNumber(ident.NIP(seller), now, o.Rand))
		}
	}
	return out
}

// FromTemplate fills an FA(3) template's placeholders with values and
// validates the result; see [ParseTemplate] and [Template.Fill]. Every
// placeholder needs a value and every value a placeholder.
func FromTemplate(tmpl []byte, values map[string]string) ([]byte, error) {
	t, err := ParseTemplate(tmpl)
	if err != nil {
		return nil, err
	}
	return t.Fill(values)
}

// FromTemplateWithDefaults is [FromTemplate] where placeholders without a
// value get the defaults of [Template.Defaults] (random valid NIPs, today's
// date, a unique invoice number, ...); opts may be nil. Values given for
// names the template lacks are still an error.
func FromTemplateWithDefaults(tmpl []byte, values map[string]string, opts *TemplateOptions) ([]byte, error) {
	t, err := ParseTemplate(tmpl)
	if err != nil {
		return nil, err
	}
	all := t.Defaults(opts)
	for k, v := range values {
		all[k] = v
	}
	return t.Fill(all)
}
