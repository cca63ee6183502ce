package mcpcmd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ksef2/ksef/cmd/ksef/internal/invoicefile"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/xsd/rt"
	"github.com/ksef2/ksef/qr"
)

// DocumentInput names an invoice document: a file on this machine or the
// XML text itself.
type DocumentInput struct {
	File string `json:"file,omitempty" jsonschema:"path of an invoice file (*.xml) on this machine"`
	XML  string `json:"xml,omitempty" jsonschema:"the invoice XML itself (instead of file)"`
}

// read returns the document's bytes and a name for messages.
func (d DocumentInput) read() ([]byte, string, error) {
	switch {
	case d.File != "" && d.XML != "":
		return nil, "", errors.New("give either file or xml, not both")
	case d.File != "":
		// Only XML documents: the tools never read other files (profiles,
		// keys) on behalf of a client.
		if !strings.EqualFold(filepath.Ext(d.File), ".xml") {
			return nil, "", fmt.Errorf("%s: only .xml files are read", d.File)
		}
		b, err := invoicefile.Read(nil, d.File)
		return b, d.File, err
	case d.XML != "":
		if len(d.XML) > invoicefile.MaxSize {
			return nil, "", fmt.Errorf("the XML is larger than %d bytes", invoicefile.MaxSize)
		}
		return []byte(d.XML), "xml", nil
	}
	return nil, "", errors.New("give file (a path) or xml (the document)")
}

