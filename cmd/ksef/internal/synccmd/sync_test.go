package synccmd_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/cmd/ksef/internal/profile"
	"github.com/ksef2/ksef/cmd/ksef/internal/synccmd"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsim"
)

// office is a simulator with two companies selling to each other, each
// logged in as a profile of one CLI.
type office struct {
	sim  *ksefsim.Simulator
	c    *clitest.CLI
	nips []string
}

func newOffice(t *testing.T) *office {
	t.Helper()
	sim, base := simtest.Start(t, ksefsim.WithoutRateLimits())
	o := &office{sim: sim, c: clitest.New(t, synccmd.New, synccmd.NewDB)}
	client, err := ksef.NewClient(ksef.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	store := &profile.Store{Path: filepath.Join(o.c.Dir, profile.FileName)}
	for i := range 2 {
		id, err := sim.NewTestIdentity()
		if err != nil {
			t.Fatal(err)
		}
		a, err := client.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Key, nil)
		if err != nil {
			t.Fatal(err)
		}
		access, refresh := a.TokenManager().Tokens()
		p := &profile.Profile{Environment: "test", BaseURL: base, ContextType: "Nip", ContextValue: id.NIP,
			AccessToken: access.Token.Reveal(), AccessValidUntil: access.ValidUntil,
			RefreshToken: refresh.Token.Reveal(), RefreshValidUntil: refresh.ValidUntil}
		if err := store.Put([]string{"firma-a", "firma-b"}[i], p); err != nil {
			t.Fatal(err)
		}
		o.nips = append(o.nips, id.NIP)
	}
	now := sim.Now()
	for _, s := range []ksefsim.SeedParams{
		{Count: 12, SellerNIP: o.nips[0], BuyerNIP: o.nips[1], From: now.Add(-3 * 24 * time.Hour), To: now.Add(-time.Hour)},
		{Count: 5, SellerNIP: o.nips[1], BuyerNIP: o.nips[0], From: now.Add(-2 * 24 * time.Hour), To: now.Add(-time.Hour)},
	} {
		if _, err := sim.SeedInvoices(s); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

func TestSyncAndDB(t *testing.T) {
	o := newOffice(t)
	c := o.c
	store := "sqlite:" + filepath.Join(t.TempDir(), "office.db")
	out, stderr, err := c.Run("sync", "--store", store, "--profiles", "firma-a,firma-b", "--start", time.Now().Add(-10*24*time.Hour).Format(time.DateOnly))
	if err != nil {
		t.Fatalf("sync: %v\n%s\n%s", err, out, stderr)
	}
	// firma-a: 12 issued + 5 received; firma-b: 5 issued + 12 received
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"34 new invoices", "Subject1 17 new", "Subject2 17 new", "Subject3 0 new"} {
		if !strings.Contains(flat, want) {
			t.Errorf("sync output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "invoices read") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
	rep := clitest.DecodeJSON[synccmd.Report](t, c.MustRun("sync", "--store", store, "--profiles", "firma-a,firma-b", "-o", "json"))
	if rep.New != 0 || len(rep.Streams) != 8 {
		t.Errorf("rerun: %+v", rep)
	}

	list := clitest.DecodeJSON[[]synccmd.ListedInvoice](t, c.MustRun("db", "list", "--store", store, "--context", o.nips[0], "--subject-type", "Subject2", "-o", "json"))
	if len(list) != 5 || list[0].SellerNIP != o.nips[1] {
		t.Fatalf("received by firma-a: %+v", list)
	}
	all := clitest.DecodeJSON[[]synccmd.ListedInvoice](t, c.MustRun("db", "list", "--store", store, "-o", "json"))
	if len(all) != 17 {
		t.Fatalf("store lists %d invoices, want 17 (each once)", len(all))
	}
	nums := []string{}
	for _, l := range all {
		nums = append(nums, l.KSeFNumber)
	}
	slices.Sort(nums)
	if len(slices.Compact(nums)) != 17 {
		t.Fatal("an invoice listed twice")
	}
	tot := clitest.DecodeJSON[synccmd.TotalsReport](t, c.MustRun("db", "totals", "--store", store, "--seller", o.nips[0], "-o", "json"))
	if len(tot.Totals) != 1 || tot.Totals[0].Count != 12 || tot.Totals[0].Currency != "PLN" {
		t.Fatalf("totals: %+v", tot)
	}
	text := c.MustRun("db", "list", "--store", store, "--limit", "3")
	if !strings.Contains(text, "3 invoices") || !strings.Contains(text, all[0].KSeFNumber) {
		t.Errorf("db list:\n%s", text)
	}
	show := c.MustRun("db", "show", "--store", store, all[0].KSeFNumber)
	if !strings.Contains(show, "gross:") || !strings.Contains(show, all[0].Gross+" PLN") {
		t.Errorf("db show:\n%s", show)
	}
	xml := c.MustRun("db", "show", "--store", store, all[0].KSeFNumber, "--xml")
	if !strings.HasPrefix(xml, "<?xml") || !strings.Contains(xml, all[0].InvoiceNumber) {
		t.Errorf("db show --xml: %.200s", xml)
	}
	status := c.MustRun("db", "status", "--store", store)
	if strings.Count(status, "incremental") != 8 {
		t.Errorf("db status:\n%s", status)
	}
	if _, _, err := c.Run("db", "show", "--store", store, "0000000000-20260101-000000000000-00"); err == nil || !strings.Contains(cli.ErrorMessage(err), "not in the store") {
		t.Errorf("unknown number: %v", err)
	}

	// render to PDF: pdftotext finds the KSeF number (KOD I label)
	pdf := filepath.Join(t.TempDir(), "f.pdf")
	c.MustRun("db", "render", "--store", store, all[0].KSeFNumber, "--out", pdf)
	if b, err := os.ReadFile(pdf); err != nil || !strings.HasPrefix(string(b), "%PDF") {
		t.Fatalf("render: %v", err)
	}
	pdftotext := testenv.RequireTool(t, "pdftotext")
	txt, err := testenv.Output(exec.Command(pdftotext, "-layout", pdf, "-"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(txt), all[0].KSeFNumber) || !strings.Contains(string(txt), all[0].InvoiceNumber) {
		t.Errorf("PDF text lacks the KSeF number or invoice number:\n%s", txt)
	}
}

func TestSyncFlags(t *testing.T) {
	c := clitest.New(t, synccmd.New, synccmd.NewDB)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sync", "--watch", "--interval", "1m"}, "shorter than 15m0s"},
		{[]string{"sync", "--subject-types", "Subject9"}, "unknown subject type"},
		{[]string{"sync", "--backfill", "yesterday"}, "--backfill"},
		{[]string{"sync", "--store", "mysql://x"}, "no profile"},
		{[]string{"db", "list", "--store", "mysql://x"}, "unknown store"},
		{[]string{"db", "list", "--from", "2026-13-01"}, "want YYYY-MM-DD"},
		{[]string{"db", "render", "X", "--out", "x.txt"}, ".pdf or .html"},
	} {
		_, _, err := c.Run(tc.args...)
		if err == nil || !strings.Contains(cli.ErrorMessage(err), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
