package exportcmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsim"
)

func TestExport(t *testing.T) {
	sim, base := simtest.Start(t, ksefsim.WithoutRateLimits(),
		ksefsim.WithExportLimits(ksefsim.ExportLimits{MaxInvoices: 40, PartSize: 20 << 10}))
	c := clitest.New(t, New)
	nip, _ := c.LogIn(sim, base, "default")
	res, err := sim.SeedInvoices(ksefsim.SeedParams{Count: 100, SellerNIP: nip, From: time.Now().Add(-5 * 24 * time.Hour), To: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	ForceProgress = true
	defer func() { ForceProgress = false }()
	stdout, stderr, err := c.Run("export", "--out-dir", dir, "--subject", "seller", "--from", "-7d", "--compression", "targz", "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var r Result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	// 100 invoices in packages of at most 40: three exports, the window
	// moved to the last date each time (the boundary invoice comes twice)
	if len(r.Packages) < 3 || !r.Packages[0].IsTruncated || r.Packages[len(r.Packages)-1].IsTruncated {
		t.Errorf("packages %+v", r.Packages)
	}
	for _, n := range res.KSeFNumbers {
		if _, err := os.Stat(filepath.Join(dir, n+".xml")); err != nil {
			t.Fatalf("missing %s: %v", n, err)
		}
	}
	if !strings.Contains(stderr, "parts ") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
	// --only-metadata
	meta := filepath.Join(t.TempDir(), "meta")
	out := c.MustRun("export", "--out-dir", meta, "--subject", "seller", "--from", "-7d", "--only-metadata")
	if !strings.Contains(out, "exported 0 invoice(s)") {
		t.Errorf("only metadata: %s", out)
	}
	if _, err := os.Stat(filepath.Join(meta, "_metadata.json")); err != nil {
		t.Error(err)
	}
}
