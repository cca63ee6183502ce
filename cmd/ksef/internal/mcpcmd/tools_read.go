package mcpcmd

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/qr"
	"github.com/ksef2/ksef/visual"
)

// Defaults and bounds of the listing tools.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// SearchInput is the input of search_invoices.
type SearchInput struct {
	Party         string `json:"party,omitempty" jsonschema:"part of the seller's or buyer's name (case insensitive)"`
	NIP           string `json:"nip,omitempty" jsonschema:"the seller's NIP or the buyer's identifier"`
	Role          string `json:"role,omitempty" jsonschema:"seller or buyer: narrow party and nip to that side"`
	InvoiceNumber string `json:"invoiceNumber,omitempty" jsonschema:"part of the invoice number"`
	IssuedFrom    string `json:"issuedFrom,omitempty" jsonschema:"first issue date, YYYY-MM-DD"`
	IssuedTo      string `json:"issuedTo,omitempty" jsonschema:"last issue date, YYYY-MM-DD"`
	MinGross      string `json:"minGross,omitempty" jsonschema:"smallest gross amount, e.g. 1000.00"`
	MaxGross      string `json:"maxGross,omitempty" jsonschema:"largest gross amount"`
	InvoiceType   string `json:"invoiceType,omitempty" jsonschema:"KSeF invoice type: Vat, Kor, Zal, Roz, Upr, KorZal, KorRoz"`
	Currency      string `json:"currency,omitempty" jsonschema:"ISO 4217 currency code, e.g. PLN or EUR"`
	Limit         int    `json:"limit,omitempty" jsonschema:"most invoices listed (default 50, at most 500)"`
}

// query turns the input into a store query.
func (in *SearchInput) query() (Query, error) {
	q := Query{Party: in.Party, NIP: in.NIP, Role: in.Role, InvoiceNumber: in.InvoiceNumber, IssuedFrom: in.IssuedFrom,
		IssuedTo: in.IssuedTo, InvoiceType: in.InvoiceType, Currency: in.Currency}
	if q.Role != "" && q.Role != "seller" && q.Role != "buyer" {
		return q, fmt.Errorf("role %q: want seller or buyer", q.Role)
	}
	for _, d := range []string{in.IssuedFrom, in.IssuedTo} {
		if d != "" {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return q, fmt.Errorf("date %q: want YYYY-MM-DD", d)
			}
		}
	}
	for _, a := range []struct {
		s   string
		dst **int64
	}{{in.MinGross, &q.MinGross}, {in.MaxGross, &q.MaxGross}} {
		if a.s != "" {
			v, err := ParseAmount(a.s)
			if err != nil {
				return q, err
			}
			*a.dst = &v
		}
	}
	return q, nil
}

// limit returns the listing limit of n.
func limit(n int) int {
	if n <= 0 {
		return defaultLimit
	}
	return min(n, maxLimit)
}

// InvoiceRow is one invoice in a listing.
type InvoiceRow struct {
	KSeFNumber    string `json:"ksefNumber"`
	InvoiceNumber string `json:"invoiceNumber"`
	IssueDate     string `json:"issueDate"`
	SellerNIP     string `json:"sellerNip"`
	SellerName    string `json:"sellerName"`
	BuyerID       string `json:"buyerId,omitempty"`
	BuyerName     string `json:"buyerName,omitempty"`
	Currency      string `json:"currency"`
	Net           string `json:"net"`
	VAT           string `json:"vat"`
	Gross         string `json:"gross"`
	InvoiceType   string `json:"invoiceType"`
	Stored        string `json:"stored,omitempty"`
}

func rowOf(inv *Invoice) InvoiceRow {
	r := InvoiceRow{KSeFNumber: inv.KSeFNumber, InvoiceNumber: inv.InvoiceNumber, IssueDate: inv.IssueDate,
		SellerNIP: inv.SellerNIP, SellerName: inv.SellerName, BuyerID: inv.BuyerID, BuyerName: inv.BuyerName,
		Currency: inv.Currency, Net: Amount(inv.Net), VAT: Amount(inv.VAT), Gross: Amount(inv.Gross), InvoiceType: inv.InvoiceType}
	if !inv.StoredAt.IsZero() {
		r.Stored = inv.StoredAt.UTC().Format(time.RFC3339)
	}
	return r
}

