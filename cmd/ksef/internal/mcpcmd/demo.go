package mcpcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/sqlitestore"
)

func newDemoCmd(f *cli.Factory) *cobra.Command {
	var outDir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Show an MCP session against an embedded simulator: search, render, send only after confirmation",
		Long: `Start the KSeF simulator in this process, send demo invoices to it (a
seller's sales and a supplier's invoices to the seller), fill a local store
with them, and drive ksef mcp as an MCP client would (in-memory transport):
list the tools, search and total the invoices, render one to HTML and PDF
(written to --out-dir), then send a new invoice, which happens only after
the confirmation: the call without a token returns a preview, a wrong token
is refused, and the simulator's count of sent invoices shows that nothing was
sent until the right token came. Each call and its answer are printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return RunDemo(cmd.Context(), f, outDir)
		},
	}
	cmd.Flags().StringVar(&outDir, "out-dir", "", "directory for the rendered invoice (default: a new temporary directory)")
	return cmd
}

// demoGap separates sync runs in the demo's store (its runs take
// milliseconds).
const demoGap = time.Second

// RunDemo is `ksef mcp demo` (also `ksef demo --mcp`): the demo
// environment and the transcript of an MCP session against it, printed to
// f.Stdout; the rendered invoice and the store go to outDir (default: a new
// temporary directory).
func RunDemo(ctx context.Context, f *cli.Factory, outDir string) error {
	if outDir == "" {
		var err error
		if outDir, err = os.MkdirTemp("", "ksef-mcp-demo-"); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	env, err := StartDemo(ctx, f.Logger(), outDir, f.SimOptions...)
	if err != nil {
		return err
	}
	defer env.Close()
	return env.Transcript(ctx, f.Stdout, outDir)
}

// DemoEnv is a simulator with demo invoices sent to it and a store holding
// them: what `ksef mcp demo` and the tests run the server against.
type DemoEnv struct {
	Sim     *ksefsim.Simulator
	BaseURL string
	// NIP is the seller whose profile the server uses; Client is its
	// authenticated client.
	NIP    string
	Client *ksef.AuthenticatedClient
	// SupplierNIP sent invoices to NIP.
	SupplierNIP string
	// Store holds the demo invoices.
	Store Store
	// Sent are the KSeF numbers of the demo invoices, in order.
	Sent []string

	accepted  atomic.Int64
	db        *sqlitestore.Store
	tempDir   string
	syncStart time.Time
	logger    *slog.Logger
	lastSync  time.Time

	close []func()
}

// Sync runs the sync engine once over the seller's four invoice streams
// (exports of the simulator) into the store and returns the number of
// invoices new to their streams.
//
// A run starts at least demoGap after the previous one ended, so that the
// store tells them apart (see sqlitestore.Store.LastSync).
func (e *DemoEnv) Sync(ctx context.Context) (int, error) {
	if wait := time.Until(e.lastSync.Add(demoGap + 100*time.Millisecond)); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	src := &ksefsync.ExportSource{Invoices: e.Client.Invoices, TempDir: e.tempDir,
		Wait: &ksef.WaitOptions{MinDelay: 20 * time.Millisecond, MaxDelay: 500 * time.Millisecond, Timeout: time.Minute}}
	eng, err := ksefsync.NewEngine(e.db, []ksefsync.ContextSource{{Context: e.NIP, Source: src}},
		ksefsync.Options{Start: e.syncStart, Logger: e.logger})
	if err != nil {
		return 0, err
	}
	sum := eng.Run(ctx)
	e.lastSync = time.Now()
	return sum.New(), sum.Err()
}

// Accepted counts the invoices the simulator accepted for processing
// (answers 202 to a send in an online session): requests refused with 429
// and retried are not counted, unlike ksefsim.Simulator.Calls.
func (e *DemoEnv) Accepted() int { return int(e.accepted.Load()) }

// countAccepted is the simulator middleware behind Accepted.
func (e *DemoEnv) countAccepted(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/sessions/online/") &&
			strings.HasSuffix(r.URL.Path, "/invoices") && rec.status == http.StatusAccepted {
			e.accepted.Add(1)
		}
	})
}

// statusRecorder remembers the status of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Close stops the simulator.
func (e *DemoEnv) Close() {
	for i := len(e.close) - 1; i >= 0; i-- {
		e.close[i]()
	}
}

// Config is the server configuration of the demo seller.
func (e *DemoEnv) Config() Config {
	return Config{Store: e.Store, NIP: e.NIP, Profile: "demo", Environment: ksef.Test,
		Client: func(context.Context) (*ksef.AuthenticatedClient, error) { return e.Client, nil },
		Wait:   &ksef.WaitOptions{MinDelay: 20 * time.Millisecond, MaxDelay: 500 * time.Millisecond, Timeout: time.Minute}}
}

// demoBuyers are the seller's customers.
var demoBuyers = []fa3.Party{
	{NIP: "7773152431", Name: "F.H.U. Jan Kowalski", AddressLine1: "ul. Polna 1", AddressLine2: "00-001 Warszawa"},
	{NIP: "5265877635", Name: "Nabywca S.A.", AddressLine1: "ul. Długa 5", AddressLine2: "80-001 Gdańsk"},
	{NIP: "1234563218", Name: "Hurtownia Północ sp. z o.o.", AddressLine1: "ul. Portowa 9", AddressLine2: "70-001 Szczecin"},
}

// StartDemo starts a simulator on loopback, logs in a seller and a
// supplier, sends the demo invoices through ksefsend and syncs the
// seller's invoices (sales and purchases) into an SQLite store in dir with
// the sync engine (package ksefsync, exports of the simulator).
func StartDemo(ctx context.Context, logger *slog.Logger, dir string, simOpts ...ksefsim.Option) (*DemoEnv, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &DemoEnv{BaseURL: ksefsim.BaseURL(l.Addr()), logger: logger}
	e.Sim = ksefsim.New(append([]ksefsim.Option{ksefsim.WithLogger(logger), ksefsim.WithMiddleware(e.countAccepted)}, simOpts...)...)
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); _ = e.Sim.Serve(sctx, l) }()
	e.close = append(e.close, func() { cancel(); <-done })
	ok := false
	defer func() {
		if !ok {
			e.Close()
		}
	}()
	login := func() (string, *ksef.AuthenticatedClient, error) {
		id, err := e.Sim.NewTestIdentity()
		if err != nil {
			return "", nil, err
		}
		c, err := ksef.NewClient(ksef.WithBaseURL(e.BaseURL), ksef.WithLogger(logger))
		if err != nil {
			return "", nil, err
		}
		a, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Key, nil)
		return id.NIP, a, err
	}
	var supplier *ksef.AuthenticatedClient
	if e.NIP, e.Client, err = login(); err != nil {
		return nil, fmt.Errorf("log in the seller: %w", err)
	}
	if e.SupplierNIP, supplier, err = login(); err != nil {
		return nil, fmt.Errorf("log in the supplier: %w", err)
	}
	today := e.Sim.Now()
	day := func(ago int) string { return today.AddDate(0, 0, -ago).Format(time.DateOnly) }
	seller := fa3.Party{NIP: e.NIP, Name: "Demo Sprzedawca sp. z o.o.", AddressLine1: "ul. Kwiatowa 1", AddressLine2: "00-950 Warszawa"}
	me := seller
	me.Name = "Demo Sprzedawca sp. z o.o."
	supp := fa3.Party{NIP: e.SupplierNIP, Name: "Dostawca Energii S.A.", AddressLine1: "ul. Prądowa 2", AddressLine2: "30-001 Kraków"}
	line := func(name, qty, price, rate string) fa3.Line {
		return fa3.Line{Name: name, Unit: "szt.", Quantity: fa3.Decimal(qty), UnitPrice: fa3.Decimal(price), Rate: fa3.TStawkaPodatku(rate)}
	}
	sales := []fa3.InvoiceParams{
		{Number: "FV/1/DEMO", IssueDate: day(40), Seller: seller, Buyer: demoBuyers[0], Lines: []fa3.Line{line("Konsultacje", "10", "150", "23")}},
		{Number: "FV/2/DEMO", IssueDate: day(35), Seller: seller, Buyer: demoBuyers[1], Lines: []fa3.Line{line("Licencja roczna", "1", "4800", "23"), line("Książka", "2", "49.90", "5")}},
		{Number: "FV/3/DEMO", IssueDate: day(5), Seller: seller, Buyer: demoBuyers[0], Lines: []fa3.Line{line("Wdrożenie", "1", "2500", "23")}},
		{Number: "FV/4/DEMO", IssueDate: day(3), Seller: seller, Buyer: demoBuyers[2], Lines: []fa3.Line{line("Serwis", "4", "310.25", "23")}},
		{Number: "FV/5/DEMO", IssueDate: day(1), Currency: "EUR", ExchangeRate: "4.2650", Seller: seller, Buyer: demoBuyers[1], Lines: []fa3.Line{line("Support", "5", "120", "23")}},
	}
	purchases := []fa3.InvoiceParams{
		{Number: "E/11/DEMO", IssueDate: day(33), Seller: supp, Buyer: me, Lines: []fa3.Line{line("Energia elektryczna", "812", "0.95", "23")}},
		{Number: "E/12/DEMO", IssueDate: day(2), Seller: supp, Buyer: me, Lines: []fa3.Line{line("Energia elektryczna", "790", "0.97", "23")}},
	}
	for _, batch := range []struct {
		c    *ksef.AuthenticatedClient
		invs []fa3.InvoiceParams
	}{{e.Client, sales}, {supplier, purchases}} {
		var docs [][]byte
		for _, p := range batch.invs {
			p.Created = today.Add(-time.Minute)
			doc, err := fa3.BuildXML(p)
			if err != nil {
				return nil, fmt.Errorf("demo invoice %s: %w", p.Number, err)
			}
			docs = append(docs, doc)
		}
		snd := &ksefsend.Sender{Sessions: batch.c.Sessions, Form: ksef.FormFA3,
			Wait: &ksef.WaitOptions{MinDelay: 20 * time.Millisecond, MaxDelay: 500 * time.Millisecond, Timeout: time.Minute}}
		outs, err := snd.Send(ctx, ksefsend.Bytes(docs...))
		if err != nil {
			return nil, err
		}
		for i, o := range outs {
			if !o.OK() {
				return nil, fmt.Errorf("demo invoice %s: %s: %v", batch.invs[i].Number, o.Kind, o.Err)
			}
			e.Sent = append(e.Sent, o.KSeFNumber)
		}
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, demoStoreName))
	if err != nil {
		return nil, err
	}
	e.close = append(e.close, func() { st.Close() })
	e.db, e.tempDir, e.syncStart = st, dir, today.Add(-time.Hour)
	e.Store = SyncStore(st, demoGap)
	if _, err := e.Sync(ctx); err != nil {
		return nil, err
	}
	ok = true
	return e, nil
}

// Transcript drives a server of the demo over the SDK's in-memory
// transport as an MCP client and prints every call and answer to w; the
// rendered invoice goes to outDir.
func (e *DemoEnv) Transcript(ctx context.Context, w io.Writer, outDir string) error {
	srv := NewServer(e.Config())
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		return err
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "ksef-mcp-demo", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		return err
	}
	defer cs.Close()
	step := 0
	say := func(format string, args ...any) {
		step++
		fmt.Fprintf(w, "\n%d. %s\n", step, fmt.Sprintf(format, args...))
	}
	call := func(name string, args map[string]any) (*mcp.CallToolResult, error) {
		b := []byte("{}")
		if args != nil {
			b, _ = json.Marshal(args)
		}
		fmt.Fprintf(w, "   -> %s %s\n", name, abbreviate(string(b), 200))
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			return nil, err
		}
		for _, c := range res.Content {
			if t, ok := c.(*mcp.TextContent); ok {
				prefix := "   <- "
				if res.IsError {
					prefix = "   <- ERROR "
				}
				fmt.Fprintf(w, "%s%s\n", prefix, strings.ReplaceAll(t.Text, "\n", "\n      "))
			}
		}
		return res, nil
	}
	sends := e.Accepted

	say("Simulator at %s; seller NIP %s; the store holds %d invoices (sales and a supplier's invoices)", e.BaseURL, e.NIP, len(e.Sent))
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		return err
	}
	var names []string
	for _, t := range tools.Tools {
		names = append(names, t.Name)
	}
	say("List the tools (%d): %s", len(names), strings.Join(names, ", "))

	say("Search: invoices to Kowalski")
	if _, err := call("search_invoices", map[string]any{"party": "Kowalski"}); err != nil {
		return err
	}
	say("Search: invoices over 5000.00 in PLN")
	if _, err := call("search_invoices", map[string]any{"minGross": "5000", "currency": "PLN"}); err != nil {
		return err
	}
	say("Totals per counterparty and month")
	if _, err := call("invoice_totals", map[string]any{"period": "month"}); err != nil {
		return err
	}
	first := e.Sent[1]
	say("Get one invoice as structured data")
	if _, err := call("get_invoice", map[string]any{"ksefNumber": first}); err != nil {
		return err
	}
	say("Render it (HTML and PDF, written to %s)", outDir)
	for _, format := range []string{"html", "pdf"} {
		res, err := call("render_invoice", map[string]any{"ksefNumber": first, "format": format})
		if err != nil {
			return err
		}
		for _, c := range res.Content {
			if r, ok := c.(*mcp.EmbeddedResource); ok {
				data := r.Resource.Blob
				if data == nil {
					data = []byte(r.Resource.Text)
				}
				p := filepath.Join(outDir, "faktura."+format)
				if err := os.WriteFile(p, data, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(w, "      wrote %s (%d bytes)\n", p, len(data))
			}
		}
	}
	say("Check a KSeF number and build its KOD I link (offline)")
	if _, err := call("check_ksef_number", map[string]any{"ksefNumber": first}); err != nil {
		return err
	}
	if _, err := call("invoice_link", map[string]any{"ksefNumber": first}); err != nil {
		return err
	}

	invoice := map[string]any{"number": "FV/6/DEMO", "buyer": map[string]any{"nip": demoBuyers[0].NIP, "name": demoBuyers[0].Name, "addressLine1": demoBuyers[0].AddressLine1},
		"lines": []any{map[string]any{"name": "Szkolenie", "unit": "h", "quantity": "6", "unitPrice": "200", "rate": "23"}}}
	before := sends()
	say("Send a new invoice: the first call only previews (invoices sent so far: %d)", before)
	res, err := call("send_invoice", map[string]any{"invoice": invoice})
	if err != nil {
		return err
	}
	token := field(res, "confirmationToken")
	if token == "" {
		return errors.New("the preview has no confirmation token")
	}
	fmt.Fprintf(w, "      invoices sent: %d (unchanged)\n", sends())
	say("Call again with a wrong token: refused, nothing sent")
	if _, err := call("send_invoice", map[string]any{"invoice": invoice, "confirmationToken": "confirm-WRONG"}); err != nil {
		return err
	}
	fmt.Fprintf(w, "      invoices sent: %d (unchanged)\n", sends())
	say("The user agreed: call again with the confirmation token")
	res, err = call("send_invoice", map[string]any{"invoice": invoice, "confirmationToken": token})
	if err != nil {
		return err
	}
	if res.IsError {
		return errors.New("the confirmed send failed")
	}
	sent := field(res, "result", "ksefNumber")
	fmt.Fprintf(w, "      invoices sent: %d (one more)\n", sends())
	say("The same token again: used up, nothing sent")
	if _, err := call("send_invoice", map[string]any{"confirmationToken": token}); err != nil {
		return err
	}
	fmt.Fprintf(w, "      invoices sent: %d (unchanged)\n", sends())
	say("The UPO of the invoice just sent")
	if _, err := call("get_upo", map[string]any{"ksefNumber": sent}); err != nil {
		return err
	}
	say("Sync again (ksef sync): what is new since the last sync")
	n, err := e.Sync(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "      the sync stored %d new stream entries\n", n)
	if _, err := call("whats_new", nil); err != nil {
		return err
	}
	if after := sends(); after != before+1 {
		return fmt.Errorf("the simulator received %d invoices, want exactly 1", after-before)
	}
	fmt.Fprintf(w, "\nMCP demo succeeded: nothing was sent before the confirmation, exactly one invoice after it (%s).\n", sent)
	return nil
}

// field returns the string at path in a result's structured content ("" if
// there is none).
func field(res *mcp.CallToolResult, path ...string) string {
	v := res.StructuredContent
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

// abbreviate shortens s to n runes.
func abbreviate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "..."
}
