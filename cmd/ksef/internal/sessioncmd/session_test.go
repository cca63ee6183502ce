package sessioncmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/cmd/ksef/internal/sendcmd"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/simtest"
)

func TestOpenResumeStatusInvoicesClose(t *testing.T) {
	sim, base := simtest.Start(t)
	c := clitest.New(t, New)
	nip, _ := c.LogIn(sim, base, "default")
	dir := t.TempDir()
	a := clitest.WriteTempDoc(t, dir, "a.xml", clitest.FA3Invoice(t, nip, "FV/S/1"))
	b := clitest.WriteTempDoc(t, dir, "b.xml", clitest.FA3Invoice(t, nip, "FV/S/2"))
	bad := clitest.WriteTempDoc(t, dir, "bad.xml", []byte(`<Faktura xmlns="`+fa3.Namespace+`"/>`))
	state := filepath.Join(t.TempDir(), "session.json")

	opened := clitest.DecodeJSON[StateView](t, c.MustRun("session", "open", "--state", state, "-o", "json"))
	fi, err := os.Stat(state)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	st, err := readState(state)
	if err != nil || st.ReferenceNumber != opened.ReferenceNumber || opened.Form != "FA (3)" || st.SymmetricKey == "" {
		t.Fatalf("state %v, opened %+v", err, opened)
	}
	key := st.SymmetricKey.Reveal()
	ref := st.ReferenceNumber
	if _, _, err := c.Run("session", "open", "--state", state); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("open over an existing state file: %v", err)
	}

	// resume sends into the saved session, in another run.
	out, stderr, err := c.Run("session", "resume", state, a, b, bad, "-o", "json")
	if err == nil || !strings.Contains(err.Error(), "1 of 3 invoice(s) are not in KSeF") {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	clitest.AssertNoTokens(t, out+stderr, key)
	res := clitest.DecodeJSON[ResumeResult](t, out)
	if res.Session.ReferenceNumber != ref || res.Session.Sent != 2 || len(res.Invoices) != 3 {
		t.Fatalf("resume: %+v", res)
	}
	numbers := map[string]string{}
	for _, e := range res.Invoices[:2] {
		if _, err := ident.ParseKSeFNumber(e.KSeFNumber); err != nil || e.Status != "registered" || e.SessionReferenceNumber != ref {
			t.Errorf("resume entry %+v", e)
		}
		numbers[e.File] = e.KSeFNumber
	}
	if e := res.Invoices[2]; e.Status != "invalid" || e.OK || !strings.Contains(e.Error, "not a valid FA (3) invoice") {
		t.Errorf("invalid entry %+v", e)
	}
	if st, _ := readState(state); st.Sent != 2 || st.SymmetricKey.Reveal() != key {
		t.Errorf("state after resume: sent %d", st.Sent)
	}
	// Re-sending gives the original KSeF number (a duplicate is success).
	out = c.MustRun("session", "resume", state, a)
	if !strings.Contains(out, "duplicate") || !strings.Contains(out, numbers[a]) || strings.Contains(out, key) {
		t.Errorf("resume again:\n%s", out)
	}
	if out := c.MustRun("session", "resume", state); !strings.Contains(out, ref) || !strings.Contains(out, "3 invoice(s) sent") || strings.Contains(out, key) {
		t.Errorf("resume without files:\n%s", out)
	}

	// status, invoices, list while open.
	sv := clitest.DecodeJSON[Status](t, c.MustRun("session", "status", ref, "-o", "json"))
	if sv.ReferenceNumber != ref || sv.Status.Code != 100 || sv.InvoiceCount != 3 || len(sv.UPOPages) != 0 {
		t.Errorf("status of the open session: %+v", sv)
	}
	out = c.MustRun("session", "invoices", ref)
	if !strings.Contains(out, "3 invoice(s)") || !strings.Contains(out, numbers[a]) || !strings.Contains(out, numbers[b]) || !strings.Contains(out, "440") {
		t.Errorf("invoices:\n%s", out)
	}
	failed := clitest.DecodeJSON[struct {
		SessionReferenceNumber string    `json:"sessionReferenceNumber"`
		Failed                 bool      `json:"failedOnly"`
		Invoices               []Invoice `json:"invoices"`
	}](t, c.MustRun("session", "invoices", ref, "--failed", "-o", "json"))
	if len(failed.Invoices) != 1 || failed.Invoices[0].StatusCode != 440 || !failed.Failed {
		t.Errorf("invoices --failed: %+v", failed)
	}
	list := clitest.DecodeJSON[ListResult](t, c.MustRun("session", "list", "--status", "inprogress", "-o", "json"))
	if len(list.Sessions) != 1 || list.Sessions[0].ReferenceNumber != ref || list.Sessions[0].TotalInvoiceCount != 3 {
		t.Errorf("list --status InProgress: %+v", list)
	}
	tomorrow := time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	if l := clitest.DecodeJSON[ListResult](t, c.MustRun("session", "list", "--created-from", tomorrow, "-o", "json")); len(l.Sessions) != 0 {
		t.Errorf("list --created-from tomorrow: %+v", l)
	}

	// close by state file, waiting for the UPO.
	out = c.MustRun("session", "close", "--state", state, "--wait")
	if !strings.Contains(out, "Closed session "+ref) || !strings.Contains(out, "UPO page 1:") || !strings.Contains(out, "2 accepted, 1 failed") {
		t.Errorf("close --wait:\n%s", out)
	}
	if list := clitest.DecodeJSON[ListResult](t, c.MustRun("session", "list", "--status", "Succeeded", "--all", "-o", "json")); len(list.Sessions) != 1 {
		t.Errorf("list --status Succeeded --all: %+v", list)
	}

	// close by reference number (no state file), and --all over pages.
	for i := range 11 {
		p := filepath.Join(t.TempDir(), "s.json")
		v := clitest.DecodeJSON[StateView](t, c.MustRun("session", "open", "--state", p, "-o", "json"))
		if i == 0 {
			c.MustRun("session", "close", v.ReferenceNumber)
			if s := clitest.DecodeJSON[Status](t, c.MustRun("session", "status", v.ReferenceNumber, "-o", "json")); s.Status.Code == 100 {
				t.Errorf("session closed by reference still open: %+v", s.Status)
			}
		}
	}
	first := clitest.DecodeJSON[ListResult](t, c.MustRun("session", "list", "-o", "json"))
	all := clitest.DecodeJSON[ListResult](t, c.MustRun("session", "list", "--all", "-o", "json"))
	if len(first.Sessions) != 10 || !first.More || len(all.Sessions) != 12 || all.More {
		t.Errorf("list: first page %d (more %v), --all %d", len(first.Sessions), first.More, len(all.Sessions))
	}
	if out := c.MustRun("session", "list"); !strings.Contains(out, "--all lists them") {
		t.Errorf("list text:\n%s", out)
	}
}

func TestSessionErrors(t *testing.T) {
	c := clitest.New(t, New, sendcmd.New)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"session", "list", "--type", "x"}, "want online or batch"},
		{[]string{"session", "list", "--status", "Done"}, "want InProgress"},
		{[]string{"session", "list", "--created-from", "yesterday"}, "want a date"},
		{[]string{"session", "close"}, "one of them"},
		{[]string{"session", "resume", "nosuch.json"}, "nosuch.json"},
		{[]string{"session", "open", "--state", "x", "--form", "fa"}, "unknown form"},
		{[]string{"session", "status", "20250101-SO-0000000000-0000000000-00"}, "log in"},
	} {
		if _, _, err := c.Run(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ksef %s: %v, want %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
	notState := clitest.WriteTempDoc(t, t.TempDir(), "x.json", []byte(`{"referenceNumber":""}`))
	if _, _, err := c.Run("session", "resume", notState); err == nil || !strings.Contains(err.Error(), "not a session state file") {
		t.Errorf("resume of a non-state file: %v", err)
	}
}
