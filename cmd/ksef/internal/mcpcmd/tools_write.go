package mcpcmd

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicefile"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/visual"
)

// WriteOutput is the result of a write tool: a preview with its
// confirmation token, or what was done after the confirmation.
type WriteOutput struct {
	// Status is "preview" (nothing done yet), "done", or "failed" (the
	// write began but did not finish; Result says what is known).
	Status string `json:"status"`
	// Preview describes what the confirmation will do.
	Preview map[string]any `json:"preview,omitempty"`
	// ConfirmationToken, given back to the same tool with the same
	// arguments, does what the preview describes, once.
	ConfirmationToken string `json:"confirmationToken,omitempty"`
	// ExpiresAt is when the confirmation token lapses (RFC 3339).
	ExpiresAt string `json:"expiresAt,omitempty"`
	// Result is what was done.
	Result map[string]any `json:"result,omitempty"`
}

// SendInput is the input of send_invoice.
type SendInput struct {
	// Invoice describes an FA(3) invoice to build.
	Invoice *fa3.InvoiceParams `json:"invoice,omitempty" jsonschema:"an FA(3) invoice to build: kind, number, issueDate, seller (default: the profile's NIP, name and address as on its latest invoice in the store), buyer, lines (name, unit, quantity, unitPrice, rate), payment"`
	DocumentInput
	ConfirmationToken string `json:"confirmationToken,omitempty" jsonschema:"the token of the preview, given only after the user agreed to send"`
}

// CorrectInput is the input of correct_invoice.
type CorrectInput struct {
	KSeFNumber        string     `json:"ksefNumber" jsonschema:"KSeF number of the invoice to correct (in the local store)"`
	Number            string     `json:"number" jsonschema:"number of the correcting invoice"`
	IssueDate         string     `json:"issueDate,omitempty" jsonschema:"issue date of the correction, YYYY-MM-DD (default: today)"`
	Reason            string     `json:"reason,omitempty" jsonschema:"reason for the correction"`
	Type              string     `json:"type,omitempty" jsonschema:"TypKorekty: 1 (effective at the original's date), 2 (at the correction's date) or 3 (other)"`
	Lines             []fa3.Line `json:"lines" jsonschema:"the correction's lines: the state before (before: true) and after, or the differences"`
	ConfirmationToken string     `json:"confirmationToken,omitempty" jsonschema:"the token of the preview, given only after the user agreed to send"`
}

// RevokeInput is the input of revoke_token.
type RevokeInput struct {
	ReferenceNumber   string `json:"referenceNumber" jsonschema:"reference number of the KSeF token to revoke"`
	ConfirmationToken string `json:"confirmationToken,omitempty" jsonschema:"the token of the preview, given only after the user agreed to revoke"`
}

// prepared is a write ready for its confirmation.
type prepared struct {
	preview map[string]any
	run     func(ctx context.Context) (map[string]any, error)
}

// confirmable runs the preview/confirm protocol of a write tool: without
// a token it prepares the write and returns its preview and a token; with
// a token it does the write prepared for it. args is the input with the
// token cleared, empty its zero value (a confirmation may repeat the
// arguments or leave them out).
func (s *server) confirmable(ctx context.Context, req *mcp.CallToolRequest, tool, token string, args, empty any,
	prepare func(ctx context.Context) (*prepared, error)) (*mcp.CallToolResult, WriteOutput, error) {
	if token != "" {
		d := digestOf(args)
		a, err := s.confirm.take(token, tool, sessionID(req), d, d == digestOf(empty))
		if err != nil {
			s.logCall(ctx, tool, err)
			return nil, WriteOutput{}, err
		}
		res, err := a.run(ctx)
		s.logCall(ctx, tool, err, "confirmed", true)
		m, _ := res.(map[string]any)
		if err != nil {
			if m == nil {
				return nil, WriteOutput{}, err
			}
			// Stopped after the send began: say what is known (session,
			// invoice reference), so that nobody sends it again blindly.
			m["error"] = err.Error()
			r := textResult("Stopped: %v. What is known: %s. Do not send again: look the invoice up first.", err, describe(m))
			r.IsError = true
			return r, WriteOutput{Status: "failed", Result: m}, nil
		}
		out := WriteOutput{Status: "done", Result: m}
		return textResult("Done: %s", describe(out.Result)), out, nil
	}
	p, err := prepare(ctx)
	s.logCall(ctx, tool, err, "preview", true)
	if err != nil {
		return nil, WriteOutput{}, err
	}
	a := &action{tool: tool, session: sessionID(req), digest: digestOf(args),
		run: func(ctx context.Context) (any, error) { return p.run(ctx) }}
	tok := s.confirm.issue(a)
	out := WriteOutput{Status: "preview", Preview: p.preview, ConfirmationToken: tok, ExpiresAt: a.expires.UTC().Format(time.RFC3339)}
	return textResult("Nothing was sent yet. Preview: %s\nShow this to the user. Only if the user agrees, call %s again with the same arguments and confirmationToken %q (valid until %s, usable once).",
		describe(p.preview), tool, tok, out.ExpiresAt), out, nil
}