// SearchOutput is the result of search_invoices and whats_new.
type SearchOutput struct {
	Count int `json:"count"`
	// Truncated reports that more invoices matched than were listed.
	Truncated bool         `json:"truncated"`
	Invoices  []InvoiceRow `json:"invoices"`
	// Since is where whats_new started (RFC 3339).
	Since string `json:"since,omitempty"`
	// LastSync is when the last sync began storing invoices (RFC 3339).
	LastSync string `json:"lastSync,omitempty"`
}

// list runs q and returns up to n rows.
func (s *server) list(ctx context.Context, q Query, n int) (SearchOutput, error) {
	out := SearchOutput{Invoices: []InvoiceRow{}}
	if s.cfg.Store == nil {
		return out, errors.New("no local store: run ksef sync first")
	}
	for inv, err := range s.cfg.Store.Search(ctx, q) {
		if err != nil {
			return out, err
		}
		if len(out.Invoices) == n {
			out.Truncated = true
			break
		}
		out.Invoices = append(out.Invoices, rowOf(&inv))
	}
	out.Count = len(out.Invoices)
	return out, nil
}

// summarize writes a listing as lines for the model.
func summarize(head string, out SearchOutput) *mcp.CallToolResult {
	var b strings.Builder
	b.WriteString(head)
	for _, r := range out.Invoices {
		fmt.Fprintf(&b, "\n%s  %s  %s  %s -> %s  %s %s  [%s]", r.IssueDate, r.InvoiceNumber, r.InvoiceType, r.SellerName,
			cmp.Or(r.BuyerName, r.BuyerID), r.Gross, r.Currency, r.KSeFNumber)
	}
	if out.Truncated {
		b.WriteString("\n(more invoices match: narrow the search or raise limit)")
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: b.String()}}}
}

// InvoiceInput names an invoice of the store.
type InvoiceInput struct {
	KSeFNumber string `json:"ksefNumber" jsonschema:"the invoice's KSeF number"`
}

// GetOutput is the result of get_invoice.
type GetOutput struct {
	Summary InvoiceRow `json:"summary"`
	// Document is the invoice as printed: parties, lines, VAT summary,
	// totals, payment, annotations (amounts as decimal strings).
	Document *visual.Invoice `json:"document,omitempty"`
	// VerificationLink is KOD I.
	VerificationLink string `json:"verificationLink,omitempty"`
	// Note says why Document is missing (a form the renderer does not read).
	Note string `json:"note,omitempty"`
	// XML is the document, when asked for.
	XML string `json:"xml,omitempty"`
}

// GetInput is the input of get_invoice.
type GetInput struct {
	KSeFNumber string `json:"ksefNumber" jsonschema:"the invoice's KSeF number"`
	IncludeXML bool   `json:"includeXml,omitempty" jsonschema:"also return the invoice XML"`
}

// RenderInput is the input of render_invoice.
type RenderInput struct {
	KSeFNumber string `json:"ksefNumber" jsonschema:"the invoice's KSeF number"`
	Format     string `json:"format,omitempty" jsonschema:"html (default) or pdf"`
}

// RenderOutput describes a rendered invoice (the document is an embedded
// resource of the result).
type RenderOutput struct {
	KSeFNumber string `json:"ksefNumber"`
	Format     string `json:"format"`
	MIMEType   string `json:"mimeType"`
	Size       int    `json:"size"`
	URI        string `json:"uri"`
}

// TotalsInput is the input of invoice_totals.
type TotalsInput struct {
	SearchInput
	Period string `json:"period,omitempty" jsonschema:"group by month (default), quarter, year or all"`
}

// TotalRow sums the invoices of one counterparty, period and currency.
type TotalRow struct {
	CounterpartyID   string `json:"counterpartyId"`
	CounterpartyName string `json:"counterpartyName"`
	// Direction is "sales" (we are the seller) or "purchases".
	Direction string `json:"direction"`
	Period    string `json:"period"`
	Currency  string `json:"currency"`
	Count     int    `json:"count"`
	Net       string `json:"net"`
	VAT       string `json:"vat"`
	Gross     string `json:"gross"`
}

// TotalsOutput is the result of invoice_totals.
type TotalsOutput struct {
	Rows     []TotalRow `json:"rows"`
	Invoices int        `json:"invoices"`
}

