// Package mcpcmd is the `ksef mcp` command: a Model Context Protocol server
// (github.com/modelcontextprotocol/go-sdk) that lets an AI assistant work
// with KSeF safely.
//
// Read tools answer from the local sync store (see [Store]; filled by `ksef
// sync`), never with a live KSeF query per question: search invoices, get one
// as structured data or as the rendered document, totals per counterparty
// and period, what is new since the last sync. Offline tools validate an
// invoice file, check a KSeF number and build a KOD I link. Write tools
// (send an invoice, issue a correction, revoke a KSeF token) first return a
// preview and a one-time confirmation token; nothing reaches KSeF until the
// client calls the tool again with that token, and a read-only profile has
// no write tools at all. Invoices are also resources,
// ksef://invoice/{ksefNumber}, and prompts cover common tasks.
//
// Tool results and logs never carry tokens: the server holds the profile's
// credentials inside the SDK client and reports only reference numbers,
// KSeF numbers and statuses.
package mcpcmd

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ksef2/ksef"
)

// Config is what a server works with.
type Config struct {
	// Store is the local sync store the read tools answer from.
	Store Store
	// Client returns the authenticated client of the profile, used only by
	// the write tools and the UPO tool (nil: those tools report that no
	// profile is logged in).
	Client func(ctx context.Context) (*ksef.AuthenticatedClient, error)
	// ReadOnly leaves the write tools out.
	ReadOnly bool
	// Profile names the profile (for previews).
	Profile string
	// NIP is the profile's context NIP: the seller of invoices it sends,
	// "us" in totals.
	NIP string
	// Environment selects the QR host of KOD I links.
	Environment ksef.Environment
	// Ledger records the invoices sent through the server (for their UPO);
	// nil keeps them in memory only.
	Ledger *Ledger
	// Wait bounds the wait for a sent invoice's status (default 2 minutes).
	Wait *ksef.WaitOptions
	// Logger receives one record per tool call (tool name, outcome; never
	// arguments holding documents, never tokens).
	Logger *slog.Logger
	// Version is the server's version.
	Version string
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

// server is the state behind the tools.
type server struct {
	cfg     Config
	confirm *confirmations
	log     *slog.Logger
}

// NewServer returns the MCP server of cfg with its tools, resources and
// prompts.
func NewServer(cfg Config) *mcp.Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Ledger == nil {
		cfg.Ledger = &Ledger{}
	}
	if cfg.Wait == nil {
		cfg.Wait = &ksef.WaitOptions{MinDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second, Timeout: 2 * time.Minute}
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s := &server{cfg: cfg, confirm: newConfirmations(), log: cfg.Logger}
	s.confirm.now = cfg.Now
	srv := mcp.NewServer(&mcp.Implementation{Name: "ksef", Title: "KSeF (Krajowy System e-Faktur)", Version: cfg.Version},
		&mcp.ServerOptions{Instructions: s.instructions(), Capabilities: &mcp.ServerCapabilities{}})
	s.addOfflineTools(srv)
	s.addReadTools(srv)
	if !cfg.ReadOnly {
		s.addWriteTools(srv)
	}
	s.addResources(srv)
	s.addPrompts(srv)
	return srv
}

func (s *server) instructions() string {
	var b strings.Builder
	b.WriteString(`Tools for KSeF, Poland's national e-invoice system. Questions about invoices are answered from the local store that ` +
		"`ksef sync`" + ` fills (search_invoices, get_invoice, render_invoice, invoice_totals, whats_new); they never query KSeF. ` +
		`Amounts are decimal strings in the invoice's currency; dates are YYYY-MM-DD.`)
	if s.cfg.ReadOnly {
		b.WriteString(" This profile is read-only: nothing can be sent to KSeF.")
	} else {
		b.WriteString(` Tools that change something in KSeF (send_invoice, correct_invoice, revoke_token) first return a preview and a ` +
			`confirmationToken and do nothing else. Show the preview to the user, and only when the user agrees call the same tool ` +
			`again with the same arguments and the confirmationToken. Never confirm on your own.`)
	}
	return b.String()
}

// logCall logs one tool call.
func (s *server) logCall(ctx context.Context, tool string, err error, attrs ...any) {
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelInfo, "mcp tool", slog.String("tool", tool), slog.String("error", err.Error()))
		return
	}
	s.log.Log(ctx, slog.LevelInfo, "mcp tool", append([]any{"tool", tool}, attrs...)...)
}

// sessionID is the MCP session of a request ("" for the stdio and
// in-memory transports).
func sessionID(req *mcp.CallToolRequest) string {
	if req == nil || req.Session == nil {
		return ""
	}
	return req.Session.ID()
}

// digestOf hashes a tool's arguments (with the confirmation token cleared
// by the caller).
func digestOf(v any) [32]byte {
	b, _ := json.Marshal(v)
	return sha256.Sum256(b)
}

// Amount formats minor units as a decimal string with two places.
func Amount(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}

// ParseAmount reads a decimal amount ("1234.5", "1234,50", "-3") as minor
// units; more than two decimal places are an error.
func ParseAmount(s string) (int64, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	t = strings.ReplaceAll(t, " ", "")
	r, ok := new(big.Rat).SetString(t)
	if !ok || t == "" || strings.ContainsAny(t, "eE/") {
		return 0, fmt.Errorf("%q is not a decimal amount", s)
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, fmt.Errorf("%q: at most two decimal places", s)
	}
	return r.Num().Int64(), nil
}

// textResult is a tool result holding text for the model next to the
// structured output.
func textResult(format string, args ...any) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf(format, args...)}}}
}