// describe prints a map in a stable order for the model.
func describe(m map[string]any) string {
	var parts []string
	for _, k := range []string{"action", "form", "kind", "invoiceNumber", "issueDate", "seller", "buyer", "lines", "net", "vat", "gross",
		"currency", "corrects", "status", "ksefNumber", "sessionReferenceNumber", "referenceNumber", "profile", "server", "warning", "error"} {
		if v, ok := m[k]; ok && v != "" && v != nil {
			parts = append(parts, fmt.Sprintf("%s: %v", k, v))
		}
	}
	return strings.Join(parts, "; ")
}

func (s *server) addWriteTools(srv *mcp.Server) {
	write := func(destructive bool) *mcp.ToolAnnotations {
		return &mcp.ToolAnnotations{DestructiveHint: new(destructive), OpenWorldHint: new(true)}
	}
	mcp.AddTool(srv, &mcp.Tool{Name: "send_invoice", Title: "Send an invoice to KSeF (after confirmation)", Annotations: write(false),
		InputSchema: inputSchema[SendInput](map[string][]string{"invoice": {"issueDate", "seller"}}),
		Description: "Send an invoice to KSeF: built from a structured description (invoice) or an XML document (file or xml). " +
			"The first call validates it and returns a preview and a confirmationToken and sends nothing. Only after the user agrees, " +
			"call again with the same arguments and the confirmationToken: the invoice is sent once and the KSeF number returned " +
			"(an invoice already in KSeF comes back as a duplicate with its original KSeF number)."},
		func(ctx context.Context, req *mcp.CallToolRequest, in SendInput) (*mcp.CallToolResult, WriteOutput, error) {
			token := in.ConfirmationToken
			in.ConfirmationToken = ""
			return s.confirmable(ctx, req, "send_invoice", token, in, SendInput{}, func(ctx context.Context) (*prepared, error) {
				doc, err := s.buildSend(ctx, in)
				if err != nil {
					return nil, err
				}
				return s.prepareSend(doc, nil)
			})
		})

	mcp.AddTool(srv, &mcp.Tool{Name: "correct_invoice", Title: "Issue a correcting invoice (after confirmation)", Annotations: write(false),
		InputSchema: inputSchema[CorrectInput](nil),
		Description: "Issue a correcting invoice (KOR) of an invoice of the local store and send it to KSeF. The parties and the " +
			"corrected invoice's data come from the stored invoice. The first call returns a preview and a confirmationToken and sends " +
			"nothing; only after the user agrees, call again with the same arguments and the confirmationToken."},
		func(ctx context.Context, req *mcp.CallToolRequest, in CorrectInput) (*mcp.CallToolResult, WriteOutput, error) {
			token := in.ConfirmationToken
			in.ConfirmationToken = ""
			return s.confirmable(ctx, req, "correct_invoice", token, in, CorrectInput{}, func(ctx context.Context) (*prepared, error) {
				doc, err := s.buildCorrection(ctx, in)
				if err != nil {
					return nil, err
				}
				return s.prepareSend(doc, map[string]any{"corrects": in.KSeFNumber})
			})
		})

	mcp.AddTool(srv, &mcp.Tool{Name: "revoke_token", Title: "Revoke a KSeF token (after confirmation)", Annotations: write(true),
		Description: "Revoke a KSeF token by its reference number: it stops authenticating at once, for good. The first call returns a " +
			"preview and a confirmationToken and revokes nothing; only after the user agrees, call again with the same arguments and the confirmationToken."},
		func(ctx context.Context, req *mcp.CallToolRequest, in RevokeInput) (*mcp.CallToolResult, WriteOutput, error) {
			token := in.ConfirmationToken
			in.ConfirmationToken = ""
			return s.confirmable(ctx, req, "revoke_token", token, in, RevokeInput{}, func(ctx context.Context) (*prepared, error) {
				ref, err := ident.ParseReferenceNumber(in.ReferenceNumber)
				if err != nil {
					return nil, err
				}
				return &prepared{
					preview: map[string]any{"action": "revoke the KSeF token (it stops authenticating at once; this cannot be undone)",
						"referenceNumber": string(ref), "profile": s.cfg.Profile},
					run: func(ctx context.Context) (map[string]any, error) {
						c, err := s.client(ctx)
						if err != nil {
							return nil, err
						}
						if err := c.Tokens.Revoke(ctx, string(ref)); err != nil {
							return nil, err
						}
						return map[string]any{"action": "revoked the KSeF token", "status": "revoked", "referenceNumber": string(ref)}, nil
					},
				}, nil
			})
		})
}