// WhatsNewInput is the input of whats_new.
type WhatsNewInput struct {
	Since string `json:"since,omitempty" jsonschema:"RFC 3339 time or YYYY-MM-DD; default: the start of the last sync"`
	Limit int    `json:"limit,omitempty" jsonschema:"most invoices listed (default 50, at most 500)"`
}

// UPOInput is the input of get_upo.
type UPOInput struct {
	KSeFNumber             string `json:"ksefNumber" jsonschema:"KSeF number of an invoice sent through this server (or with sessionReferenceNumber)"`
	SessionReferenceNumber string `json:"sessionReferenceNumber,omitempty" jsonschema:"reference number of the online session the invoice was sent in, when it was not sent through this server"`
}

// storeInvoice returns an invoice of the store with its XML.
func (s *server) storeInvoice(ctx context.Context, ksefNumber string) (*Invoice, error) {
	if s.cfg.Store == nil {
		return nil, errors.New("no local store: run ksef sync first")
	}
	if _, err := ident.ParseKSeFNumber(ksefNumber); err != nil {
		return nil, err
	}
	return s.cfg.Store.Invoice(ctx, ksefNumber)
}

// document builds the view model of a stored invoice.
func (s *server) document(inv *Invoice) (*visual.Invoice, error) {
	v, err := visual.FromFA3(inv.XML)
	if err != nil {
		return nil, err
	}
	v.KSeFNumber = inv.KSeFNumber
	if l, err := qr.InvoiceLinkFor(s.cfg.Environment.QRBaseURL(), inv.XML); err == nil {
		v.VerificationLink = l.String()
	}
	return v, nil
}

// render renders a stored invoice to HTML or PDF.
func (s *server) render(ctx context.Context, ksefNumber, format string) ([]byte, string, error) {
	inv, err := s.storeInvoice(ctx, ksefNumber)
	if err != nil {
		return nil, "", err
	}
	v, err := s.document(inv)
	if err != nil {
		return nil, "", fmt.Errorf("cannot render %s (%s): %w", ksefNumber, inv.FormCode, err)
	}
	var buf bytes.Buffer
	switch format {
	case "", "html":
		err = visual.RenderInvoiceHTML(&buf, v)
		return buf.Bytes(), "text/html", err
	case "pdf":
		err = visual.RenderInvoicePDF(&buf, v)
		return buf.Bytes(), "application/pdf", err
	}
	return nil, "", fmt.Errorf("format %q: want html or pdf", format)
}

