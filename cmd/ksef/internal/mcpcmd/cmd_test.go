package mcpcmd

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/cmd/ksef/internal/synccmd"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/ksefsim/ksefsimtest"
)

// stdio is `ksef mcp` running in-process with a pipe as its stdin: an MCP
// client speaking JSON-RPC lines.
type stdio struct {
	t    *testing.T
	in   *os.File
	out  *clitest.SyncBuffer
	done chan error
	next int
}

// startStdio runs `ksef mcp args...` of c's areas and initializes the
// MCP session.
func startStdio(t *testing.T, c *clitest.CLI, args ...string) *stdio {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &stdio{t: t, in: pw, out: &clitest.SyncBuffer{}, done: make(chan error, 1)}
	f := &cli.Factory{Stdin: pr, Stdout: s.out, Stderr: &clitest.SyncBuffer{}, Getenv: func(string) string { return "" }}
	root := cli.NewRoot(f, c.Areas...)
	go func() {
		s.done <- cli.Execute(t.Context(), f, root, append([]string{"--config-dir", c.Dir, "mcp"}, args...))
	}()
	t.Cleanup(func() { pw.Close(); pr.Close() })
	init := s.ask("initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "t", "version": "1"}})
	if init["serverInfo"] == nil {
		t.Fatalf("initialize: %v", init)
	}
	s.send(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized", "params": map[string]any{}})
	return s
}

func (s *stdio) send(msg map[string]any) {
	b, _ := json.Marshal(msg)
	if _, err := s.in.Write(append(b, '\n')); err != nil {
		s.t.Fatal(err)
	}
}

// ask sends a request and returns the result of its answer.
func (s *stdio) ask(method string, params any) map[string]any {
	s.t.Helper()
	s.next++
	id := float64(s.next)
	s.send(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		sc := bufio.NewScanner(strings.NewReader(s.out.String()))
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				s.t.Fatalf("stdout holds a line that is not JSON-RPC: %q", sc.Text())
			}
			if m["id"] == id {
				if m["error"] != nil {
					s.t.Fatalf("%s: %v", method, m["error"])
				}
				return m["result"].(map[string]any)
			}
		}
	}
	s.t.Fatalf("%s: no answer", method)
	return nil
}

// tool calls a tool and returns its result.
func (s *stdio) tool(name string, args map[string]any) map[string]any {
	s.t.Helper()
	return s.ask("tools/call", map[string]any{"name": name, "arguments": args})
}

// close ends stdin, as a client does, and waits for the command.
func (s *stdio) close() string {
	s.t.Helper()
	s.in.Close()
	if err := <-s.done; err != nil {
		s.t.Fatalf("ksef mcp: %v", err)
	}
	return s.out.String()
}

func TestStdioCommand(t *testing.T) {
	c := clitest.New(t, New)
	db := filepath.Join(t.TempDir(), "store.db")
	for _, tc := range []struct {
		readOnly bool
		tools    int
	}{{false, 12}, {true, 9}} {
		if tc.readOnly {
			c.MustRun("mcp", "read-only", "on")
			if out := c.MustRun("mcp", "read-only"); !strings.Contains(out, "read-only (no write tools)") {
				t.Fatalf("read-only: %s", out)
			}
		}
		s := startStdio(t, c, "--store", "sqlite:"+db)
		tools := s.ask("tools/list", map[string]any{})["tools"].([]any)
		if len(tools) != tc.tools {
			t.Errorf("readOnly=%v: %d tools, want %d", tc.readOnly, len(tools), tc.tools)
		}
		res := s.tool("search_invoices", map[string]any{})
		if res["isError"] == true || res["structuredContent"].(map[string]any)["count"] != 0.0 {
			t.Errorf("search of an empty store: %v", res)
		}
		s.close()
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("the store was not created: %v", err)
	}
}

