// Package democmd is the `ksef demo` command area: the whole KSeF flow, step
// by step, against a simulator started in the process.
package democmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/mcpcmd"
	"github.com/ksef2/ksef/credentials"
)

// New is the `ksef demo` area.
func New(f *cli.Factory) *cobra.Command {
	var outDir string
	var withMCP bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole KSeF flow against an embedded simulator (no network, no arguments)",
		Long: `Start the KSeF simulator in this process on 127.0.0.1 (a random port) and run
the KSeF flow against it step by step: create a test identity, log in by XAdES
with an RSA and an ECDSA certificate, generate a KSeF token and log in with it,
refresh the access token and list the authentication sessions. Then, offline,
build an FA(3) VAT invoice for the demo's NIP (two lines at different VAT
rates, a random buyer NIP), validate it against the FA(3) schema, compute its
KOD I verification link (with the QR host of the KSeF TEST environment: the
simulator has none) and render it to PDF and HTML. Then, online again, send
the invoice and a second one in an online session (with the KSeF token's
session) and print their KSeF numbers, download the session's UPO, verify
its XAdES signature, render it to PDF and HTML, and send the first invoice
again to show that KSeF answers with its original KSeF number, and download
both invoices by KSeF number (byte-identical to what was sent). Finally it
syncs the context's invoices into an SQLite file (ksef.db) as ksef sync does
and prints what the store holds. The files (faktura.xml, faktura-2.xml,
faktura.pdf, faktura.html, upo.xml, upo.pdf, upo.html, ksef.db) go to
--out-dir, by default a new temporary directory whose path is printed.

Every step is printed with what happened (reference numbers, statuses,
validity times, totals, file paths; never token text). The exit status is
non-zero if a step fails.

With --mcp it shows ksef mcp instead (as ksef mcp demo does): an MCP client
searching, totalling and rendering synced invoices and sending one only
after the confirmation.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if withMCP {
				return mcpcmd.RunDemo(cmd.Context(), f, outDir)
			}
			return runDemo(cmd.Context(), f, demoSteps(), outDir)
		},
	}
	cmd.Flags().StringVar(&outDir, "out-dir", "", "directory for the demo invoice files (default: a new temporary directory)")
	cmd.Flags().BoolVar(&withMCP, "mcp", false, "show the MCP server (ksef mcp) instead: see ksef mcp demo")
	return cmd
}

// fact is one labelled result of a demo step. The key is the label for
// people ("base URL"); JSON carries it as a camelCase identifier (see
// jsonKey).
type fact struct{ key, value string }

// facts marshal to a JSON object keeping their order.
type facts []fact

// jsonKey turns a human label into a camelCase identifier: "base URL" ->
// "baseUrl", "RSA certificate" -> "rsaCertificate", "KSeF token" ->
// "ksefToken", "session 2" -> "session2". Words are the runs of letters and
// digits; a word starting with two capitals is an acronym and written in
// lower case, other words keep their letters after the first. jsonKey is
// idempotent: an identifier it returns maps to itself.
func jsonKey(label string) string {
	words := strings.FieldsFunc(label, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var b strings.Builder
	for i, w := range words {
		rs := []rune(w)
		if len(rs) >= 2 && unicode.IsUpper(rs[0]) && unicode.IsUpper(rs[1]) {
			rs = []rune(strings.ToLower(w))
		}
		if i == 0 {
			rs[0] = unicode.ToLower(rs[0])
		} else {
			rs[0] = unicode.ToUpper(rs[0])
		}
		b.WriteString(string(rs))
	}
	return b.String()
}

// MarshalJSON writes the facts as an object in their order, each key as
// its camelCase identifier (jsonKey).
func (fs facts) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(jsonKey(f.key))
		v, _ := json.Marshal(f.value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object written by MarshalJSON, keeping its order
// (the keys are the identifiers, not the human labels).
func (fs *facts) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		*fs = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("demo: details are not a JSON object")
	}
	*fs = (*fs)[:0]
	for dec.More() {
		var k, v string
		t, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ = t.(string)
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*fs = append(*fs, fact{k, v})
	}
	_, err := dec.Token()
	return err
}

// demoStep is one step of `ksef demo`. Steps run in order and share a
// demoState; the first failure stops the demo. Later features add steps
// to demoSteps.
type demoStep struct {
	name string
	run  func(ctx context.Context, s *demoState) (facts, error)
}

// demoState is what the steps hand on to each other.
type demoState struct {
	f       *cli.Factory
	baseURL string
	client  *ksef.Client

	nip       string
	rsa, ec   *credentials.Credentials
	rsaSess   *ksef.AuthenticatedClient
	ecSess    *ksef.AuthenticatedClient
	ksefToken ksef.Secret
	tokenRef  string
	tokenSess *ksef.AuthenticatedClient

	outDir string // --out-dir
	inv    demoInvoice
	online demoOnline
	// batchNumbers are the KSeF numbers of the invoices sent in the batch
	// session.
	batchNumbers []string

	cleanup []func()
}

// stepResult is the report of one step.
type stepResult struct {
	Step       int    `json:"step"`
	Name       string `json:"name"`
	Status     string `json:"status"` // ok, failed or skipped
	DurationMs int64  `json:"durationMs"`
	Details    facts  `json:"details,omitempty"`
	Error      string `json:"error,omitempty"`
}

// demoReport is the -o json output of `ksef demo`.
type demoReport struct {
	OK      bool         `json:"ok"`
	BaseURL string       `json:"baseUrl,omitempty"`
	Steps   []stepResult `json:"steps"`
	Summary string       `json:"summary"`
}

// demoSteps returns the steps of the demo in order.
func demoSteps() []demoStep {
	return []demoStep{
		{"Start the KSeF simulator", stepStartSimulator},
		{"Create a test identity", stepCreateIdentity},
		{"Log in by XAdES with RSA (company seal)", stepLoginRSA},
		{"Log in by XAdES with ECDSA (personal certificate)", stepLoginECDSA},
		{"Generate a KSeF token", stepGenerateToken},
		{"Log in with the KSeF token", stepLoginToken},
		{"Refresh the access token", stepRefresh},
		{"List authentication sessions", stepListSessions},
		{"Build an FA(3) invoice (offline)", stepBuildInvoice},
		{"Validate the invoice against the FA(3) schema", stepValidateInvoice},
		{"Compute KOD I, the verification link", stepInvoiceLink},
		{"Render the invoice to PDF and HTML", stepRenderInvoice},
		{"Send the invoice and a second one online", stepSendOnline},
		{"Download the session UPO and verify its signature", stepUPO},
		{"Render the UPO to PDF and HTML", stepRenderUPO},
		{"Send the invoice again: KSeF answers with the original KSeF number", stepResend},
		{"Send three invoices in a batch session", stepSendBatch},
		{"Download the sent invoices by KSeF number: byte-identical", stepDownload},
		{"Sync the context's invoices into SQLite (ksef sync)", stepSync},
	}
}

func runDemo(ctx context.Context, f *cli.Factory, steps []demoStep, outDir string) error {
	s := &demoState{f: f, outDir: outDir}
	defer func() {
		for i := len(s.cleanup) - 1; i >= 0; i-- {
			s.cleanup[i]()
		}
	}()
	text := !f.JSON()
	rep := demoReport{OK: true}
	start := time.Now()
	var failure error
	for i, st := range steps {
		r := stepResult{Step: i + 1, Name: st.name}
		if failure != nil {
			r.Status = "skipped"
			rep.Steps = append(rep.Steps, r)
			if text {
				fmt.Fprintf(f.Stdout, "%d. %s: skipped\n", r.Step, r.Name)
			}
			continue
		}
		t0 := time.Now()
		fs, err := st.run(ctx, s)
		r.DurationMs = time.Since(t0).Milliseconds()
		r.Details = fs
		if err != nil {
			r.Status, r.Error = "failed", cli.ErrorMessage(err)
			rep.OK = false
			failure = fmt.Errorf("demo failed at step %d (%s): %w", r.Step, r.Name, err)
		} else {
			r.Status = "ok"
		}
		rep.Steps = append(rep.Steps, r)
		if text {
			printStep(f.Stdout, r)
		}
	}
	rep.BaseURL = s.baseURL
	elapsed := time.Since(start).Round(time.Millisecond)
	okCount := 0
	for _, r := range rep.Steps {
		if r.Status == "ok" {
			okCount++
		}
	}
	if failure == nil {
		rep.Summary = fmt.Sprintf("Demo succeeded: %d of %d steps passed in %s.", okCount, len(steps), elapsed)
	} else {
		rep.Summary = fmt.Sprintf("Demo FAILED: %d of %d steps passed in %s.", okCount, len(steps), elapsed)
	}
	if err := f.Emit(rep, func(w io.Writer) { fmt.Fprintln(w, rep.Summary) }); err != nil {
		return err
	}
	return failure
}

func printStep(w io.Writer, r stepResult) {
	mark := "ok"
	if r.Status != "ok" {
		mark = strings.ToUpper(r.Status)
	}
	fmt.Fprintf(w, "%d. %s: %s (%d ms)\n", r.Step, r.Name, mark, r.DurationMs)
	width := 0
	for _, f := range r.Details {
		width = max(width, len(f.key))
	}
	for _, f := range r.Details {
		fmt.Fprintf(w, "     %-*s  %s\n", width+1, f.key+":", f.value)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "     error: %s\n", r.Error)
	}
}
