package mcpcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/ident"
)

// demo is the simulator with the demo invoices shared by the tests (sending
// them takes seconds); tests count the simulator's calls as differences.
var demo struct {
	once sync.Once
	env  *DemoEnv
	err  error
	dir  string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mcpcmd-test-")
	if err != nil {
		panic(err)
	}
	demo.dir = dir
	code := m.Run()
	if demo.env != nil {
		demo.env.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// demoEnv returns the shared demo environment. Its simulator checks every
// exchange against the OpenAPI spec.
func demoEnv(t *testing.T) *DemoEnv {
	t.Helper()
	demo.once.Do(func() {
		demo.env, demo.err = StartDemo(context.Background(), nil, demo.dir, clitest.ContractOption(t))
	})
	if demo.err != nil {
		t.Fatal(demo.err)
	}
	return demo.env
}

// logBuffer collects what the server logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// connect serves cfg and returns a client session over the SDK's
// in-memory transport.
func connect(t *testing.T, cfg Config) *mcp.ClientSession {
	t.Helper()
	srv := NewServer(cfg)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(t.Context(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(t.Context(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// call calls a tool and returns its result, failing on protocol errors.
func call(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// text joins the text content of a result.
func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// ok calls a tool that must succeed and decodes its structured output.
func ok[T any](t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) (T, *mcp.CallToolResult) {
	t.Helper()
	res := call(t, cs, name, args)
	var out T
	if res.IsError {
		t.Fatalf("%s %v: tool error: %s", name, args, text(res))
	}
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: structured output: %v", name, err)
	}
	return out, res
}

// failing calls a tool that must fail and returns its message.
func failing(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) string {
	t.Helper()
	res := call(t, cs, name, args)
	if !res.IsError {
		t.Fatalf("%s %v succeeded, want an error: %s", name, args, text(res))
	}
	return text(res)
}

var writeTools = []string{"correct_invoice", "revoke_token", "send_invoice"}

func TestListTools(t *testing.T) {
	all := []string{"check_ksef_number", "correct_invoice", "get_invoice", "get_upo", "invoice_link", "invoice_totals",
		"render_invoice", "revoke_token", "search_invoices", "send_invoice", "validate_invoice", "whats_new"}
	for _, readOnly := range []bool{false, true} {
		cs := connect(t, Config{Store: &MemStore{}, ReadOnly: readOnly})
		res, err := cs.ListTools(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tool := range res.Tools {
			names = append(names, tool.Name)
			if tool.Description == "" || tool.InputSchema == nil {
				t.Errorf("tool %s lacks a description or an input schema", tool.Name)
			}
			if slices.Contains(writeTools, tool.Name) != (tool.Annotations == nil || !tool.Annotations.ReadOnlyHint) {
				t.Errorf("tool %s: read-only hint does not match", tool.Name)
			}
		}
		slices.Sort(names)
		want := all
		if readOnly {
			want = slices.DeleteFunc(slices.Clone(all), func(n string) bool { return slices.Contains(writeTools, n) })
		}
		if !slices.Equal(names, want) {
			t.Errorf("readOnly=%v: tools %v, want %v", readOnly, names, want)
		}
		prompts, err := cs.ListPrompts(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		hasWrite := slices.ContainsFunc(prompts.Prompts, func(p *mcp.Prompt) bool { return p.Name == "send_invoice" })
		if hasWrite == readOnly || len(prompts.Prompts) < 3 {
			t.Errorf("readOnly=%v: %d prompts, send_invoice prompt offered: %v", readOnly, len(prompts.Prompts), hasWrite)
		}
		if !strings.Contains(cs.InitializeResult().Instructions, "confirm") && !readOnly {
			t.Errorf("instructions do not explain the confirmation: %s", cs.InitializeResult().Instructions)
		}
	}
}

func TestSearchRenderTotals(t *testing.T) {
	e := demoEnv(t)
	cs := connect(t, e.Config())

	all, _ := ok[SearchOutput](t, cs, "search_invoices", nil)
	if all.Count < len(e.Sent) {
		t.Fatalf("search without filters found %d invoices, the store holds at least %d", all.Count, len(e.Sent))
	}
	for _, tc := range []struct {
		args    map[string]any
		numbers []string
	}{
		{map[string]any{"party": "kowalski"}, []string{"FV/1/DEMO", "FV/3/DEMO"}},
		{map[string]any{"nip": "5265877635"}, []string{"FV/2/DEMO", "FV/5/DEMO"}},
		{map[string]any{"nip": e.SupplierNIP, "role": "seller"}, []string{"E/11/DEMO", "E/12/DEMO"}},
		{map[string]any{"nip": e.SupplierNIP, "role": "buyer"}, nil},
		{map[string]any{"currency": "eur"}, []string{"FV/5/DEMO"}},
		{map[string]any{"minGross": "1500", "maxGross": "3075.00", "currency": "PLN"}, []string{"FV/1/DEMO", "FV/3/DEMO", "FV/4/DEMO"}},
		{map[string]any{"invoiceNumber": "E/1"}, []string{"E/11/DEMO", "E/12/DEMO"}},
		{map[string]any{"invoiceType": "Kor"}, nil},
		{map[string]any{"party": "Kowalski", "limit": 1}, []string{"FV/1/DEMO"}},
	} {
		out, _ := ok[SearchOutput](t, cs, "search_invoices", tc.args)
		var got []string
		for _, r := range out.Invoices {
			if strings.HasSuffix(r.InvoiceNumber, "/DEMO") && (r.InvoiceType == "Vat" || r.InvoiceType == "VAT") {
				got = append(got, r.InvoiceNumber)
			}
		}
		if !slices.Equal(got, tc.numbers) {
			t.Errorf("search %v: %v, want %v", tc.args, got, tc.numbers)
		}
	}
	if msg := failing(t, cs, "search_invoices", map[string]any{"minGross": "1.234"}); !strings.Contains(msg, "two decimal places") {
		t.Errorf("bad amount: %s", msg)
	}

	// One invoice: structured data and the rendered document.
	num := e.Sent[1] // FV/2/DEMO: two lines, two VAT rates
	got, _ := ok[GetOutput](t, cs, "get_invoice", map[string]any{"ksefNumber": num, "includeXml": true})
	if got.Document == nil || got.Document.Number != "FV/2/DEMO" || len(got.Document.Lines) != 2 || got.Document.Totals.Gross != "6008.79" {
		t.Fatalf("get_invoice: %+v", got.Document)
	}
	if got.Summary.Gross != "6008.79" || !strings.Contains(got.XML, "<P_2>FV/2/DEMO</P_2>") || !strings.HasPrefix(got.VerificationLink, "https://qr-test.ksef.mf.gov.pl/invoice/") {
		t.Errorf("get_invoice summary %+v, link %q", got.Summary, got.VerificationLink)
	}
	for format, want := range map[string]string{"html": "FV/2/DEMO", "pdf": "%PDF-"} {
		out, res := ok[RenderOutput](t, cs, "render_invoice", map[string]any{"ksefNumber": num, "format": format})
		var doc []byte
		for _, c := range res.Content {
			if r, ok := c.(*mcp.EmbeddedResource); ok {
				doc = append(r.Resource.Blob, r.Resource.Text...)
			}
		}
		if !bytes.Contains(doc, []byte(want)) || out.Size != len(doc) {
			t.Errorf("render %s: %d bytes (output says %d), want %q in it", format, len(doc), out.Size, want)
		}
	}
	unknown := string(ident.NewKSeFNumber("5265877635", time.Now(), nil))
	if msg := failing(t, cs, "get_invoice", map[string]any{"ksefNumber": unknown}); !strings.Contains(msg, "not in the local store") {
		t.Errorf("unknown invoice: %s", msg)
	}

	// Resources.
	rr, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: InvoiceURIPrefix + num})
	if err != nil || len(rr.Contents) != 1 || !strings.Contains(rr.Contents[0].Text, "FV/2/DEMO") || rr.Contents[0].MIMEType != "application/xml" {
		t.Fatalf("read resource: %v %+v", err, rr)
	}
	rr, err = cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: InvoiceURIPrefix + num + ".html"})
	if err != nil || !strings.Contains(rr.Contents[0].Text, "<html") {
		t.Fatalf("read HTML resource: %v", err)
	}
	if _, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: InvoiceURIPrefix + unknown}); err == nil {
		t.Error("reading an unknown invoice succeeded")
	}

	// Totals: FV/2 (6008.79) and FV/5 (EUR) go to Nabywca S.A., the
	// supplier's two invoices are purchases.
	tot, _ := ok[TotalsOutput](t, cs, "invoice_totals", map[string]any{"period": "all", "issuedTo": "2100-01-01"})
	find := func(id, cur string) *TotalRow {
		for i := range tot.Rows {
			if tot.Rows[i].CounterpartyID == id && tot.Rows[i].Currency == cur {
				return &tot.Rows[i]
			}
		}
		return nil
	}
	if r := find("5265877635", "PLN"); r == nil || r.Count != 1 || r.Gross != "6008.79" || r.Direction != "sales" {
		t.Errorf("totals of Nabywca S.A. in PLN: %+v", r)
	}
	if r := find("5265877635", "EUR"); r == nil || r.Gross != "738.00" {
		t.Errorf("totals of Nabywca S.A. in EUR: %+v", r)
	}
	if r := find(e.SupplierNIP, "PLN"); r == nil || r.Count != 2 || r.Direction != "purchases" || r.Gross != "1891.37" {
		t.Errorf("totals of the supplier: %+v", r)
	}
	monthly, _ := ok[TotalsOutput](t, cs, "invoice_totals", map[string]any{"nip": e.SupplierNIP, "period": "month"})
	if len(monthly.Rows) != 2 || monthly.Rows[0].Period >= monthly.Rows[1].Period {
		t.Errorf("monthly totals of the supplier: %+v", monthly.Rows)
	}

	// What is new: everything was stored in the last (only) sync.
	news, _ := ok[SearchOutput](t, cs, "whats_new", nil)
	if news.Count < len(e.Sent) || news.LastSync == "" {
		t.Errorf("whats_new: %d invoices, last sync %q", news.Count, news.LastSync)
	}
	news, _ = ok[SearchOutput](t, cs, "whats_new", map[string]any{"since": "2999-01-01"})
	if news.Count != 0 {
		t.Errorf("whats_new since 2999: %d invoices", news.Count)
	}
}

func TestOfflineTools(t *testing.T) {
	e := demoEnv(t)
	cs := connect(t, e.Config())
	num := e.Sent[0]
	n, _ := ok[NumberOutput](t, cs, "check_ksef_number", map[string]any{"ksefNumber": num})
	if !n.Valid || !n.InStore || n.SellerNIP != e.NIP {
		t.Errorf("check %s: %+v", num, n)
	}
	bad := num[:len(num)-2] + "00"
	if n, _ := ok[NumberOutput](t, cs, "check_ksef_number", map[string]any{"ksefNumber": bad}); n.Valid || !strings.Contains(n.Error, "checksum") {
		t.Errorf("check %s: %+v", bad, n)
	}
	l, _ := ok[LinkOutput](t, cs, "invoice_link", map[string]any{"ksefNumber": num})
	inv, err := e.Store.Invoice(t.Context(), num)
	if err != nil {
		t.Fatal(err)
	}
	fromXML, _ := ok[LinkOutput](t, cs, "invoice_link", map[string]any{"xml": string(inv.XML)})
	if l.Link != fromXML.Link || l.Label != num || fromXML.Label != "OFFLINE" || l.SellerNIP != e.NIP {
		t.Errorf("links: %+v and %+v", l, fromXML)
	}
	v, _ := ok[ValidateOutput](t, cs, "validate_invoice", map[string]any{"xml": string(inv.XML)})
	if !v.Valid || v.Form != "FA (3)" {
		t.Errorf("validate a valid invoice: %+v", v)
	}
	broken := strings.Replace(string(inv.XML), "<P_2>", "<P_2X/><P_2>", 1)
	v, _ = ok[ValidateOutput](t, cs, "validate_invoice", map[string]any{"xml": broken})
	if v.Valid || len(v.Violations) == 0 || v.Violations[0].Line == 0 {
		t.Errorf("validate a broken invoice: %+v", v)
	}
	file := clitest.WriteTempDoc(t, t.TempDir(), "f.xml", inv.XML)
	if v, _ := ok[ValidateOutput](t, cs, "validate_invoice", map[string]any{"file": file}); !v.Valid {
		t.Errorf("validate a file: %+v", v)
	}
	secret := clitest.WriteTempDoc(t, t.TempDir(), "profiles.json", []byte(`{"default":{"accessToken":"SECRET-TOKEN"}}`))
	for _, tool := range []string{"validate_invoice", "send_invoice", "invoice_link"} {
		if msg := failing(t, cs, tool, map[string]any{"file": secret}); !strings.Contains(msg, "only .xml files") || strings.Contains(msg, "SECRET") {
			t.Errorf("%s of a JSON file: %s", tool, msg)
		}
	}
}

// uniq tells the invoice numbers of one test from those of earlier runs
// in the same process (-count), which share the simulator.
func uniq(prefix string) string {
	return prefix + "/" + strconv.FormatInt(seq.Add(1), 10) + "/" + time.Now().Format("150405")
}

var seq atomic.Int64

// sendInvoice is a structured invoice for send_invoice.
func sendInvoice(number string) map[string]any {
	return map[string]any{"number": number,
		"buyer": map[string]any{"nip": "7773152431", "name": "F.H.U. Jan Kowalski", "addressLine1": "ul. Polna 1"},
		"lines": []any{map[string]any{"name": "Szkolenie", "unit": "h", "quantity": 6, "unitPrice": "200.50", "rate": "23"}}}
}

func TestSendOnlyAfterConfirmation(t *testing.T) {
	e := demoEnv(t)
	var logs logBuffer
	cfg := e.Config()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cs := connect(t, cfg)
	sends := e.Accepted
	opens := func() int { return e.Sim.Calls("POST /sessions/online") }
	base, baseOpens := sends(), opens()
	number := uniq("FV/MCP")
	inv := sendInvoice(number)

	prev, _ := ok[WriteOutput](t, cs, "send_invoice", map[string]any{"invoice": inv})
	if prev.Status != "preview" || prev.ConfirmationToken == "" || prev.Preview["gross"] != "1479.69" || prev.Preview["invoiceNumber"] != number ||
		!strings.Contains(fmt.Sprint(prev.Preview["seller"]), e.NIP) {
		t.Fatalf("preview: %+v", prev)
	}
	assertNothingSent := func(when string) {
		t.Helper()
		if n, o := sends()-base, opens()-baseOpens; n != 0 || o != 0 {
			t.Fatalf("%s: the simulator got %d invoice(s) and %d session(s)", when, n, o)
		}
	}
	assertNothingSent("after the preview")

	// No token: another preview (with another token), nothing sent.
	prev2, _ := ok[WriteOutput](t, cs, "send_invoice", map[string]any{"invoice": inv})
	if prev2.ConfirmationToken == prev.ConfirmationToken {
		t.Error("two previews share a token")
	}
	// A wrong token, the token of another tool's preview, other
	// arguments: refused, nothing sent.
	if msg := failing(t, cs, "send_invoice", map[string]any{"invoice": inv, "confirmationToken": "confirm-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}); !strings.Contains(msg, "nothing was done") {
		t.Errorf("wrong token: %s", msg)
	}
	assertNothingSent("after a wrong token")
	other := sendInvoice(uniq("FV/MCP"))
	if msg := failing(t, cs, "send_invoice", map[string]any{"invoice": other, "confirmationToken": prev.ConfirmationToken}); !strings.Contains(msg, "differ") {
		t.Errorf("changed arguments: %s", msg)
	}
	assertNothingSent("after changed arguments")
	rev, _ := ok[WriteOutput](t, cs, "revoke_token", map[string]any{"referenceNumber": "20260115-AU-0000000001-0000000001-01"})
	if msg := failing(t, cs, "send_invoice", map[string]any{"invoice": inv, "confirmationToken": rev.ConfirmationToken}); !strings.Contains(msg, "another tool") {
		t.Errorf("token of revoke_token: %s", msg)
	}
	assertNothingSent("after another tool's token")

	// The right token: sent once.
	done, _ := ok[WriteOutput](t, cs, "send_invoice", map[string]any{"invoice": inv, "confirmationToken": prev.ConfirmationToken})
	knum, _ := done.Result["ksefNumber"].(string)
	if done.Status != "done" || done.Result["status"] != "registered" || knum == "" {
		t.Fatalf("confirmed send: %+v", done)
	}
	if n := sends() - base; n != 1 {
		t.Fatalf("the simulator got %d invoices after the confirmation, want 1", n)
	}
	// The token is used up, also without arguments.
	if msg := failing(t, cs, "send_invoice", map[string]any{"confirmationToken": prev.ConfirmationToken}); !strings.Contains(msg, "nothing was done") {
		t.Errorf("reused token: %s", msg)
	}
	// The second preview's token, confirmed without repeating the
	// arguments: KSeF has the invoice already and says so (duplicate, with
	// the original's KSeF number), nothing registered twice.
	dup, _ := ok[WriteOutput](t, cs, "send_invoice", map[string]any{"confirmationToken": prev2.ConfirmationToken})
	if dup.Result["status"] != "duplicate" || dup.Result["ksefNumber"] != knum {
		t.Errorf("second confirmation of the same invoice: %+v", dup.Result)
	}
	if n := sends() - base; n != 2 {
		t.Errorf("the simulator got %d sends, want 2", n)
	}

	// The UPO of the invoice sent, downloaded once and then kept.
	upoCalls := func() int {
		return e.Sim.Calls("GET /sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo")
	}
	u0 := upoCalls()
	for range 2 {
		u, _ := ok[UPOOutput](t, cs, "get_upo", map[string]any{"ksefNumber": knum})
		if u.KSeFNumber != knum || u.InvoiceNumber != number || u.SessionReferenceNumber != done.Result["sessionReferenceNumber"] || u.DocumentHash == "" {
			t.Errorf("UPO: %+v", u)
		}
	}
	if n := upoCalls() - u0; n != 1 {
		t.Errorf("UPO downloaded %d times, want once", n)
	}

	// No secret in any result or log line.
	access, refresh := e.Client.TokenManager().Tokens()
	all := logs.String() + fmt.Sprint(prev, prev2, done, dup)
	clitest.AssertNoTokens(t, all, access.Token.Reveal(), refresh.Token.Reveal())
	if !strings.Contains(logs.String(), "tool=send_invoice") {
		t.Errorf("the server logged no tool calls: %s", logs.String())
	}
}

func TestSendFileAndInvalid(t *testing.T) {
	e := demoEnv(t)
	cs := connect(t, e.Config())
	base := e.Accepted()
	inv, err := e.Store.Invoice(t.Context(), e.Sent[0])
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(inv.XML), "<P_2>", "<P_2X/><P_2>", 1)
	if msg := failing(t, cs, "send_invoice", map[string]any{"xml": broken}); !strings.Contains(msg, "not valid") {
		t.Errorf("invalid invoice: %s", msg)
	}
	if msg := failing(t, cs, "send_invoice", map[string]any{"invoice": map[string]any{"number": "X", "buyer": map[string]any{"name": "B"}, "lines": []any{}}}); !strings.Contains(msg, "cannot build") {
		t.Errorf("incomplete invoice: %s", msg)
	}
	// A file already in KSeF: preview, then duplicate with the original's number.
	file := clitest.WriteTempDoc(t, t.TempDir(), "f.xml", inv.XML)
	prev, _ := ok[WriteOutput](t, cs, "send_invoice", map[string]any{"file": file})
	if e.Accepted() != base {
		t.Fatal("a preview sent the invoice")
	}
	done, _ := ok[WriteOutput](t, cs, "send_invoice", map[string]any{"file": file, "confirmationToken": prev.ConfirmationToken})
	if done.Result["status"] != "duplicate" || done.Result["ksefNumber"] != e.Sent[0] {
		t.Errorf("resent file: %+v", done.Result)
	}
}

func TestCorrection(t *testing.T) {
	e := demoEnv(t)
	cs := connect(t, e.Config())
	base := e.Accepted()
	args := map[string]any{"ksefNumber": e.Sent[0], "number": uniq("KOR/MCP"), "reason": "błędna ilość", "type": "1",
		"lines": []any{
			map[string]any{"name": "Konsultacje", "unit": "szt.", "quantity": "10", "unitPrice": "150", "rate": "23", "before": true},
			map[string]any{"name": "Konsultacje", "unit": "szt.", "quantity": "8", "unitPrice": "150", "rate": "23"},
		}}
	prev, _ := ok[WriteOutput](t, cs, "correct_invoice", args)
	if prev.Preview["kind"] != "KOR" || prev.Preview["corrects"] != e.Sent[0] || prev.Preview["gross"] != "-369.00" {
		t.Fatalf("correction preview: %+v", prev.Preview)
	}
	if e.Accepted() != base {
		t.Fatal("a preview sent the correction")
	}
	args["confirmationToken"] = prev.ConfirmationToken
	done, _ := ok[WriteOutput](t, cs, "correct_invoice", args)
	if done.Result["status"] != "registered" || e.Accepted() != base+1 {
		t.Fatalf("confirmed correction: %+v", done.Result)
	}
	// Only the seller corrects: the supplier's invoice is refused.
	args = map[string]any{"ksefNumber": e.Sent[len(e.Sent)-1], "number": "KOR/2/MCP", "lines": args["lines"]}
	if msg := failing(t, cs, "correct_invoice", args); !strings.Contains(msg, "only the seller") {
		t.Errorf("correcting a purchase: %s", msg)
	}
}

func TestRevokeToken(t *testing.T) {
	e := demoEnv(t)
	cs := connect(t, e.Config())
	gen, err := e.Client.Tokens.Generate(t.Context(), &ksef.GenerateTokenRequest{
		Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}, Description: "MCP revoke test"})
	if err != nil {
		t.Fatal(err)
	}
	const op = "DELETE /tokens/{referenceNumber}"
	base := e.Sim.Calls(op)
	args := map[string]any{"referenceNumber": gen.ReferenceNumber}
	prev, _ := ok[WriteOutput](t, cs, "revoke_token", args)
	if prev.Preview["referenceNumber"] != gen.ReferenceNumber || e.Sim.Calls(op) != base {
		t.Fatalf("revoke preview: %+v (calls %d)", prev, e.Sim.Calls(op)-base)
	}
	status := func() string {
		for tok, err := range e.Client.Tokens.ListAll(t.Context(), nil) {
			if err != nil {
				t.Fatal(err)
			}
			if tok.ReferenceNumber == gen.ReferenceNumber {
				return string(tok.Status)
			}
		}
		return ""
	}
	before := status()
	args["confirmationToken"] = prev.ConfirmationToken
	done, _ := ok[WriteOutput](t, cs, "revoke_token", args)
	if done.Result["status"] != "revoked" || e.Sim.Calls(op) != base+1 {
		t.Fatalf("confirmed revoke: %+v", done)
	}
	if after := status(); after == before || !strings.Contains(strings.ToLower(after), "revok") {
		t.Errorf("token status %q -> %q", before, after)
	}
	clitest.AssertNoTokens(t, fmt.Sprint(prev, done), gen.Token.Reveal())
}

func TestReadOnlyHasNoWrites(t *testing.T) {
	e := demoEnv(t)
	cfg := e.Config()
	cfg.ReadOnly = true
	cs := connect(t, cfg)
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "send_invoice", Arguments: map[string]any{"invoice": sendInvoice("FV/RO")}})
	if err == nil && !res.IsError {
		t.Fatal("a read-only server sent an invoice")
	}
	if _, err := cs.GetPrompt(t.Context(), &mcp.GetPromptParams{Name: "send_invoice", Arguments: map[string]string{"description": "x"}}); err == nil {
		t.Error("a read-only server offers the send_invoice prompt")
	}
	p, err := cs.GetPrompt(t.Context(), &mcp.GetPromptParams{Name: "monthly_summary", Arguments: map[string]string{"month": "2026-11"}})
	if err != nil || !strings.Contains(p.Messages[0].Content.(*mcp.TextContent).Text, "2026-11-01") {
		t.Errorf("monthly_summary prompt: %v", err)
	}
}

func TestWhatsNewAfterSync(t *testing.T) {
	e := demoEnv(t)
	cs := connect(t, e.Config())
	if _, err := e.Sync(t.Context()); err != nil { // what earlier tests sent is old now
		t.Fatal(err)
	}
	prev, _ := ok[WriteOutput](t, cs, "send_invoice", map[string]any{"invoice": sendInvoice(uniq("FV/NEW"))})
	done, _ := ok[WriteOutput](t, cs, "send_invoice", map[string]any{"confirmationToken": prev.ConfirmationToken})
	knum, _ := done.Result["ksefNumber"].(string)
	if n, err := e.Sync(t.Context()); err != nil || n < 1 {
		t.Fatalf("second sync: %d new, %v", n, err)
	}
	news, _ := ok[SearchOutput](t, cs, "whats_new", nil)
	if news.Count != 1 || news.Invoices[0].KSeFNumber != knum || news.Invoices[0].Stored < news.Since {
		t.Errorf("whats_new after the sync: %+v, want only %s", news, knum)
	}
	if found, _ := ok[SearchOutput](t, cs, "search_invoices", map[string]any{"invoiceNumber": "FV/NEW"}); found.Count < 1 {
		t.Errorf("the synced invoice is not found: %+v", found)
	}
}
