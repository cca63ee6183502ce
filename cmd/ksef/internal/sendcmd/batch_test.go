package sendcmd

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/internal/simtest"
)

func TestUseBatch(t *testing.T) {
	for _, tc := range []struct {
		f    batchFlags
		n    int
		want bool
	}{
		{batchFlags{}, BatchThreshold, false},
		{batchFlags{}, BatchThreshold + 1, true},
		{batchFlags{batch: true}, 1, true},
		{batchFlags{online: true}, 10 * BatchThreshold, false},
	} {
		if got := tc.f.useBatch(tc.n); got != tc.want {
			t.Errorf("%+v with %d files: batch %v, want %v", tc.f, tc.n, got, tc.want)
		}
	}
}

// TestSendBatch sends a directory through a batch session (--batch,
// TarGz, small parts): the same receipt as online, with the batch
// session's reference, an invalid file listed and not sent, the progress
// bar showing parts and bytes; a re-run gives duplicates.
func TestSendBatch(t *testing.T) {
	sim, base := simtest.Start(t)
	c := clitest.New(t, New)
	nip, _ := c.LogIn(sim, base, "default")
	dir := t.TempDir()
	for i := range 5 {
		clitest.WriteTempDoc(t, dir, fmt.Sprintf("f%d.xml", i), clitest.FA3Invoice(t, nip, fmt.Sprintf("FV/BATCH/%d", i)))
	}
	clitest.WriteTempDoc(t, dir, "x-invalid.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><Faktura xmlns="`+fa3.Namespace+`"/>`))
	forceProgress = true
	t.Cleanup(func() { forceProgress = false })
	receipt := filepath.Join(t.TempDir(), "r.json")
	_, stderr, err := c.Run("send", dir, "--batch", "--compression", "targz", "--part-size", "1000", "--receipt", receipt)
	if err == nil || !strings.Contains(err.Error(), "1 of 6 invoice(s) are not in KSeF") {
		t.Fatalf("send --batch: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "upload 5/5 parts") || !strings.Contains(stderr, "packed 6") || !strings.Contains(stderr, "6/6 sent") {
		t.Errorf("progress: %q", stderr)
	}
	rec := readReceipt(t, receipt)
	if want := (Summary{Total: 6, Registered: 5, Invalid: 1}); rec.Summary != want {
		t.Fatalf("summary %+v, want %+v", rec.Summary, want)
	}
	if len(rec.Sessions) != 1 || !strings.Contains(rec.Sessions[0], "-SB-") {
		t.Errorf("sessions %v, want one batch session", rec.Sessions)
	}
	for _, e := range rec.Invoices[:5] {
		if e.Status != "registered" || e.KSeFNumber == "" || e.SessionReferenceNumber != rec.Sessions[0] || e.InvoiceReferenceNumber == "" || e.Form != "FA (3)" {
			t.Errorf("entry %+v", e)
		}
	}
	if bad := rec.Invoices[5]; bad.Status != "invalid" || !strings.Contains(bad.Error, "schema validation failed") || bad.SessionReferenceNumber != "" {
		t.Errorf("invalid entry %+v", bad)
	}
	out, _, err := c.Run("send", filepath.Join(dir, "f0.xml"), filepath.Join(dir, "f1.xml"), "--batch", "--receipt", filepath.Join(t.TempDir(), "r2.json"))
	if err != nil || !strings.Contains(out, "2 invoice(s): 0 registered, 2 duplicate") {
		t.Errorf("re-run: %v\n%s", err, out)
	}
}
