package mcpcmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// prompt is one prompt for a common task: its arguments and the text it
// expands to (with {name} replaced by the argument values).
type prompt struct {
	name, title, description string
	args                     []*mcp.PromptArgument
	text                     string
	write                    bool // needs the write tools
}

var prompts = []prompt{
	{name: "supplier_invoices", title: "Invoices from a supplier this month",
		description: "List this month's invoices from a supplier and their totals.",
		args:        []*mcp.PromptArgument{{Name: "supplier", Description: "the supplier's name or NIP", Required: true}},
		text: "Find the invoices issued to us by {supplier} this month with search_invoices (role seller; use nip if it is a NIP, party otherwise; " +
			"issuedFrom the first day of this month). List number, date, gross amount and KSeF number, then give the total per currency with invoice_totals."},
	{name: "monthly_summary", title: "Monthly sales and purchases",
		description: "Totals per counterparty for a month.",
		args:        []*mcp.PromptArgument{{Name: "month", Description: "the month, YYYY-MM", Required: true}},
		text: "Use invoice_totals with issuedFrom {month}-01 and issuedTo the last day of {month} (period month). Summarise sales and purchases " +
			"separately: the biggest counterparties, counts and gross amounts per currency."},
	{name: "whats_new", title: "What came in since the last sync",
		description: "Review the invoices the last sync brought.",
		text:        "Call whats_new and summarise the new invoices: who sent them, amounts, anything unusual (corrections, foreign currencies, large amounts)."},
	{name: "issue_correction", title: "Issue a correction", write: true,
		description: "Prepare a correcting invoice of an invoice in the store, confirming before it is sent.",
		args: []*mcp.PromptArgument{{Name: "invoice", Description: "the invoice number or KSeF number to correct", Required: true},
			{Name: "change", Description: "what to correct", Required: true}},
		text: "Find the invoice {invoice} with search_invoices (or get_invoice for a KSeF number) and read its lines with get_invoice. " +
			"Prepare a correction with correct_invoice describing: {change}. Show the user the preview and send it only after the user " +
			"explicitly agrees, by calling correct_invoice again with the confirmationToken."},
	{name: "send_invoice", title: "Issue and send an invoice", write: true,
		description: "Build an FA(3) invoice from a description, confirming before it is sent.",
		args:        []*mcp.PromptArgument{{Name: "description", Description: "buyer, goods or services, quantities, prices, VAT rates", Required: true}},
		text: "Build an invoice from this description: {description}. Call send_invoice with a structured invoice to get a preview; show it to " +
			"the user and send it only after the user explicitly agrees, by calling send_invoice again with the confirmationToken."},
}

func (s *server) addPrompts(srv *mcp.Server) {
	for _, p := range prompts {
		if p.write && s.cfg.ReadOnly {
			continue
		}
		srv.AddPrompt(&mcp.Prompt{Name: p.name, Title: p.title, Description: p.description, Arguments: p.args},
			func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
				text := p.text
				for _, a := range p.args {
					v := req.Params.Arguments[a.Name]
					if v == "" && a.Required {
						return nil, fmt.Errorf("prompt %s needs the argument %s", p.name, a.Name)
					}
					text = strings.ReplaceAll(text, "{"+a.Name+"}", v)
				}
				return &mcp.GetPromptResult{Description: p.description,
					Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: text}}}}, nil
			})
	}
}