// client returns the profile's authenticated client.
func (s *server) client(ctx context.Context) (*ksef.AuthenticatedClient, error) {
	if s.cfg.Client == nil {
		return nil, errors.New("no profile is logged in: run ksef auth login")
	}
	return s.cfg.Client(ctx)
}

// buildSend returns the document send_invoice sends.
func (s *server) buildSend(ctx context.Context, in SendInput) ([]byte, error) {
	if in.Invoice != nil {
		if in.File != "" || in.XML != "" {
			return nil, errors.New("give either invoice (a description) or a document (file or xml), not both")
		}
		p := *in.Invoice
		if p.Seller.NIP == "" || p.Seller.NIP == s.cfg.NIP && p.Seller.Name == "" {
			p.Seller.NIP = s.cfg.NIP
			if own := s.ownParty(ctx); own != nil && p.Seller.Name == "" && p.Seller.AddressLine1 == "" {
				p.Seller = *own
			}
		}
		if p.IssueDate == "" {
			p.IssueDate = s.cfg.Now().Format(time.DateOnly)
		}
		doc, err := fa3.BuildXML(p)
		if err != nil {
			return nil, invoicefile.DescribeError("invoice", err)
		}
		return doc, nil
	}
	doc, _, err := in.read()
	return doc, err
}

// buildCorrection builds the KOR of an invoice of the store.
func (s *server) buildCorrection(ctx context.Context, in CorrectInput) ([]byte, error) {
	if in.Number == "" || len(in.Lines) == 0 {
		return nil, errors.New("a correction needs its number and lines")
	}
	orig, err := s.storeInvoice(ctx, in.KSeFNumber)
	if err != nil {
		return nil, err
	}
	if s.cfg.NIP != "" && orig.SellerNIP != s.cfg.NIP {
		return nil, fmt.Errorf("%s was issued by %s, not by this profile's NIP %s: only the seller issues a correction", in.KSeFNumber, orig.SellerNIP, s.cfg.NIP)
	}
	f, err := fa3.Parse(orig.XML)
	if err != nil {
		return nil, fmt.Errorf("%s is not an FA(3) invoice this server can correct (%s): %w", in.KSeFNumber, orig.FormCode, err)
	}
	if cur := string(f.Fa.KodWaluty); cur != "" && cur != "PLN" {
		return nil, fmt.Errorf("%s is in %s: build the correction with ksef invoice new and send it with send_invoice", in.KSeFNumber, cur)
	}
	seller, buyer := partiesOf(f)
	doc, err := fa3.BuildXML(fa3.InvoiceParams{
		Kind: fa3.KindKOR, Number: in.Number, IssueDate: cmp.Or(in.IssueDate, s.cfg.Now().Format(time.DateOnly)),
		Seller: seller, Buyer: buyer, Lines: in.Lines,
		Correction: &fa3.Correction{Number: string(f.Fa.P_2), IssueDate: string(f.Fa.P_1), KSeFNumber: in.KSeFNumber,
			Reason: in.Reason, Type: fa3.TTypKorekty(in.Type)},
	})
	if err != nil {
		return nil, invoicefile.DescribeError("correction", err)
	}
	return doc, nil
}

// partiesOf returns the seller and the buyer of an invoice as builder
// parties.
func partiesOf(f *fa3.Faktura) (seller, buyer fa3.Party) {
	p1, p2 := &f.Podmiot1, &f.Podmiot2
	seller = fa3.Party{NIP: string(p1.DaneIdentyfikacyjne.NIP), Name: string(p1.DaneIdentyfikacyjne.Nazwa),
		CountryCode: string(p1.Adres.KodKraju), AddressLine1: string(p1.Adres.AdresL1)}
	if p1.Adres.AdresL2 != nil {
		seller.AddressLine2 = string(*p1.Adres.AdresL2)
	}
	id := p2.DaneIdentyfikacyjne
	if id.NIP != nil {
		buyer.NIP = string(*id.NIP)
	}
	if id.Nazwa != nil {
		buyer.Name = string(*id.Nazwa)
	}
	if id.KodUE != nil && id.NrVatUE != nil {
		buyer.EUVATNumber = string(*id.KodUE) + string(*id.NrVatUE)
	}
	if id.NrID != nil {
		buyer.ForeignID = *id.NrID
		if id.KodKraju != nil {
			buyer.ForeignIDCountry = string(*id.KodKraju)
		}
	}
	if a := p2.Adres; a != nil {
		buyer.CountryCode, buyer.AddressLine1 = string(a.KodKraju), string(a.AdresL1)
		if a.AdresL2 != nil {
			buyer.AddressLine2 = string(*a.AdresL2)
		}
	}
	return seller, buyer
}

