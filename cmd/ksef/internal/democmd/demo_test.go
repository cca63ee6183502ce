package democmd

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/qr"
)

// newCLI runs the demo command in-process with a private configuration
// directory.
func newCLI(t *testing.T) *clitest.CLI { return clitest.New(t, New) }

func TestDemo(t *testing.T) {
	rec := &secretRecorder{secrets: map[string]bool{}}
	c := newCLI(t)
	c.SimOptions = []ksefsim.Option{clitest.ContractOption(t), ksefsim.WithMiddleware(rec.middleware)}

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the default --out-dir
	outDir := filepath.Join(t.TempDir(), "new", "dir")
	out := c.MustRun("demo", "--out-dir", outDir)
	if n := len(demoSteps()); n != 17 || !strings.Contains(out, "Demo succeeded: 17 of 17 steps passed") {
		t.Errorf("demo output:\n%s", out)
	}
	for i, st := range demoSteps() {
		if want := strings.Join([]string{itoa(i + 1), ". ", st.name, ": ok"}, ""); !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	for _, want := range []string{"-AU-", "-EC-", "(current)", "valid until", "Active",
		"invoice number:  FV/DEMO/", "VAT 23% and 8%", "gross:", "KOD I:", qr.TestHost + "/invoice/",
		"output directory:  " + outDir, filepath.Join(outDir, "faktura.pdf") + " (",
		"invoice 1 KSeF number:", "invoice 2 KSeF number:", "valid (XAdES), signed by", filepath.Join(outDir, "upo.pdf") + " (",
		"outcome:               duplicate", "sqlite:" + filepath.Join(outDir, "ksef.db"), "2 invoices, net ", "ksef db list --store sqlite:"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}

	// the sync step's store holds exactly the two invoices sent
	checkDemoStore(t, filepath.Join(outDir, "ksef.db"), out)

	jsonOut := c.MustRun("demo", "-o", "json")
	rep := clitest.DecodeJSON[demoReport](t, jsonOut)
	if !rep.OK || len(rep.Steps) != len(demoSteps()) || !strings.HasSuffix(rep.BaseURL, "/v2") {
		t.Errorf("demo -o json: %+v", rep)
	}
	for _, s := range rep.Steps {
		if s.Status != "ok" || s.Error != "" {
			t.Errorf("step %d %s: %s %s", s.Step, s.Name, s.Status, s.Error)
		}
	}
	var raw struct {
		Steps []struct {
			Details map[string]string `json:"details"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &raw); err != nil || raw.Steps[2].Details["referenceNumber"] == "" {
		t.Errorf("step details in JSON: %v %v", err, raw.Steps)
	}
	checkDemoOnline(t, jsonOut, tmp)
	checkDemoInvoice(t, jsonOut, tmp)

	// --verbose logs the SDK's and the simulator's work to stderr.
	verboseOut, verboseErr, err := c.Run("demo", "--verbose")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(verboseErr, "level=DEBUG") || !strings.Contains(verboseErr, "/auth/token/refresh") {
		t.Errorf("demo --verbose stderr:\n%s", verboseErr)
	}

	// Three demos issued at least 3×(3 authentication + 3 access + 3
	// refresh tokens + 1 refreshed access token + 1 KSeF token); none was
	// printed or logged.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.secrets) < 30 {
		t.Fatalf("recorded only %d secrets from the simulator", len(rec.secrets))
	}
	jwts := 0
	for s := range rec.secrets {
		if strings.HasPrefix(s, "eyJ") {
			jwts++
		}
		for _, o := range []string{out, jsonOut, verboseOut, verboseErr} {
			if strings.Contains(o, s) {
				t.Errorf("demo output contains a token issued by the simulator")
			}
		}
	}
	if jwts < 27 {
		t.Errorf("recorded %d JWTs, want at least 18", jwts)
	}
}

// secretRecorder collects every "token" value the simulator sends.
type secretRecorder struct {
	mu      sync.Mutex
	secrets map[string]bool
}

var tokenField = regexp.MustCompile(`"token"\s*:\s*"([^"]+)"`)

func (s *secretRecorder) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &teeWriter{ResponseWriter: w}
		next.ServeHTTP(tw, r)
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, m := range tokenField.FindAllStringSubmatch(tw.body.String(), -1) {
			s.secrets[m[1]] = true
		}
	})
}

type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDemoFailingStep(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	c := newCLI(t)
	c.SimOptions = []ksefsim.Option{ksefsim.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/auth/ksef-token") {
				http.Error(w, "injected", http.StatusInternalServerError)
				return
			}
			next.ServeHTTP(w, r)
		})
	})}
	out, _, err := c.Run("demo", "-o", "json")
	if err == nil || !strings.Contains(err.Error(), "step 6") {
		t.Errorf("demo with a failing step: %v", err)
	}
	rep := clitest.DecodeJSON[demoReport](t, out)
	if rep.OK || rep.Steps[5].Status != "failed" || rep.Steps[5].Error == "" || rep.Steps[6].Status != "skipped" || rep.Steps[4].Status != "ok" {
		t.Errorf("report: %+v", rep)
	}
	out, _, _ = c.Run("demo")
	if !strings.Contains(out, "Demo FAILED: 5 of 17") || !strings.Contains(out, "7. Refresh the access token: skipped") ||
		!strings.Contains(out, "12. Render the invoice to PDF and HTML: skipped") ||
		!strings.Contains(out, "16. Send the invoice again: KSeF answers with the original KSeF number: skipped") {
		t.Errorf("text report:\n%s", out)
	}
	// The invoice steps were skipped: no output directory was created.
	if ents, err := os.ReadDir(tmp); err != nil || len(ents) != 0 {
		t.Errorf("failed demo left %v in the temporary directory (%v)", ents, err)
	}
}
