package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ksefsim"
)

func newDemoCmd(g *globals) *cobra.Command {
	var outDir string
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
simulator has none) and render it to PDF and HTML. The files (faktura.xml,
faktura.pdf, faktura.html) go to --out-dir, by default a new temporary
directory whose path is printed.

Every step is printed with what happened (reference numbers, statuses,
validity times, totals, file paths; never token text). The exit status is
non-zero if a step fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.runDemo(cmd.Context(), demoSteps(), outDir)
		},
	}
	cmd.Flags().StringVar(&outDir, "out-dir", "", "directory for the demo invoice files (default: a new temporary directory)")
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
	g       *globals
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
	}
}

func (g *globals) runDemo(ctx context.Context, steps []demoStep, outDir string) error {
	s := &demoState{g: g, outDir: outDir}
	defer func() {
		for i := len(s.cleanup) - 1; i >= 0; i-- {
			s.cleanup[i]()
		}
	}()
	text := g.output != "json"
	rep := demoReport{OK: true}
	start := time.Now()
	var failure error
	for i, st := range steps {
		r := stepResult{Step: i + 1, Name: st.name}
		if failure != nil {
			r.Status = "skipped"
			rep.Steps = append(rep.Steps, r)
			if text {
				fmt.Fprintf(g.stdout, "%d. %s: skipped\n", r.Step, r.Name)
			}
			continue
		}
		t0 := time.Now()
		fs, err := st.run(ctx, s)
		r.DurationMs = time.Since(t0).Milliseconds()
		r.Details = fs
		if err != nil {
			r.Status, r.Error = "failed", errorMessage(err)
			rep.OK = false
			failure = fmt.Errorf("demo failed at step %d (%s): %w", r.Step, r.Name, err)
		} else {
			r.Status = "ok"
		}
		rep.Steps = append(rep.Steps, r)
		if text {
			printStep(g.stdout, r)
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
	if err := g.emit(rep, func(w io.Writer) { fmt.Fprintln(w, rep.Summary) }); err != nil {
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

// ts formats a time for the demo output.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func stepStartSimulator(ctx context.Context, s *demoState) (facts, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cannot listen on 127.0.0.1: %w", err)
	}
	sim := ksefsim.New(append([]ksefsim.Option{ksefsim.WithLogger(s.g.logger())}, s.g.simOptions...)...)
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sim.Serve(sctx, l)
	}()
	s.cleanup = append(s.cleanup, func() { cancel(); <-done })
	s.baseURL = ksefsim.BaseURL(l.Addr())
	s.client, err = ksef.NewClient(ksef.WithBaseURL(s.baseURL), ksef.WithLogger(s.g.logger()))
	if err != nil {
		return nil, err
	}
	return facts{{"base URL", s.baseURL}}, nil
}

func stepCreateIdentity(_ context.Context, s *demoState) (facts, error) {
	s.nip = string(ksef.RandomNIP(nil))
	var err error
	if s.rsa, err = credentials.NewSealNIP(s.nip, &credentials.CertOptions{KeyType: credentials.RSA2048}); err != nil {
		return nil, err
	}
	if s.ec, err = credentials.NewPersonNIP(s.nip, &credentials.CertOptions{KeyType: credentials.ECP256}); err != nil {
		return nil, err
	}
	return facts{
		{"NIP", s.nip},
		{"RSA certificate", describeCert(s.rsa, "RSA 2048")},
		{"ECDSA certificate", describeCert(s.ec, "ECDSA P-256")},
	}, nil
}

// describeCert says who a TEST certificate identifies and how.
func describeCert(c *credentials.Credentials, key string) string {
	id := c.Identity()
	kind := "person"
	if id.Seal {
		kind = "company seal"
	}
	return fmt.Sprintf("%s, %s %s, %s key, SHA-256 fingerprint %s", kind, id.Kind, id.Value, key, c.Fingerprint())
}

// sessionFacts describes a fresh authenticated session.
func sessionFacts(a *ksef.AuthenticatedClient, polls []string) facts {
	access, refresh := a.TokenManager().Tokens()
	return facts{
		{"reference number", a.ReferenceNumber},
		{"status polls", strings.Join(polls, " -> ")},
		{"access token valid until", ts(access.ValidUntil)},
		{"refresh token valid until", ts(refresh.ValidUntil)},
	}
}

// waitRecorder records the statuses seen while waiting for authentication.
func waitRecorder(polls *[]string) *ksef.LoginParams {
	return &ksef.LoginParams{Wait: &ksef.WaitOptions{
		MinDelay: 50 * time.Millisecond,
		OnPoll:   func(_ int, status string) { *polls = append(*polls, status) },
	}}
}

func (s *demoState) loginCert(ctx context.Context, c *credentials.Credentials) (*ksef.AuthenticatedClient, facts, error) {
	var polls []string
	a, err := s.client.Auth.LoginWithCertificate(ctx, ksef.NIPContext(s.nip), c.Certificate, c.Signer, waitRecorder(&polls))
	if err != nil {
		return nil, nil, err
	}
	fs := append(facts{{"context", ksef.NIPContext(s.nip).String()}}, sessionFacts(a, polls)...)
	return a, fs, nil
}

func stepLoginRSA(ctx context.Context, s *demoState) (fs facts, err error) {
	s.rsaSess, fs, err = s.loginCert(ctx, s.rsa)
	return fs, err
}

func stepLoginECDSA(ctx context.Context, s *demoState) (fs facts, err error) {
	s.ecSess, fs, err = s.loginCert(ctx, s.ec)
	return fs, err
}

func stepGenerateToken(ctx context.Context, s *demoState) (facts, error) {
	perms := []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead, ksef.TokenPermInvoiceWrite}
	res, err := s.rsaSess.Tokens.Generate(ctx, &ksef.GenerateTokenRequest{Permissions: perms, Description: "ksef demo token"})
	if err != nil {
		return nil, err
	}
	s.ksefToken, s.tokenRef = res.Token, res.ReferenceNumber
	var polls []string
	st, err := s.rsaSess.Tokens.WaitActive(ctx, res.ReferenceNumber, &ksef.WaitOptions{
		MinDelay: 50 * time.Millisecond,
		OnPoll:   func(_ int, status string) { polls = append(polls, status) },
	})
	fs := facts{{"reference number", res.ReferenceNumber}}
	if st != nil {
		names := make([]string, len(st.RequestedPermissions))
		for i, p := range st.RequestedPermissions {
			names[i] = string(p)
		}
		fs = append(fs, fact{"permissions", strings.Join(names, ", ")}, fact{"status polls", strings.Join(polls, " -> ")})
	}
	if err != nil {
		return fs, err
	}
	return append(fs, fact{"KSeF token", "generated (its value is never printed)"}), nil
}

