package offlinecmd_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicecmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/offlinecmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/sendcmd"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/latarnia"
	"github.com/ksef2/ksef/offline"
	"github.com/ksef2/ksef/qr"
)

func newCLI(t *testing.T) *clitest.CLI {
	return clitest.New(t, offlinecmd.New, offlinecmd.NewStatus, sendcmd.New, invoicecmd.New)
}

func TestDeadline(t *testing.T) {
	c := newCLI(t)
	out := c.MustRun("offline", "deadline", "--mode", "offline24", "--issued", "2025-07-08", "--outage", "awaryjny:2025-07-09..2025-07-12")
	if !strings.HasPrefix(out, "2025-07-22 wtorek") {
		t.Errorf("doc example: %q", out)
	}
	type result struct {
		Mode, Issued, Due, DueBy, Reason string
		NoObligation, Pending            bool
	}
	r := clitest.DecodeJSON[result](t, c.MustRun("offline", "deadline", "--mode", "awaryjny", "--issued", "2030-06-18", "--ended", "2030-06-19", "-o", "json"))
	if r.Due != "2030-07-01" || r.DueBy != "2030-07-02T00:00:00+02:00" { // Corpus Christi 2030-06-20 skipped
		t.Errorf("failure: %+v", r)
	}
	r = clitest.DecodeJSON[result](t, c.MustRun("offline", "deadline", "--mode", "total-failure", "--issued", "2026-01-05", "-o", "json"))
	if !r.NoObligation || r.Due != "" {
		t.Errorf("total failure: %+v", r)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"offline", "deadline", "--mode", "offline", "--issued", "2026-01-05"}, "--ended"},
		{[]string{"offline", "deadline", "--mode", "sometimes", "--issued", "2026-01-05"}, "unknown mode"},
		{[]string{"offline", "deadline", "--mode", "offline24", "--issued", "5 Jan"}, "YYYY-MM-DD"},
		{[]string{"offline", "deadline", "--mode", "offline24", "--issued", "2026-01-05", "--ended", "2026-01-06"}, "--ended applies"},
		{[]string{"offline", "deadline", "--mode", "offline24", "--issued", "2026-01-05", "--outage", "offline24:2026-01-05"}, "kind must be"},
	} {
		if _, _, err := c.Run(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestStatusAndPending: ksef status reads the simulator's Latarnia; an
// invoice issued offline during a failure is queued with ksef offline add,
// printed with both QR codes, and sent with ksef send --pending after the
// failure ends.
func TestStatusAndPending(t *testing.T) {
	srv := simtest.StartServer(t)
	c := newCLI(t)
	nip, _ := c.LogIn(srv.Simulator, srv.URL, "default")
	queue := t.TempDir()

	type status struct {
		URL         string
		Status      latarnia.State
		OfflineMode string
		Messages    []latarnia.Message
	}
	st := clitest.DecodeJSON[status](t, c.MustRun("status", "--base-url", srv.URL, "-o", "json"))
	if st.Status != latarnia.Available || st.URL != srv.LatarniaURL() || len(st.Messages) != 0 {
		t.Errorf("status: %+v", st)
	}
	event := srv.Simulator.StartOutage(latarnia.CategoryFailure, "Awaria KSeF")
	out := c.MustRun("status", "--base-url", srv.URL)
	if !strings.Contains(out, "KSeF: FAILURE (offline mode: awaryjny)") || !strings.Contains(out, "Awaria KSeF") {
		t.Errorf("status during a failure: %q", out)
	}

	doc := clitest.FA3Invoice(t, nip, "FV/CLI/OFF/1")
	file := clitest.WriteTempDoc(t, t.TempDir(), "off.xml", doc)
	start := time.Now().Add(-time.Minute).Format(time.RFC3339)
	added := clitest.DecodeJSON[[]offline.Entry](t, c.MustRun("offline", "add", file, "--mode", "awaryjny", "--queue", queue,
		"--outage", "awaryjny:"+start, "-o", "json"))
	if len(added) != 1 || !added[0].Deadline.Pending || added[0].State != offline.Pending {
		t.Fatalf("added: %+v", added)
	}
	// Both QR codes on the printout.
	_, certFile, keyFile := clitest.WriteIdentity(t, srv.Simulator)
	html := filepath.Join(t.TempDir(), "off.html")
	type rendered struct {
		File, Out, Format                 string
		Bytes                             int
		VerificationLink, CertificateLink string
	}
	r := clitest.DecodeJSON[rendered](t, c.MustRun("invoice", "render", file, "--out", html, "--offline", "--cert", certFile, "--key", keyFile, "-o", "json"))
	if _, err := qr.ParseCertificateLink(r.CertificateLink); err != nil || r.VerificationLink == "" {
		t.Errorf("render: %+v (%v)", r, err)
	}
	page := string(clitest.MustRead(t, html))
	for _, want := range []string{"OFFLINE", "CERTYFIKAT"} {
		if !strings.Contains(page, want) {
			t.Errorf("printout lacks %s", want)
		}
	}
	if _, _, err := c.Run("invoice", "render", file, "--out", html, "--offline"); err == nil || !strings.Contains(err.Error(), "--cert") {
		t.Errorf("--offline without a certificate: %v", err)
	}

	// During the failure the send fails and the invoice stays queued.
	if _, stderr, err := c.Run("send", "--pending", "--queue", queue, "--wait-timeout", "10s"); err == nil ||
		!strings.Contains(stderr, "Latarnia reports KSeF in offline mode awaryjny") {
		t.Errorf("send --pending during the failure: %v\n%s", err, stderr)
	}
	if ents := clitest.DecodeJSON[[]offline.Entry](t, c.MustRun("offline", "list", "--queue", queue, "-o", "json")); len(ents) != 1 ||
		ents[0].State != offline.Pending || ents[0].Error == "" {
		t.Errorf("after the failed send: %+v", ents)
	}
	if err := srv.Simulator.EndOutage(event); err != nil {
		t.Fatal(err)
	}
	type pending struct {
		Queue    string
		Warnings []string
		Invoices []offline.Entry
	}
	p := clitest.DecodeJSON[pending](t, c.MustRun("send", "--pending", "--queue", queue, "-o", "json"))
	if len(p.Invoices) != 1 || p.Invoices[0].State != offline.Registered || p.Invoices[0].InvoicingMode != "Offline" ||
		!p.Invoices[0].Deadline.Due.Equal(offline.AddBusinessDays(offline.DayOf(time.Now()), 7)) {
		t.Fatalf("pending: %+v", p)
	}
	if out := c.MustRun("send", "--pending", "--queue", queue); !strings.Contains(out, "nothing to send") {
		t.Errorf("second run: %q", out)
	}
	list := c.MustRun("offline", "list", "--queue", queue)
	if !strings.Contains(list, "registered") || !strings.Contains(list, p.Invoices[0].KSeFNumber) {
		t.Errorf("list: %q", list)
	}
	if _, _, err := c.Run("send", "--pending", file); err == nil {
		t.Error("--pending with files accepted")
	}
}

// TestPendingWarnsAboutPastDeadlines: an offline24 invoice whose deadline
// passed is still sent, with a warning.
func TestPendingWarnsAboutPastDeadlines(t *testing.T) {
	srv := simtest.StartServer(t)
	c := newCLI(t)
	nip, _ := c.LogIn(srv.Simulator, srv.URL, "default")
	queue := t.TempDir()
	q, err := offline.OpenQueue(queue)
	if err != nil {
		t.Fatal(err)
	}
	// Issued "long ago" as far as the queue knows (the file says today).
	if _, err := q.Add(offline.AddParams{Name: "old", XML: clitest.FA3Invoice(t, nip, "FV/OLD/1"), Mode: offline.Offline24,
		Issued: offline.Date(2025, 1, 2)}); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := c.Run("send", "--pending", "--queue", queue)
	if err != nil {
		t.Fatal(err, stderr)
	}
	if !strings.Contains(stderr, "warning: old: the deadline 2025-01-03 (offline24) has passed") || !strings.Contains(out, "registered") {
		t.Errorf("stdout %q stderr %q", out, stderr)
	}
}

// TestSendAutoOffline: ksef send --auto-offline issues the invoices
// offline into the queue while Latarnia reports a failure (the receipt
// says "offline", the exit status is 0), and ksef send --pending sends
// them once it has ended.
func TestSendAutoOffline(t *testing.T) {
	srv := simtest.StartServer(t)
	c := newCLI(t)
	nip, _ := c.LogIn(srv.Simulator, srv.URL, "default")
	queue := t.TempDir()
	dir := t.TempDir()
	clitest.WriteTempDoc(t, dir, "a.xml", clitest.FA3Invoice(t, nip, "FV/AUTO/A"))
	clitest.WriteTempDoc(t, dir, "b.xml", clitest.FA3Invoice(t, nip, "FV/AUTO/B"))
	event := srv.Simulator.StartOutage(latarnia.CategoryFailure, "")
	receipt := filepath.Join(t.TempDir(), "r.json")
	out := c.MustRun("send", dir, "--auto-offline", "--queue", queue, "--receipt", receipt)
	if !strings.Contains(out, "issued offline (awaryjny), queued as") || !strings.Contains(out, "2 invoice(s) issued offline into the queue") {
		t.Errorf("send --auto-offline: %q", out)
	}
	rec := clitest.DecodeJSON[sendcmd.Receipt](t, string(clitest.MustRead(t, receipt)))
	if rec.Summary.Offline != 2 || rec.Summary.Failed != 0 || rec.Invoices[0].OfflineID == "" || rec.Invoices[0].Status != "offline" {
		t.Errorf("receipt %+v", rec)
	}
	if err := srv.Simulator.EndOutage(event); err != nil {
		t.Fatal(err)
	}
	p := c.MustRun("send", "--pending", "--queue", queue)
	if strings.Count(p, "registered") != 2 {
		t.Errorf("send --pending: %q", p)
	}
	// With KSeF available --auto-offline sends online.
	clitest.WriteTempDoc(t, dir, "c.xml", clitest.FA3Invoice(t, nip, "FV/AUTO/C"))
	out = c.MustRun("send", filepath.Join(dir, "c.xml"), "--auto-offline", "--queue", queue, "--receipt", receipt)
	if !strings.Contains(out, "registered") || strings.Contains(out, "offline") {
		t.Errorf("send --auto-offline while available: %q", out)
	}
	// Through batch sessions the same: nothing is packed during a failure.
	batchDir := t.TempDir()
	clitest.WriteTempDoc(t, batchDir, "d.xml", clitest.FA3Invoice(t, nip, "FV/AUTO/D"))
	clitest.WriteTempDoc(t, batchDir, "e.xml", clitest.FA3Invoice(t, nip, "FV/AUTO/E"))
	event = srv.Simulator.StartOutage(latarnia.CategoryFailure, "")
	out = c.MustRun("send", batchDir, "--batch", "--auto-offline", "--queue", queue, "--receipt", receipt)
	if !strings.Contains(out, "2 invoice(s) issued offline into the queue") || srv.Simulator.Calls(ksef.OpBatchSessionOpen.String()) != 0 {
		t.Errorf("send --batch --auto-offline: %q, %d batch sessions", out, srv.Simulator.Calls(ksef.OpBatchSessionOpen.String()))
	}
	if err := srv.Simulator.EndOutage(event); err != nil {
		t.Fatal(err)
	}
	if p := c.MustRun("send", "--pending", "--queue", queue); strings.Count(p, "registered") != 2 {
		t.Errorf("send --pending after the batch: %q", p)
	}
}
