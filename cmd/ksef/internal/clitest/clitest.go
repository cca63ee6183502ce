// Package clitest runs ksef commands in-process for the tests of the
// command areas: a private configuration directory, injected environment,
// stdin and terminal prompt, and helpers shared by several areas' tests.
// Only tests import it.
package clitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/profile"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/internal/contract"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsim"
)

// CLI runs ksef commands of the given areas in-process with a private
// configuration directory.
type CLI struct {
	T *testing.T
	// Dir is the configuration directory (--config-dir).
	Dir string
	// Env is what the commands read as environment variables.
	Env map[string]string
	// Prompt answers password prompts; nil as when stdin is no terminal.
	Prompt func(string) (string, error)
	// Stdin is the commands' standard input.
	Stdin string
	// SimOptions are added to the simulators the commands start.
	SimOptions []ksefsim.Option
	// Areas are the command areas registered on the root.
	Areas []cli.Area
}

// New returns a CLI with the command areas areas and a new configuration
// directory.
func New(t *testing.T, areas ...cli.Area) *CLI {
	return &CLI{T: t, Dir: t.TempDir(), Env: map[string]string{}, Areas: areas}
}

// Run executes the command line args and returns stdout, stderr and the
// error main would print.
func (c *CLI) Run(args ...string) (string, string, error) {
	return c.RunContext(c.T.Context(), args...)
}

// RunContext is Run in ctx.
func (c *CLI) RunContext(ctx context.Context, args ...string) (string, string, error) {
	c.T.Helper()
	var out, errb bytes.Buffer
	return c.RunTo(ctx, &out, &errb, args...)
}

// Buffer is where RunTo writes stdout and stderr.
type Buffer interface {
	io.Writer
	String() string
}

// RunTo is RunContext writing stdout and stderr to out and errb.
func (c *CLI) RunTo(ctx context.Context, out, errb Buffer, args ...string) (string, string, error) {
	f := &cli.Factory{
		Stdin:      strings.NewReader(c.Stdin),
		Stdout:     out,
		Stderr:     errb,
		Getenv:     func(k string) string { return c.Env[k] },
		Prompt:     c.Prompt,
		SimOptions: c.SimOptions,
	}
	root := cli.NewRoot(f, c.Areas...)
	err := cli.Execute(ctx, f, root, append([]string{"--config-dir", c.Dir}, args...))
	return out.String(), errb.String(), err
}

// MustRun runs args and fails the test on error.
func (c *CLI) MustRun(args ...string) string {
	c.T.Helper()
	out, stderr, err := c.Run(args...)
	if err != nil {
		c.T.Fatalf("ksef %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, stderr)
	}
	return out
}

// Store is the CLI's profile store.
func (c *CLI) Store() *profile.Store {
	return &profile.Store{Path: filepath.Join(c.Dir, profile.FileName)}
}

// Profile reads a stored profile.
func (c *CLI) Profile(name string) *profile.Profile {
	c.T.Helper()
	p, err := c.Store().Get(name)
	if err != nil {
		c.T.Fatal(err)
	}
	return p
}

// Doc runs a ksef command line of areas in-process with the given stdin and
// a new configuration directory, as the tests of the offline document
// commands do.
func Doc(t *testing.T, areas []cli.Area, stdin string, args ...string) (string, string, error) {
	t.Helper()
	c := New(t, areas...)
	c.Stdin = stdin
	return c.Run(args...)
}

// MustDoc is Doc without stdin, failing the test on error.
func MustDoc(t *testing.T, areas []cli.Area, args ...string) string {
	t.Helper()
	out, stderr, err := Doc(t, areas, "", args...)
	if err != nil {
		t.Fatalf("ksef %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, stderr)
	}
	return out
}

// WriteIdentity writes a simulator test identity as PEM files.
func WriteIdentity(t *testing.T, sim *ksefsim.Simulator) (nip, certFile, keyFile string) {
	t.Helper()
	id, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := id.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, id.CertificatePEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return id.NIP, certFile, keyFile
}

// DecodeJSON decodes s into a T, failing the test on unknown fields.
func DecodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("output is not the expected JSON: %v\n%s", err, s)
	}
	return v
}

// AssertNoTokens fails the test when out contains one of tokens.
func AssertNoTokens(t *testing.T, out string, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if tok != "" && strings.Contains(out, tok) {
			t.Errorf("output contains a token:\n%s", out)
		}
	}
}

// MustRead reads a file, failing the test on error.
func MustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// SyncBuffer is a bytes.Buffer safe for concurrent use.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ContractOption validates the traffic of simulators the CLI starts.
func ContractOption(t *testing.T) ksefsim.Option {
	contract.Default(t)
	return ksefsim.WithMiddleware(func(h http.Handler) http.Handler { return contract.Middleware(t, h) })
}

// BuiltTestInvoice is a valid FA(3) invoice built with the fa3 builder.
func BuiltTestInvoice(t *testing.T) []byte {
	t.Helper()
	doc, err := fa3.BuildXML(fa3.InvoiceParams{
		Number: "FV/7/2026", IssueDate: "2026-01-15", Created: time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC),
		Seller: fa3.Party{NIP: "5265877635", Name: "Sprzedawca sp. z o.o.", AddressLine1: "ul. Kwiatowa 1", AddressLine2: "00-001 Warszawa"},
		Buyer:  fa3.Party{NIP: "7773152431", Name: "Nabywca S.A.", AddressLine1: "ul. Polna 1"},
		Lines: []fa3.Line{
			{Name: "Konsultacje", Unit: "h", Quantity: "10", UnitPrice: "150", Rate: "23"},
			{Name: "Książka", Unit: "szt.", Quantity: "1", UnitPrice: "49.90", Rate: "5"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// WriteTempDoc writes data to dir/name and returns the path.
func WriteTempDoc(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// SpecTemplate reads an invoice template of the official samples.
func SpecTemplate(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.SpecFile(t, "samples/invoices/templates/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