func stepLoginToken(ctx context.Context, s *demoState) (facts, error) {
	if s.ksefToken == "" {
		return nil, errors.New("no KSeF token")
	}
	var polls []string
	a, err := s.client.Auth.LoginWithToken(ctx, ksef.NIPContext(s.nip), s.ksefToken, waitRecorder(&polls))
	if err != nil {
		return nil, err
	}
	s.tokenSess = a
	return append(facts{{"KSeF token reference", s.tokenRef}}, sessionFacts(a, polls)...), nil
}

func stepRefresh(ctx context.Context, s *demoState) (facts, error) {
	tm := s.tokenSess.TokenManager()
	before, _ := tm.Tokens()
	if _, err := tm.Refresh(ctx, before.Token); err != nil {
		return nil, err
	}
	after, _ := tm.Tokens()
	if after.Token == before.Token {
		return nil, errors.New("the access token did not change")
	}
	return facts{
		// The validity times may print alike (both issued within the same
		// second): say that the token itself changed.
		{"access token", "replaced by a new one (values never printed)"},
		{"old access token valid until", ts(before.ValidUntil)},
		{"new access token valid until", ts(after.ValidUntil)},
	}, nil
}

func stepListSessions(ctx context.Context, s *demoState) (facts, error) {
	var fs facts
	n, current := 0, ""
	for it, err := range s.tokenSess.Auth.ListSessionsAll(ctx, nil) {
		if err != nil {
			return fs, err
		}
		n++
		v := fmt.Sprintf("%s: %s, status %d, started %s", it.ReferenceNumber, it.AuthenticationMethodInfo.Code, it.Status.Code, ts(it.StartDate))
		if it.IsCurrent {
			v += " (current)"
			current = it.ReferenceNumber
		}
		fs = append(fs, fact{fmt.Sprintf("session %d", n), v})
	}
	fs = append(facts{{"sessions", fmt.Sprint(n)}}, fs...)
	switch {
	case n < 3:
		return fs, fmt.Errorf("expected the 3 sessions of this demo, got %d", n)
	case current != s.tokenSess.ReferenceNumber:
		return fs, fmt.Errorf("current session is %q, want %s", current, s.tokenSess.ReferenceNumber)
	}
	return fs, nil
}
