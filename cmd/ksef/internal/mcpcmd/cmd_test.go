package mcpcmd

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
)

// rpcLines are JSON-RPC requests of an MCP client over stdio: the
// handshake, the tool list and a call.
const rpcLines = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}
{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}
{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search_invoices","arguments":{}}}
`

// stdioReplies runs `ksef mcp` with the requests on stdin and returns the
// replies by id.
func stdioReplies(t *testing.T, c *clitest.CLI, args ...string) map[float64]map[string]any {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var out clitest.SyncBuffer
	f := &cli.Factory{Stdin: pr, Stdout: &out, Stderr: &clitest.SyncBuffer{}, Getenv: func(string) string { return "" }}
	root := cli.NewRoot(f, New)
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	go func() { done <- cli.Execute(ctx, f, root, append([]string{"--config-dir", c.Dir, "mcp"}, args...)) }()
	replies := map[float64]map[string]any{}
	if _, err := pw.WriteString(rpcLines); err != nil {
		t.Fatal(err)
	}
	// Wait for the three answers, then end the input as a client does.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && strings.Count(out.String(), "\n") < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("ksef mcp: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stdout holds a line that is not JSON-RPC: %q", sc.Text())
		}
		if id, ok := m["id"].(float64); ok {
			replies[id] = m
		}
	}
	return replies
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
		r := stdioReplies(t, c, "--store", "sqlite:"+db)
		if len(r) != 3 || r[1]["result"] == nil {
			t.Fatalf("replies: %v", r)
		}
		tools := r[2]["result"].(map[string]any)["tools"].([]any)
		if len(tools) != tc.tools {
			t.Errorf("readOnly=%v: %d tools, want %d", tc.readOnly, len(tools), tc.tools)
		}
		res := r[3]["result"].(map[string]any)
		if res["isError"] == true || res["structuredContent"].(map[string]any)["count"] != 0.0 {
			t.Errorf("search of an empty store: %v", res)
		}
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
