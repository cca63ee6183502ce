package ksef_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/envelope"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/ksefsim/ksefsimtest"
)

// benchExportEnv is a simulator (without the contract harness, whose
// validation is not what is measured) holding n seeded invoices of a
// logged-in seller.
func benchExportEnv(b *testing.B, n int, opts ...ksefsim.Option) *exportEnv {
	b.Helper()
	srv := ksefsimtest.NewServer(b, append([]ksefsim.Option{ksefsim.WithoutRateLimits()}, opts...)...)
	c, err := ksef.NewClient(ksef.WithBaseURL(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	id, err := srv.Simulator.NewTestIdentity()
	if err != nil {
		b.Fatal(err)
	}
	a, err := c.Auth.LoginWithCertificate(b.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, &ksef.LoginParams{Wait: fastWait})
	if err != nil {
		b.Fatal(err)
	}
	now := srv.Simulator.Now()
	res, err := srv.Simulator.SeedInvoices(ksefsim.SeedParams{Count: n, SellerNIP: id.NIP, From: now.Add(-30 * 24 * time.Hour), To: now.Add(-time.Minute)})
	if err != nil {
		b.Fatal(err)
	}
	return &exportEnv{sim: srv.Simulator, c: c, id: id, a: a, seeded: res, filters: ksef.InvoiceQueryFilters{
		SubjectType: ksef.InvoiceQuerySubjectTypeSubject1,
		DateRange:   ksef.InvoiceQueryDateRange{DateType: ksef.InvoiceQueryDateTypePermanentStorage, From: now.Add(-31 * 24 * time.Hour)},
	}}
}

// BenchmarkExportThroughput measures the SDK's export path (download of
// the parts over loopback HTTP, encrypted and plain hash checks,
// AES-256-CBC decryption, join, ZIP unpacking with CRC-32 and SHA-256 of
// every invoice and the metadata match) against `openssl enc -d`
// decrypting the same parts from disk to /dev/null, in the same run, over
// the encrypted bytes of a 10,000-invoice package: ratio = openssl time /
// SDK time with the invoices delivered to a callback (goal ≥ 0.8), and
// ratio-dir with one file written per invoice (bound by the file system);
// cpu-ratio compares CPU time (openssl's over this process's, which also
// serves the parts), a measure that a loaded machine does not distort;
// ratio-bound is the ratio the SDK would reach if its CPU time were spread
// perfectly over GOMAXPROCS cores (openssl time / (SDK CPU time / cores)):
// the most this machine allows, whatever the scheduling. The SDK inflates
// entries on every core, so run with -cpu 1,2,4 to see the ratio scale.
//
// The yardstick does less than the SDK: openssl only decrypts, while the
// SDK also downloads (served by the in-process simulator, whose CPU time
// counts as ours), hashes every part before and after decryption, inflates
// and hashes every invoice and decodes the metadata. To show what the
// ratios compare, the same run measures two pieces of the SDK's work on
// their own, as shares of the SDK's CPU time: fetch-share (downloading the
// parts over loopback HTTP to io.Discard, server and client) and
// decrypt-share (Go's AES-256-CBC decryption of the parts from disk, the
// part of our work that openssl's run stands for).
func BenchmarkExportThroughput(b *testing.B) {
	openssl := testenv.RequireTool(b, "openssl")
	e := benchExportEnv(b, 10000, ksefsim.WithExportLimits(ksefsim.ExportLimits{PartSize: 4 << 20}))
	ctx := b.Context()
	exp, err := e.a.Invoices.Export(ctx, &ksef.ExportParams{Filters: e.filters})
	if err != nil {
		b.Fatal(err)
	}
	st, err := e.a.Invoices.WaitExport(ctx, exp.ReferenceNumber, fastWait)
	if err != nil {
		b.Fatal(err)
	}
	var encBytes int64
	for _, p := range st.Package.Parts {
		encBytes += p.EncryptedPartSize
	}
	work := b.TempDir()
	parts := fetchParts(b, work, st.Package)
	key, _ := base64.StdEncoding.DecodeString(exp.SymmetricKey.Reveal())
	iv, _ := base64.StdEncoding.DecodeString(exp.InitializationVector)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	k, err := envelope.KeyFromBytes(key, iv)
	if err != nil {
		b.Fatal(err)
	}
	var sdk, sdkDir, ossl, sdkCPU, osslCPU, fetchCPU, decCPU time.Duration
	b.ResetTimer()
	for i := range b.N {
		// to a callback that reads every invoice
		cpu0 := cpuTime(syscall.RUSAGE_SELF)
		start := time.Now()
		n := 0
		res, err := e.a.Invoices.DownloadExport(ctx, exp, st, &ksef.ExportDownloadOptions{TempDir: work,
			OnInvoice: func(_ string, r io.Reader) error { n++; _, err := io.Copy(io.Discard, r); return err }})
		if err != nil {
			b.Fatal(err)
		}
		sdk += time.Since(start)
		sdkCPU += cpuTime(syscall.RUSAGE_SELF) - cpu0
		if res.Invoices != 10000 || n != 10000 {
			b.Fatalf("%d invoices, %d callbacks", res.Invoices, n)
		}
		b.StopTimer()
		// to a directory: one file per invoice
		dir := fmt.Sprintf("%s/out-%d", work, i)
		if err := os.Mkdir(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		if _, err := e.a.Invoices.DownloadExport(ctx, exp, st, &ksef.ExportDownloadOptions{Dir: dir, TempDir: work}); err != nil {
			b.Fatal(err)
		}
		sdkDir += time.Since(start)
		_ = os.RemoveAll(dir)
		// the yardstick: openssl decrypting the same parts
		cpu0 = cpuTime(syscall.RUSAGE_CHILDREN)
		start = time.Now()
		for _, p := range parts {
			cmd := exec.Command(openssl, "enc", "-d", "-aes-256-cbc", "-K", hex.EncodeToString(key), "-iv", hex.EncodeToString(iv), "-in", p)
			cmd.Stdout = devnull
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
		ossl += time.Since(start)
		osslCPU += cpuTime(syscall.RUSAGE_CHILDREN) - cpu0
		// pieces of the SDK's work alone: the download and the decryption
		cpu0 = cpuTime(syscall.RUSAGE_SELF)
		for _, p := range st.Package.Parts {
			resp, err := http.Get(p.URL)
			if err != nil {
				b.Fatal(err)
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatalf("part %d: %d %v", p.OrdinalNumber, resp.StatusCode, err)
			}
		}
		fetchCPU += cpuTime(syscall.RUSAGE_SELF) - cpu0
		cpu0 = cpuTime(syscall.RUSAGE_SELF)
		for _, p := range parts {
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			_, err = io.Copy(io.Discard, envelope.NewDecryptReader(f, k))
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
		}
		decCPU += cpuTime(syscall.RUSAGE_SELF) - cpu0
		b.StartTimer()
	}
	mb := float64(encBytes) * float64(b.N) / 1e6
	b.ReportMetric(mb/sdk.Seconds(), "sdk-MB/s")
	b.ReportMetric(mb/sdkDir.Seconds(), "sdk-dir-MB/s")
	b.ReportMetric(mb/ossl.Seconds(), "openssl-MB/s")
	b.ReportMetric(ossl.Seconds()/sdk.Seconds(), "ratio")
	b.ReportMetric(ossl.Seconds()/sdkDir.Seconds(), "ratio-dir")
	b.ReportMetric(osslCPU.Seconds()/sdkCPU.Seconds(), "cpu-ratio")
	b.ReportMetric(ossl.Seconds()/(sdkCPU.Seconds()/float64(runtime.GOMAXPROCS(0))), "ratio-bound")
	b.ReportMetric(fetchCPU.Seconds()/sdkCPU.Seconds(), "fetch-share")
	b.ReportMetric(decCPU.Seconds()/sdkCPU.Seconds(), "decrypt-share")
	b.ReportMetric(float64(encBytes)/1e6, "package-MB")
	b.ReportMetric(float64(len(parts)), "parts")
}

// cpuTime returns the user+system CPU time of who (RUSAGE_SELF: this
// process, with the in-process simulator serving the parts;
// RUSAGE_CHILDREN: the finished child processes).
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakHeap samples the heap in use every millisecond until stop is
// called, which returns the largest value seen.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// BenchmarkExportMemory exports 10,000 and 100,000 invoices (packages of
// at most 10,000, followed while truncated) and reports the peak growth of
// the heap while the SDK downloads, verifies, decrypts and unpacks a
// package, above the heap in use just before (heap-before: the
// simulator's invoices and its copy of the packages), measured with a GC
// target of 5% (peak-heap-growth: sampled every millisecond, so it still
// includes up to 5% of the heap before as garbage) and, exactly, the live
// heap after a collection every 1,000 invoices (peak-live-growth: what the
// pipeline keeps): flat when the path streams.
func BenchmarkExportMemory(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			e := benchExportEnv(b, n)
			ctx := b.Context()
			var worst, simHeap uint64
			var worstLive int64 // may be negative: garbage of before the download freed
			liveSeen := false
			var total int
			b.ResetTimer()
			for range b.N {
				dir := b.TempDir()
				f := e.filters
				total = 0
				for {
					exp, err := e.a.Invoices.Export(ctx, &ksef.ExportParams{Filters: f})
					if err != nil {
						b.Fatal(err)
					}
					st, err := e.a.Invoices.WaitExport(ctx, exp.ReferenceNumber, fastWait)
					if err != nil {
						b.Fatal(err)
					}
					// A low GC target while measuring: with the default one the
					// heap may hold garbage up to the size of the live heap (the
					// simulator's invoices and packages), which would measure the
					// simulator's size instead of what the SDK keeps.
					old := debug.SetGCPercent(5)
					runtime.GC()
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					base := ms.HeapInuse
					if base > simHeap {
						simHeap = base
					}
					baseLive := ms.HeapAlloc
					stop := peakHeap()
					seen := 0
					res, err := e.a.Invoices.DownloadExport(ctx, exp, st, &ksef.ExportDownloadOptions{Dir: dir, TempDir: dir,
						OnInvoice: func(string, io.Reader) error {
							// every 1,000 invoices: what the pipeline keeps alive
							if seen++; seen%1000 == 0 {
								runtime.GC()
								var m runtime.MemStats
								runtime.ReadMemStats(&m)
								if d := int64(m.HeapAlloc) - int64(baseLive); !liveSeen || d > worstLive {
									worstLive, liveSeen = d, true
								}
							}
							return nil
						}})
					peak := stop()
					debug.SetGCPercent(old)
					if err != nil {
						b.Fatal(err)
					}
					if peak > base && peak-base > worst {
						worst = peak - base
					}
					total += res.Invoices
					if !st.Package.IsTruncated {
						break
					}
					f.DateRange.From = *st.Package.LastPermanentStorageDate
				}
			}
			if total < n {
				b.Fatalf("%d invoices exported, want %d", total, n)
			}
			b.ReportMetric(float64(worst)/1e6, "peak-heap-growth-MB")
			b.ReportMetric(float64(worstLive)/1e6, "peak-live-growth-MB")
			b.ReportMetric(float64(simHeap)/1e6, "heap-before-MB")
			b.ReportMetric(float64(total), "invoices")
		})
	}
}