func (s *server) addReadTools(srv *mcp.Server) {
	ro := &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: new(false)}
	mcp.AddTool(srv, &mcp.Tool{Name: "search_invoices", Title: "Search invoices", Annotations: ro,
		Description: "Search the invoices of the local store (synced from KSeF by ksef sync; no KSeF query) by party name, NIP, issue dates, gross amount, invoice type and currency. Lists them by issue date."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in SearchInput) (*mcp.CallToolResult, SearchOutput, error) {
			q, err := in.query()
			if err != nil {
				return nil, SearchOutput{}, err
			}
			out, err := s.list(ctx, q, limit(in.Limit))
			s.logCall(ctx, "search_invoices", err, "count", out.Count)
			if err != nil {
				return nil, SearchOutput{}, err
			}
			return summarize(fmt.Sprintf("%d invoice(s):", out.Count), out), out, nil
		})

	mcp.AddTool(srv, &mcp.Tool{Name: "get_invoice", Title: "Get an invoice", Annotations: ro,
		Description: "Get one invoice of the local store by its KSeF number as structured data: parties, lines, VAT summary, totals, payment terms, annotations, the KOD I link."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in GetInput) (*mcp.CallToolResult, GetOutput, error) {
			inv, err := s.storeInvoice(ctx, in.KSeFNumber)
			s.logCall(ctx, "get_invoice", err)
			if err != nil {
				return nil, GetOutput{}, err
			}
			out := GetOutput{Summary: rowOf(inv)}
			if v, err := s.document(inv); err != nil {
				out.Note = fmt.Sprintf("the document of form %s is not read by this server: %v", inv.FormCode, err)
			} else {
				out.Document, out.VerificationLink = v, v.VerificationLink
			}
			if in.IncludeXML {
				out.XML = string(inv.XML)
			}
			r := out.Summary
			return textResult("Invoice %s (%s) of %s, %s %s -> %s %s: gross %s %s (net %s, VAT %s).", r.InvoiceNumber, r.InvoiceType,
				r.IssueDate, r.SellerNIP, r.SellerName, cmp.Or(r.BuyerID, "-"), r.BuyerName, r.Gross, r.Currency, r.Net, r.VAT), out, nil
		})

	mcp.AddTool(srv, &mcp.Tool{Name: "render_invoice", Title: "Render an invoice", Annotations: ro,
		Description: "Render one invoice of the local store as the printed document a Polish accountant expects (HTML, or A4 PDF) with its KOD I QR code. The document is returned as an embedded resource."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in RenderInput) (*mcp.CallToolResult, RenderOutput, error) {
			data, mime, err := s.render(ctx, in.KSeFNumber, in.Format)
			s.logCall(ctx, "render_invoice", err, "bytes", len(data))
			if err != nil {
				return nil, RenderOutput{}, err
			}
			uri := "ksef://invoice/" + in.KSeFNumber
			rc := &mcp.ResourceContents{URI: uri, MIMEType: mime}
			if mime == "text/html" {
				rc.Text = string(data)
			} else {
				rc.Blob = data
			}
			out := RenderOutput{KSeFNumber: in.KSeFNumber, Format: cmp.Or(in.Format, "html"), MIMEType: mime, Size: len(data), URI: uri}
			return &mcp.CallToolResult{Content: []mcp.Content{
				&mcp.TextContent{Text: fmt.Sprintf("Rendered %s as %s (%d bytes).", in.KSeFNumber, out.Format, len(data))},
				&mcp.EmbeddedResource{Resource: rc},
			}}, out, nil
		})

	mcp.AddTool(srv, &mcp.Tool{Name: "invoice_totals", Title: "Totals per counterparty and period", Annotations: ro,
		Description: "Sum the invoices of the local store per counterparty, period (month, quarter, year or all) and currency: count, net, VAT and gross. Sales are invoices our NIP issued, purchases those issued to us. Takes the filters of search_invoices."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in TotalsInput) (*mcp.CallToolResult, TotalsOutput, error) {
			out, err := s.totals(ctx, in)
			s.logCall(ctx, "invoice_totals", err, "rows", len(out.Rows))
			if err != nil {
				return nil, TotalsOutput{}, err
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%d invoice(s) in %d group(s):", out.Invoices, len(out.Rows))
			for _, r := range out.Rows {
				fmt.Fprintf(&b, "\n%s  %s  %s (%s)  %d invoice(s)  net %s  VAT %s  gross %s %s", r.Period, r.Direction,
					r.CounterpartyName, r.CounterpartyID, r.Count, r.Net, r.VAT, r.Gross, r.Currency)
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: b.String()}}}, out, nil
		})

	mcp.AddTool(srv, &mcp.Tool{Name: "whats_new", Title: "What is new since the last sync", Annotations: ro,
		Description: "List the invoices the local store received in the last sync run (or since a given time)."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in WhatsNewInput) (*mcp.CallToolResult, SearchOutput, error) {
			out, err := s.whatsNew(ctx, in)
			s.logCall(ctx, "whats_new", err, "count", out.Count)
			if err != nil {
				return nil, SearchOutput{}, err
			}
			if out.Since == "" {
				return textResult("The store was never synced: run ksef sync."), out, nil
			}
			return summarize(fmt.Sprintf("%d invoice(s) stored since %s (last sync %s):", out.Count, out.Since, out.LastSync), out), out, nil
		})

	mcp.AddTool(srv, &mcp.Tool{Name: "get_upo", Title: "Get the UPO of a sent invoice",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: new(true)},
		Description: "Get the UPO (official confirmation of receipt) of an invoice sent to KSeF: the session, the KSeF number, the acceptance time and the document hash. Downloaded from KSeF once, then kept."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in UPOInput) (*mcp.CallToolResult, UPOOutput, error) {
			out, err := s.upo(ctx, in)
			s.logCall(ctx, "get_upo", err)
			if err != nil {
				return nil, UPOOutput{}, err
			}
			return &mcp.CallToolResult{Content: []mcp.Content{
				&mcp.TextContent{Text: fmt.Sprintf("UPO of %s: session %s, accepted %s, hash %s.", out.KSeFNumber, out.SessionReferenceNumber, out.AcceptedAt, out.DocumentHash)},
				&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{URI: "ksef://upo/" + out.KSeFNumber, MIMEType: "application/xml", Text: out.xml}},
			}}, out, nil
		})
}