// ownParty returns the profile's seller data as on its latest invoice in
// the store (nil when the store has none).
func (s *server) ownParty(ctx context.Context) *fa3.Party {
	if s.cfg.Store == nil || s.cfg.NIP == "" {
		return nil
	}
	var last string
	for inv, err := range s.cfg.Store.Search(ctx, Query{NIP: s.cfg.NIP, Role: "seller", InvoiceType: "Vat"}) {
		if err != nil {
			return nil
		}
		last = inv.KSeFNumber
	}
	if last == "" {
		return nil
	}
	inv, err := s.cfg.Store.Invoice(ctx, last)
	if err != nil {
		return nil
	}
	f, err := fa3.Parse(inv.XML)
	if err != nil {
		return nil
	}
	seller, _ := partiesOf(f)
	return &seller
}

// prepareSend validates doc and prepares sending it.
func (s *server) prepareSend(doc []byte, extra map[string]any) (*prepared, error) {
	form, err := invoicefile.DetectForm(doc)
	if err != nil {
		return nil, err
	}
	if err := form.Validate(doc); err != nil {
		return nil, invoicefile.DescribeError("invoice", err)
	}
	sum := sha256.Sum256(doc)
	preview := map[string]any{"action": "send the invoice to KSeF", "form": form.Code, "size": len(doc),
		"sha256": hex.EncodeToString(sum[:]), "profile": s.cfg.Profile}
	for k, v := range extra {
		preview[k] = v
	}
	var number string
	if v, err := visual.FromFA3(doc); err == nil {
		number = v.Number
		preview["kind"], preview["invoiceNumber"], preview["issueDate"] = v.Kind, v.Number, v.IssueDate
		preview["seller"] = strings.TrimSpace(v.Seller.NIP + " " + v.Seller.Name)
		preview["buyer"] = strings.TrimSpace(v.Buyer.NIP + " " + v.Buyer.Name)
		preview["lines"] = len(v.Lines)
		preview["net"], preview["vat"], preview["gross"], preview["currency"] = v.Totals.Net, v.Totals.VAT, v.Totals.Gross, v.Currency
		if s.cfg.NIP != "" && v.Seller.NIP != s.cfg.NIP {
			preview["warning"] = fmt.Sprintf("the seller NIP %s is not this profile's NIP %s: KSeF refuses invoices of other sellers unless the profile may issue them", v.Seller.NIP, s.cfg.NIP)
		}
	}
	return &prepared{preview: preview, run: func(ctx context.Context) (map[string]any, error) {
		c, err := s.client(ctx)
		if err != nil {
			return nil, err
		}
		preview["server"] = c.BaseURL()
		snd := &ksefsend.Sender{Sessions: c.Sessions, Form: ksef.Form(form.Code), Concurrency: 1, Wait: s.cfg.Wait}
		outs, err := snd.Send(ctx, ksefsend.Bytes(doc))
		if len(outs) != 1 {
			return nil, cmp.Or(err, errors.New("the sender reported no outcome"))
		}
		o := outs[0]
		res := map[string]any{"action": "sent the invoice to KSeF", "status": o.Kind.String(), "invoiceNumber": number,
			"ksefNumber": o.KSeFNumber, "sessionReferenceNumber": o.SessionReferenceNumber}
		if o.InvoiceReferenceNumber != "" {
			res["invoiceReferenceNumber"] = o.InvoiceReferenceNumber
		}
		if o.Err != nil {
			res["error"] = o.Err.Error()
		}
		if o.Duplicate != nil {
			res["duplicateOf"] = o.Duplicate.OriginalSessionReferenceNumber
		}
		session := o.SessionReferenceNumber
		if o.Duplicate != nil && o.Duplicate.OriginalSessionReferenceNumber != "" {
			session = o.Duplicate.OriginalSessionReferenceNumber // the UPO is the original's
		}
		if o.OK() && session != "" {
			if err := s.cfg.Ledger.Add(Sent{KSeFNumber: o.KSeFNumber, InvoiceNumber: number, Status: o.Kind.String(),
				SessionReferenceNumber: session, InvoiceReferenceNumber: o.InvoiceReferenceNumber, SentAt: s.cfg.Now().UTC()}); err != nil {
				s.log.Warn("cannot record the sent invoice", "ksefNumber", o.KSeFNumber, "error", err)
			}
		}
		if err != nil {
			return res, err
		}
		return res, nil
	}}, nil
}
