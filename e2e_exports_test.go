package ksef_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsim"
)

// exportEnv is a simulator with seeded invoices of a logged-in seller.
type exportEnv struct {
	sim     *ksefsim.Simulator
	c       *ksef.Client
	id      *ksefsim.TestIdentity
	a       *ksef.AuthenticatedClient
	filters ksef.InvoiceQueryFilters
	seeded  *ksefsim.SeedResult
	sentNum string
	sentDoc []byte
}

func newExportEnv(t *testing.T, n int, opts ...ksefsim.Option) *exportEnv {
	t.Helper()
	sim, c := simClient(t, append([]ksefsim.Option{ksefsim.WithoutRateLimits()}, opts...)...)
	return exportEnvFor(t, sim, c, n)
}

func exportEnvFor(t *testing.T, sim *ksefsim.Simulator, c *ksef.Client, n int) *exportEnv {
	t.Helper()
	id, a := loginSeal(t, sim, c)
	now := sim.Now()
	res, err := sim.SeedInvoices(ksefsim.SeedParams{Count: n, SellerNIP: id.NIP, From: now.Add(-10 * 24 * time.Hour), To: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	e := &exportEnv{sim: sim, c: c, id: id, a: a, seeded: res, filters: ksef.InvoiceQueryFilters{
		SubjectType: ksef.InvoiceQuerySubjectTypeSubject1,
		DateRange:   ksef.InvoiceQueryDateRange{DateType: ksef.InvoiceQueryDateTypePermanentStorage, From: now.Add(-20 * 24 * time.Hour)},
	}}
	return e
}

// sendOne sends one invoice in an online session and remembers it.
func (e *exportEnv) sendOne(t *testing.T, nip string) {
	t.Helper()
	s := openOrSkip(t, e.sim, e.a)
	e.sentDoc = fa3Invoice(t, nip, "FV/export/1")
	sent, err := s.SendInvoice(t.Context(), e.sentDoc, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.WaitInvoice(t.Context(), sent.ReferenceNumber, fastWait)
	if err != nil {
		t.Fatal(err)
	}
	e.sentNum = st.KSeFNumber
}

func (e *exportEnv) run(t *testing.T, p *ksef.ExportParams, opts *ksef.ExportDownloadOptions) (*ksef.Export, *ksef.ExportResult, error) {
	t.Helper()
	ctx := t.Context()
	exp, err := e.a.Invoices.Export(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.a.Invoices.WaitExport(ctx, exp.ReferenceNumber, fastWait)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.a.Invoices.DownloadExport(ctx, exp, st, opts)
	return exp, res, err
}

// TestE2EExport runs workflows §G 55: export in ZIP and TarGz, several
// parts downloaded concurrently, verified, decrypted, joined and unpacked
// in a stream to a directory and a callback, matched with _metadata.json;
// also onlyMetadata.
func TestE2EExport(t *testing.T) {
	e := newExportEnv(t, 150, ksefsim.WithExportLimits(ksefsim.ExportLimits{PartSize: 16 << 10}))
	e.sendOne(t, e.seeded.SellerNIP)
	want := 151
	for _, ct := range []ksef.CompressionType{"", ksef.CompressionTypeZip, ksef.CompressionTypeTarGz} {
		t.Run(string(ct)+"_", func(t *testing.T) {
			dir := t.TempDir()
			var calls int
			var progress ksef.ExportProgress
			exp, res, err := e.run(t, &ksef.ExportParams{Filters: e.filters, CompressionType: ct}, &ksef.ExportDownloadOptions{
				Dir: dir, Concurrency: 3, TempDir: t.TempDir(),
				OnInvoice: func(num string, r io.Reader) error {
					calls++
					b, err := io.ReadAll(r)
					if err == nil && !bytes.HasPrefix(b, []byte("<?xml")) {
						t.Errorf("%s: not XML", num)
					}
					return err
				},
				OnProgress: func(p ksef.ExportProgress) { progress = p },
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Package.Parts) < 2 {
				t.Errorf("%d parts, want several", len(res.Package.Parts))
			}
			if res.Invoices != want || len(res.Metadata) != want || calls != want || res.Package.InvoiceCount != int64(want) {
				t.Errorf("invoices %d, metadata %d, callbacks %d, invoiceCount %d; want %d", res.Invoices, len(res.Metadata), calls, res.Package.InvoiceCount, want)
			}
			if progress.PartsDownloaded != len(res.Package.Parts) || progress.Invoices != want {
				t.Errorf("progress %+v", progress)
			}
			got, err := os.ReadFile(filepath.Join(dir, e.sentNum+".xml"))
			if err != nil || !bytes.Equal(got, e.sentDoc) {
				t.Errorf("exported copy of the sent invoice differs: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, ksef.ExportMetadataFile)); err != nil {
				t.Error(err)
			}
			wantCT := ct
			if wantCT == "" {
				wantCT = ksef.CompressionTypeZip
			}
			if res.Package.CompressionType != wantCT || exp.CompressionType != wantCT || res.Package.IsTruncated {
				t.Errorf("package %s truncated=%v, export %s", res.Package.CompressionType, res.Package.IsTruncated, exp.CompressionType)
			}
		})
	}
	// onlyMetadata: the package holds only _metadata.json
	_, res, err := e.run(t, &ksef.ExportParams{Filters: e.filters, OnlyMetadata: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Invoices != 0 || len(res.Metadata) != want {
		t.Errorf("onlyMetadata: %d files, %d records", res.Invoices, len(res.Metadata))
	}
}

// TestE2EExportTruncated: a package stops at the invoice limit with
// isTruncated and the last permanent-storage date to continue from.
func TestE2EExportTruncated(t *testing.T) {
	e := newExportEnv(t, 45, ksefsim.WithExportLimits(ksefsim.ExportLimits{MaxInvoices: 20}))
	seen := map[string]bool{}
	f := e.filters
	for range 5 {
		_, res, err := e.run(t, &ksef.ExportParams{Filters: f}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, md := range res.Metadata {
			seen[md.KSeFNumber] = true
		}
		if !res.Package.IsTruncated {
			break
		}
		if res.Package.LastPermanentStorageDate == nil {
			t.Fatal("truncated package without lastPermanentStorageDate")
		}
		f.DateRange.From = *res.Package.LastPermanentStorageDate
	}
	if len(seen) != 45 {
		t.Errorf("%d distinct invoices over the packages, want 45", len(seen))
	}
}

// TestE2EExportFaults runs workflows §G 56-57 and the simulator's export
// faults: expired part URLs are renewed through the status, a corrupted
// part is fetched again, a stuck export times out locally and keeps its
// place in the cap of 10; the eleventh export of a context gets 21182; an
// expired package gives 210 and later 410; a wrong key gives 415.
func TestE2EExportFaults(t *testing.T) {
	e := newExportEnv(t, 60, ksefsim.WithExportLimits(ksefsim.ExportLimits{PartSize: 8 << 10, PackageLifetime: time.Hour}))
	ctx := t.Context()

	t.Run("expired URLs", func(t *testing.T) {
		e.sim.InjectExportFaults(ksefsim.ExportFaults{ExpiredURLs: 1})
		before := e.sim.Calls("GET /invoices/exports/{referenceNumber}")
		_, res, err := e.run(t, &ksef.ExportParams{Filters: e.filters}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Invoices != 60 {
			t.Errorf("%d invoices", res.Invoices)
		}
		// one wait poll at least, plus the renewal
		if calls := e.sim.Calls("GET /invoices/exports/{referenceNumber}") - before; calls < 2 {
			t.Errorf("%d status calls: URLs not renewed", calls)
		}
	})
	t.Run("corrupted part", func(t *testing.T) {
		e.sim.InjectExportFaults(ksefsim.ExportFaults{CorruptParts: 1})
		if _, res, err := e.run(t, &ksef.ExportParams{Filters: e.filters}, nil); err != nil || res.Invoices != 60 {
			t.Fatalf("one corrupted transfer is fetched again: %v", err)
		}
		e.sim.InjectExportFaults(ksefsim.ExportFaults{CorruptParts: 100})
		_, _, err := e.run(t, &ksef.ExportParams{Filters: e.filters}, &ksef.ExportDownloadOptions{Concurrency: 1})
		if !errors.Is(err, ksef.ErrHashMismatch) {
			t.Fatalf("always corrupted: %v, want ErrHashMismatch", err)
		}
		e.sim.ResetExportFaults()
	})
	t.Run("stuck and cap", func(t *testing.T) {
		e.sim.InjectExportFaults(ksefsim.ExportFaults{Stuck: 10})
		var refs []string
		for range 10 {
			exp, err := e.a.Invoices.Export(ctx, &ksef.ExportParams{Filters: e.filters})
			if err != nil {
				t.Fatal(err)
			}
			refs = append(refs, exp.ReferenceNumber)
		}
		_, err := e.a.Invoices.WaitExport(ctx, refs[0], &ksef.WaitOptions{MinDelay: 5 * time.Millisecond, Timeout: 100 * time.Millisecond})
		if !errors.Is(err, ksef.ErrWaitTimeout) {
			t.Fatalf("stuck export: %v, want ErrWaitTimeout", err)
		}
		if n := len(e.a.Invoices.Running()); n != 10 {
			t.Errorf("%d running exports known, want 10", n)
		}
		// the eleventh waits locally (never sent) until ctx ends
		before := e.sim.Calls("POST /invoices/exports")
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, err = e.a.Invoices.Export(short, &ksef.ExportParams{Filters: e.filters})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || e.sim.Calls("POST /invoices/exports") != before {
			t.Errorf("eleventh export: %v, %d requests", err, e.sim.Calls("POST /invoices/exports")-before)
		}
		// another client of the same context is refused by KSeF: 21182
		other := e.secondClient(t)
		if _, err := other.Invoices.Export(ctx, &ksef.ExportParams{Filters: e.filters}); !ksef.IsCode(err, ksef.CodeExportLimit) {
			t.Errorf("eleventh export of the context: %v, want 21182", err)
		}
	})
}

// secondClient logs the env's identity in to its context again: another
// client of the same context, with its own count of running exports.
func (e *exportEnv) secondClient(t *testing.T) *ksef.AuthenticatedClient {
	t.Helper()
	a, err := e.c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(e.id.NIP)), e.id.Certificate, e.id.Signer, &ksef.LoginParams{Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestE2EExportExpiryAndWrongKey: status 210 after the package's
// lifetime, 410 later; 415 for a key KSeF cannot decrypt.
func TestE2EExportExpiryAndWrongKey(t *testing.T) {
	sim, c, tp, _ := tapClient(t, ksefsim.WithoutRateLimits(), ksefsim.WithExportLimits(ksefsim.ExportLimits{PackageLifetime: time.Minute}))
	e := exportEnvFor(t, sim, c, 5)
	ctx := t.Context()
	exp, err := e.a.Invoices.Export(ctx, &ksef.ExportParams{Filters: e.filters})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Invoices.WaitExport(ctx, exp.ReferenceNumber, fastWait); err != nil {
		t.Fatal(err)
	}
	sim.Advance(90 * time.Second)
	if _, err := e.a.Invoices.WaitExport(ctx, exp.ReferenceNumber, fastWait); !errors.Is(err, ksef.ErrExportExpired) {
		t.Errorf("after the package lifetime: %v, want ErrExportExpired (210)", err)
	}
	sim.Advance(2 * time.Minute)
	if _, err := e.a.Invoices.ExportStatus(ctx, exp.ReferenceNumber); !errors.Is(err, ksef.ErrGone) {
		t.Errorf("after the status retention: %v, want ErrGone (410)", err)
	}
	// wrong key: KSeF cannot unwrap it
	junk := make([]byte, 256)
	_, _ = rand.Read(junk)
	tp.setEdit(func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/invoices/exports")
	}, func(m map[string]any) {
		m["encryption"].(map[string]any)["encryptedSymmetricKey"] = base64.StdEncoding.EncodeToString(junk)
	})
	bad, err := e.a.Invoices.Export(ctx, &ksef.ExportParams{Filters: e.filters})
	tp.setEdit(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Invoices.WaitExport(ctx, bad.ReferenceNumber, fastWait); !errors.Is(err, ksef.ErrExportKeyDecryption) {
		t.Errorf("wrong key: %v, want ErrExportKeyDecryption (415)", err)
	}
	// from after the HWM with restrictToPermanentStorageHwmDate: 420
	yes := true
	late := e.filters
	late.DateRange.From = sim.Now().Add(time.Hour)
	to := late.DateRange.From.Add(time.Hour)
	late.DateRange.To = &to
	late.DateRange.RestrictToPermanentStorageHwmDate = &yes
	x, err := e.a.Invoices.Export(ctx, &ksef.ExportParams{Filters: late})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Invoices.WaitExport(ctx, x.ReferenceNumber, fastWait); !errors.Is(err, ksef.ErrExportFromAfterHWM) {
		t.Errorf("from after HWM: %v, want ErrExportFromAfterHWM (420)", err)
	}
}

// retrievalFaultCases are the after-processing fault cases of the
// retrieval operations (see TestAfterProcessingFaults): the metadata query
// is safe to repeat; an export is not (KSeF counts it against the cap),
// so its ambiguous answer is an OutcomeUnknownError after one call.
func retrievalFaultCases() map[string]faultCase {
	filters := func(sim *ksefsim.Simulator) ksef.InvoiceQueryFilters {
		return ksef.InvoiceQueryFilters{
			SubjectType: ksef.InvoiceQuerySubjectTypeSubject1,
			DateRange:   ksef.InvoiceQueryDateRange{DateType: ksef.InvoiceQueryDateTypePermanentStorage, From: sim.Now().Add(-24 * time.Hour)},
		}
	}
	return map[string]faultCase{
		"POST /invoices/query/metadata": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error {
				_, err := a.Invoices.QueryMetadata(ctx, &ksef.MetadataQuery{Filters: filters(e.sim)})
				return err
			}, func(*testing.T) {}
		}},
		"POST /invoices/exports": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error {
					_, err := a.Invoices.Export(ctx, &ksef.ExportParams{Filters: filters(e.sim)})
					return err
				}, func(t *testing.T) {
					// the export whose answer was lost keeps a place in the cap
					if n := len(a.Invoices.Running()); n != 0 {
						t.Errorf("%d exports known as running, want 0 (reference unknown)", n)
					}
				}
		}},
	}
}