func TestHTTP(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:80", "example.com:80"} {
		if _, err := listenLoopback(addr); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("--http %s: %v", addr, err)
		}
	}
	l, err := listenLoopback("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st := &MemStore{}
	st.Add(time.Now(), Invoice{KSeFNumber: "5265877635-20260115-0100001AF629-AF", InvoiceNumber: "FV/1", SellerName: "S", IssueDate: "2026-01-15", Currency: "PLN", Gross: 12300})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ServeHTTP(ctx, NewServer(Config{Store: st, ReadOnly: true}), l) }()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(t.Context(),
		&mcp.StreamableClientTransport{Endpoint: "http://" + l.Addr().String() + "/mcp"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := ok[SearchOutput](t, cs, "search_invoices", map[string]any{"minGross": "100"})
	if out.Count != 1 || out.Invoices[0].Gross != "123.00" {
		t.Errorf("search over HTTP: %+v", out)
	}
	// A web page's script (cross-origin) and a rebound host name are refused.
	for _, h := range []map[string]string{{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, {"Host": "evil.example"}} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+l.Addr().String()+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range h {
			req.Header.Set(k, v)
			if k == "Host" {
				req.Host = v
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("request with %v: status %d, want 403", h, resp.StatusCode)
		}
	}
	cs.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeHTTP: %v", err)
	}
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Error("the server still listens after its context ended")
	}
}

func TestDemoCommand(t *testing.T) {
	dir := t.TempDir()
	out := clitest.MustDoc(t, []cli.Area{New}, "mcp", "demo", "--out-dir", dir)
	for _, want := range []string{"List the tools (12)", "ERROR unknown, used or expired confirmation token", "status: registered",
		"invoices sent: 8 (one more)", "1 invoice(s) stored since", "MCP demo succeeded"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "faktura.pdf"))
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Errorf("faktura.pdf: %v", err)
	}
}

// TestCLIEndToEnd is the whole path through the command line: a profile
// logged in to the simulator, ksef sync into SQLite, then ksef mcp over
// stdio with that profile and store: search the synced invoices, and send
// one only after the confirmation, with the profile's credentials.
func TestCLIEndToEnd(t *testing.T) {
	srv := ksefsimtest.NewServer(t, ksefsim.WithoutRateLimits())
	c := clitest.New(t, synccmd.New, New)
	nip, _ := c.LogIn(srv.Simulator, srv.URL, "default")
	now := srv.Now()
	if _, err := srv.SeedInvoices(ksefsim.SeedParams{Count: 5, SellerNIP: nip, BuyerNIP: "7773152431", From: now.Add(-48 * time.Hour), To: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	store := "sqlite:" + filepath.Join(t.TempDir(), "ksef.db")
	c.MustRun("sync", "--store", store, "--start", now.Add(-5*24*time.Hour).Format(time.DateOnly))

	s := startStdio(t, c, "--store", store)
	found := s.tool("search_invoices", map[string]any{"nip": nip, "role": "seller"})["structuredContent"].(map[string]any)
	if found["count"] != 5.0 {
		t.Fatalf("search after ksef sync: %v", found)
	}
	const op = "POST /sessions/online/{referenceNumber}/invoices"
	inv := sendInvoice(uniq("FV/CLI"))
	prev := s.tool("send_invoice", map[string]any{"invoice": inv})
	if prev["isError"] == true {
		t.Fatalf("preview: %v", prev)
	}
	token := prev["structuredContent"].(map[string]any)["confirmationToken"].(string)
	if n := srv.Calls(op); n != 0 {
		t.Fatalf("%d invoices sent before the confirmation", n)
	}
	if res := s.tool("send_invoice", map[string]any{"invoice": inv, "confirmationToken": token + "X"}); res["isError"] != true || srv.Calls(op) != 0 {
		t.Fatalf("a wrong token: %v (sends %d)", res, srv.Calls(op))
	}
	done := s.tool("send_invoice", map[string]any{"invoice": inv, "confirmationToken": token})
	result, _ := done["structuredContent"].(map[string]any)["result"].(map[string]any)
	if result["status"] != "registered" || srv.Calls(op) != 1 {
		t.Fatalf("confirmed send: %v (sends %d)", done, srv.Calls(op))
	}
	out := s.close()
	p := c.Profile("default")
	clitest.AssertNoTokens(t, out, p.AccessToken, p.RefreshToken)
	// The UPO path needs the ledger in the configuration directory.
	if _, err := os.Stat(filepath.Join(c.Dir, "mcp", "default", "sent.jsonl")); err != nil {
		t.Errorf("no ledger of the sent invoice: %v", err)
	}
}