// Violation is one schema violation of a document.
type Violation struct {
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// ValidateOutput is the result of validate_invoice.
type ValidateOutput struct {
	Valid      bool        `json:"valid"`
	Form       string      `json:"form,omitempty"`
	Violations []Violation `json:"violations,omitempty"`
	Truncated  bool        `json:"truncated,omitempty"`
	Error      string      `json:"error,omitempty"`
}

// validateDoc checks doc against the schema of its form.
func validateDoc(doc []byte) ValidateOutput {
	form, err := invoicefile.DetectForm(doc)
	if err != nil {
		return ValidateOutput{Error: err.Error()}
	}
	out := ValidateOutput{Form: form.Code}
	err = form.Validate(doc)
	if err == nil {
		out.Valid = true
		return out
	}
	var ve *rt.ValidationError
	if errors.As(err, &ve) {
		for _, v := range ve.Violations {
			out.Violations = append(out.Violations, Violation{Line: v.Line, Column: v.Column, Path: v.Path, Message: v.Message})
		}
		out.Truncated = ve.Truncated
		return out
	}
	out.Error = err.Error()
	return out
}

// NumberInput is the input of check_ksef_number.
type NumberInput struct {
	KSeFNumber string `json:"ksefNumber" jsonschema:"the KSeF number to check, e.g. 5265877635-20260115-0100001AF629-AF"`
}

// NumberOutput is the result of check_ksef_number.
type NumberOutput struct {
	Valid     bool   `json:"valid"`
	Error     string `json:"error,omitempty"`
	SellerNIP string `json:"sellerNip,omitempty"`
	// Date is the date KSeF accepted the invoice (YYYY-MM-DD).
	Date    string `json:"date,omitempty"`
	Legacy  bool   `json:"legacy,omitempty"`
	InStore bool   `json:"inStore"`
}

// LinkInput is the input of invoice_link.
type LinkInput struct {
	KSeFNumber string `json:"ksefNumber,omitempty" jsonschema:"KSeF number of an invoice in the local store"`
	DocumentInput
}

// LinkOutput is KOD I of an invoice.
type LinkOutput struct {
	Link      string `json:"link"`
	Label     string `json:"label"`
	SellerNIP string `json:"sellerNip"`
	IssueDate string `json:"issueDate"`
	Hash      string `json:"hash"`
}

func (s *server) addOfflineTools(srv *mcp.Server) {
	mcp.AddTool(srv, &mcp.Tool{Name: "validate_invoice", Title: "Validate an invoice file",
		Description: "Validate an invoice document offline against the XSD schema of its form (FA (3), FA (2) or FA_RR (1), detected from its namespace). Lists every violation with line, column and element path.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: new(false)}},
		func(ctx context.Context, _ *mcp.CallToolRequest, in DocumentInput) (*mcp.CallToolResult, ValidateOutput, error) {
			doc, name, err := in.read()
			if err != nil {
				s.logCall(ctx, "validate_invoice", err)
				return nil, ValidateOutput{}, err
			}
			out := validateDoc(doc)
			s.logCall(ctx, "validate_invoice", nil, "valid", out.Valid, "violations", len(out.Violations))
			switch {
			case out.Valid:
				return textResult("%s is a valid %s invoice.", name, out.Form), out, nil
			case out.Error != "":
				return textResult("%s: %s", name, out.Error), out, nil
			}
			return textResult("%s is not a valid %s invoice: %d violation(s); the first: line %d: %s: %s", name, out.Form,
				len(out.Violations), out.Violations[0].Line, out.Violations[0].Path, out.Violations[0].Message), out, nil
		})

	mcp.AddTool(srv, &mcp.Tool{Name: "check_ksef_number", Title: "Check a KSeF number",
		Description: "Check a KSeF number offline: its format, the acceptance date and the CRC-8 check digits; says which seller NIP and date it carries and whether the local store holds the invoice.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: new(false)}},
		func(ctx context.Context, _ *mcp.CallToolRequest, in NumberInput) (*mcp.CallToolResult, NumberOutput, error) {
			var out NumberOutput
			n, err := ident.ParseKSeFNumber(in.KSeFNumber)
			if err != nil {
				out.Error = err.Error()
				s.logCall(ctx, "check_ksef_number", nil, "valid", false)
				return textResult("%q is not a valid KSeF number: %v", in.KSeFNumber, err), out, nil
			}
			out.Valid, out.SellerNIP, out.Date, out.Legacy = true, string(n.SellerNIP()), n.Date().Format(time.DateOnly), n.IsLegacy()
			if s.cfg.Store != nil {
				if _, err := s.cfg.Store.Invoice(ctx, n.String()); err == nil {
					out.InStore = true
				}
			}
			s.logCall(ctx, "check_ksef_number", nil, "valid", true)
			where := "not in the local store"
			if out.InStore {
				where = "in the local store"
			}
			return textResult("%s is a valid KSeF number: seller NIP %s, accepted on %s; %s.", n, out.SellerNIP, out.Date, where), out, nil
		})

	mcp.AddTool(srv, &mcp.Tool{Name: "invoice_link", Title: "Build the KOD I verification link",
		Description: "Build KOD I, the verification link printed as a QR code on an invoice, for an invoice of the local store (ksefNumber) or an invoice file. The link lets anyone check the invoice in KSeF.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: new(false)}},
		func(ctx context.Context, _ *mcp.CallToolRequest, in LinkInput) (*mcp.CallToolResult, LinkOutput, error) {
			out, err := s.link(ctx, in)
			s.logCall(ctx, "invoice_link", err)
			if err != nil {
				return nil, LinkOutput{}, err
			}
			return textResult("KOD I (%s): %s", out.Label, out.Link), *out, nil
		})
}

// link builds KOD I for an invoice of the store or a document.
func (s *server) link(ctx context.Context, in LinkInput) (*LinkOutput, error) {
	var doc []byte
	label := qr.LabelOffline
	if in.KSeFNumber != "" {
		if in.File != "" || in.XML != "" {
			return nil, errors.New("give either ksefNumber or a document, not both")
		}
		inv, err := s.storeInvoice(ctx, in.KSeFNumber)
		if err != nil {
			return nil, err
		}
		doc, label = inv.XML, inv.KSeFNumber
	} else {
		var err error
		if doc, _, err = in.read(); err != nil {
			return nil, err
		}
	}
	l, err := qr.InvoiceLinkFor(s.cfg.Environment.QRBaseURL(), doc)
	if err != nil {
		return nil, err
	}
	return &LinkOutput{Link: l.String(), Label: label, SellerNIP: l.SellerNIP, IssueDate: l.IssueDate.Format(time.DateOnly), Hash: l.Hash}, nil
}