// totals sums the invoices matching in per counterparty, period and
// currency. It holds one row per group, not the invoices.
func (s *server) totals(ctx context.Context, in TotalsInput) (TotalsOutput, error) {
	out := TotalsOutput{Rows: []TotalRow{}}
	q, err := in.query()
	if err != nil {
		return out, err
	}
	period := cmp.Or(in.Period, "month")
	if !slices.Contains([]string{"month", "quarter", "year", "all"}, period) {
		return out, fmt.Errorf("period %q: want month, quarter, year or all", period)
	}
	if s.cfg.Store == nil {
		return out, errors.New("no local store: run ksef sync first")
	}
	type key struct{ id, dir, period, cur string }
	type sum struct {
		name            string
		n               int
		net, vat, gross int64
	}
	groups := map[key]*sum{}
	for inv, err := range s.cfg.Store.Search(ctx, q) {
		if err != nil {
			return out, err
		}
		out.Invoices++
		k := key{id: inv.SellerNIP, dir: "purchases", period: periodOf(inv.IssueDate, period), cur: inv.Currency}
		name := inv.SellerName
		if s.cfg.NIP == "" || inv.SellerNIP == s.cfg.NIP {
			k.id, k.dir, name = inv.BuyerID, "sales", inv.BuyerName
		}
		g := groups[k]
		if g == nil {
			g = &sum{name: name}
			groups[k] = g
		}
		g.n++
		g.net += inv.Net
		g.vat += inv.VAT
		g.gross += inv.Gross
	}
	for k, g := range groups {
		out.Rows = append(out.Rows, TotalRow{CounterpartyID: k.id, CounterpartyName: g.name, Direction: k.dir, Period: k.period,
			Currency: k.cur, Count: g.n, Net: Amount(g.net), VAT: Amount(g.vat), Gross: Amount(g.gross)})
	}
	slices.SortFunc(out.Rows, func(a, b TotalRow) int {
		return cmp.Or(cmp.Compare(a.Period, b.Period), cmp.Compare(a.Direction, b.Direction),
			cmp.Compare(a.CounterpartyName, b.CounterpartyName), cmp.Compare(a.CounterpartyID, b.CounterpartyID), cmp.Compare(a.Currency, b.Currency))
	})
	return out, nil
}

// periodOf names the period of an issue date: 2026-01, 2026-Q1, 2026 or all.
func periodOf(date, period string) string {
	if len(date) < 7 {
		return "unknown"
	}
	switch period {
	case "year":
		return date[:4]
	case "quarter":
		m := (date[5]-'0')*10 + date[6] - '0'
		return fmt.Sprintf("%s-Q%d", date[:4], (m+2)/3)
	case "all":
		return "all"
	}
	return date[:7]
}

// whatsNew lists the invoices stored since in.Since or the last sync.
func (s *server) whatsNew(ctx context.Context, in WhatsNewInput) (SearchOutput, error) {
	if s.cfg.Store == nil {
		return SearchOutput{}, errors.New("no local store: run ksef sync first")
	}
	last, err := s.cfg.Store.LastSync(ctx)
	if err != nil && in.Since == "" {
		return SearchOutput{}, err
	}
	since := last
	if in.Since != "" {
		if since, err = time.Parse(time.RFC3339, in.Since); err != nil {
			if since, err = time.Parse(time.DateOnly, in.Since); err != nil {
				return SearchOutput{}, fmt.Errorf("since %q: want an RFC 3339 time or YYYY-MM-DD", in.Since)
			}
		}
	}
	if since.IsZero() {
		return SearchOutput{Invoices: []InvoiceRow{}}, nil
	}
	out, err := s.list(ctx, Query{StoredSince: since}, limit(in.Limit))
	out.Since = since.UTC().Format(time.RFC3339)
	if !last.IsZero() {
		out.LastSync = last.UTC().Format(time.RFC3339)
	}
	return out, err
}
