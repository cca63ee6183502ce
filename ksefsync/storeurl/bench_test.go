package storeurl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/ksefsynctest"
	"github.com/ksef2/ksef/ksefsync/pgstore/pgstoretest"
	"github.com/ksef2/ksef/ksefsync/storeurl"
)

// peakHeap samples the heap every few milliseconds while run runs and
// returns two peaks above the heap before it started: of the heap's
// objects (garbage not yet collected included: the collector lets the heap
// grow in proportion to what is live, here mostly the simulator's seeded
// invoices) and of the live heap the last collection found.
func peakHeap(run func()) (objects, live uint64) {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	baseObj, baseLive := s[0].Value.Uint64(), s[1].Value.Uint64()
	var peakObj, peakLive atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peakObj.Load() {
				peakObj.Store(v)
			}
			if v := s[1].Value.Uint64(); v > peakLive.Load() {
				peakLive.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	run()
	close(stop)
	<-done
	above := func(v, base uint64) uint64 {
		if v < base {
			return 0
		}
		return v - base
	}
	return above(peakObj.Load(), baseObj), above(peakLive.Load(), baseLive)
}

type benchStore struct {
	name string
	spec func(b *testing.B, n int) string
}

func benchStores() []benchStore {
	return []benchStore{
		{"SQLite", func(b *testing.B, n int) string {
			return "sqlite:" + filepath.Join(b.TempDir(), fmt.Sprintf("bench%d.db", n))
		}},
		{"PostgreSQL", func(b *testing.B, n int) string {
			return pgstoretest.New(b, testenv.PostgresDSN(b)).DSN(fmt.Sprintf("bench%d", n))
		}},
	}
}

// syncOnce syncs the sources into a new store and returns the time taken
// and the peak heap.
func syncOnce(b *testing.B, spec string, sources []ksefsync.ContextSource, want int) (el, cpu time.Duration, peak, live uint64) {
	ctx := context.Background()
	st, err := storeurl.Open(ctx, spec)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e, err := ksefsync.NewEngine(st, sources, ksefsync.Options{
		SubjectTypes: []ksef.InvoiceQuerySubjectType{ksef.InvoiceQuerySubjectTypeSubject1},
		Start:        time.Now().Add(-60 * 24 * time.Hour),
	})
	if err != nil {
		b.Fatal(err)
	}
	var s *ksefsync.Summary
	t0, c0 := time.Now(), cpuTime()
	peak, live = peakHeap(func() { s = e.Run(ctx) })
	el = time.Since(t0)
	cpu = cpuTime() - c0
	if err := s.Err(); err != nil {
		b.Fatal(err)
	}
	if s.New() != want {
		b.Fatalf("synced %d new invoices, want %d", s.New(), want)
	}
	return el, cpu, peak, live
}

// cpuTime returns the CPU time (user and system) of this process: on a
// machine shared with other work the wall clock alone says little.
// reportSync reports the metrics of one sync of n invoices and returns
// its rate in invoices per second.
func reportSync(b *testing.B, n int, el, cpu time.Duration, peak, live uint64) float64 {
	rate := float64(n) / el.Seconds()
	b.ReportMetric(rate, "invoices/s")
	b.ReportMetric(float64(n)/cpu.Seconds(), "invoices/cpu-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
	b.ReportMetric(float64(live)/(1<<20), "live-MB")
	return rate
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSyncFake measures the stores alone: a full sync of n invoices
// (2 KB of XML each, packages of 10,000) from the in-memory fake source.
// The yardstick is reading the same packages without storing them.
func BenchmarkSyncFake(b *testing.B) {
	for _, bs := range benchStores() {
		for _, n := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("%s/%d", bs.name, n), func(b *testing.B) {
				f := ksefsynctest.NewFake(n, 10_000)
				f.Contexts = f.Contexts[:1]
				f.SharedEvery = 0
				f.XMLSize = 2000
				f.Base = time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Second)
				f.Step = 10 * time.Millisecond
				// yardstick: read every package without a store
				t0 := time.Now()
				w := ksefsync.Window{Context: f.Contexts[0], SubjectType: ksef.InvoiceQuerySubjectTypeSubject1, From: f.Base}
				for read := 0; read < n; {
					pkg, err := f.Fetch(context.Background(), w)
					if err != nil {
						b.Fatal(err)
					}
					for range pkg.Invoices {
						read++
					}
					if pkg.IsTruncated {
						w.From = *pkg.LastPermanentStorageDate
					} else {
						break
					}
				}
				yard := time.Since(t0)
				b.ResetTimer()
				for range b.N {
					el, cpu, peak, live := syncOnce(b, bs.spec(b, n), ksefsynctest.Sources(f), n)
					rate := reportSync(b, n, el, cpu, peak, live)
					fmt.Printf("sync bench/fake→%s/%d: %.0f invoices/s (%.0f per CPU-second of this process), %.1f× the time of reading the packages alone, peak heap %.1f MB (live %.1f MB)\n",
						bs.name, n, rate, float64(n)/cpu.Seconds(), el.Seconds()/yard.Seconds(), float64(peak)/(1<<20), float64(live)/(1<<20))
				}
			})
		}
	}
}

// BenchmarkSyncSimulator is the full sync of n invoices from the simulator
// (limits lifted) through the SDK's exports (encrypted ZIP parts,
// verified, decrypted, unpacked) into each store. The yardstick is the
// same exports downloaded without a store.
func BenchmarkSyncSimulator(b *testing.B) {
	for _, bs := range benchStores() {
		for _, n := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("%s/%d", bs.name, n), func(b *testing.B) {
				sim, base := simtest.Start(b, ksefsim.WithoutRateLimits())
				c, err := ksef.NewClient(ksef.WithBaseURL(base))
				if err != nil {
					b.Fatal(err)
				}
				id, err := sim.NewTestIdentity()
				if err != nil {
					b.Fatal(err)
				}
				a, err := c.Auth.LoginWithCertificate(context.Background(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, nil)
				if err != nil {
					b.Fatal(err)
				}
				now := sim.Now()
				if _, err := sim.SeedInvoices(ksefsim.SeedParams{Count: n, SellerNIP: id.NIP, From: now.Add(-20 * 24 * time.Hour), To: now.Add(-time.Hour)}); err != nil {
					b.Fatal(err)
				}
				wait := &ksef.WaitOptions{MinDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond, Timeout: 5 * time.Minute}
				src := []ksefsync.ContextSource{{Context: id.NIP, Source: &ksefsync.ExportSource{Invoices: a.Invoices, TempDir: b.TempDir(), Wait: wait}}}
				b.ResetTimer()
				for range b.N {
					el, cpu, peak, live := syncOnce(b, bs.spec(b, n), src, n)
					rate := reportSync(b, n, el, cpu, peak, live)
					fmt.Printf("sync bench/simulator→%s/%d: %.0f invoices/s (%.0f per CPU-second, simulator included), peak heap %.1f MB, live %.1f MB (simulator in the same process)\n",
						bs.name, n, rate, float64(n)/cpu.Seconds(), float64(peak)/(1<<20), float64(live)/(1<<20))
				}
			})
		}
	}
}

// BenchmarkSyncSimulatorProcess is BenchmarkSyncSimulator with the
// simulator in its own process (`ksef sim serve --no-rate-limits
// --seed-invoices N`), so that the peak heap it reports is the sync's
// alone: in BenchmarkSyncSimulator the simulator builds its export
// packages in the same heap. invoices/cpu-s counts this process only.
func BenchmarkSyncSimulatorProcess(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "ksef")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/ksef")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build ./cmd/ksef: %v\n%s", err, out)
	}
	for _, bs := range benchStores() {
		for _, n := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("%s/%d", bs.name, n), func(b *testing.B) {
				a, nip := startSimProcess(b, bin, n)
				wait := &ksef.WaitOptions{MinDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond, Timeout: 5 * time.Minute}
				src := []ksefsync.ContextSource{{Context: nip, Source: &ksefsync.ExportSource{Invoices: a.Invoices, TempDir: b.TempDir(), Wait: wait}}}
				b.ResetTimer()
				for range b.N {
					el, cpu, peak, live := syncOnce(b, bs.spec(b, n), src, n)
					rate := reportSync(b, n, el, cpu, peak, live)
					fmt.Printf("sync bench/simulator process→%s/%d: %.0f invoices/s (%.0f per CPU-second of the sync), peak heap %.1f MB, live %.1f MB (the sync alone)\n",
						bs.name, n, rate, float64(n)/cpu.Seconds(), float64(peak)/(1<<20), float64(live)/(1<<20))
				}
			})
		}
	}
}

// startSimProcess starts `ksef sim serve` with n seeded invoices on a free
// loopback port and logs in as its test identity.
func startSimProcess(b *testing.B, bin string, n int) (*ksef.AuthenticatedClient, string) {
	cmd := exec.Command(bin, "sim", "serve", "--addr", "127.0.0.1:0", "--no-rate-limits", "--seed-invoices", strconv.Itoa(n),
		"--identity-dir", filepath.Join(b.TempDir(), "id"), "-o", "json")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	var info struct {
		BaseURL  string `json:"baseUrl"`
		Identity struct {
			NIP      string `json:"nip"`
			CertFile string `json:"certFile"`
			KeyFile  string `json:"keyFile"`
		} `json:"identity"`
	}
	if err := json.NewDecoder(out).Decode(&info); err != nil {
		b.Fatalf("ksef sim serve: %v", err)
	}
	cr, err := credentials.LoadPEMFiles(info.Identity.CertFile, info.Identity.KeyFile, "")
	if err != nil {
		b.Fatal(err)
	}
	c, err := ksef.NewClient(ksef.WithBaseURL(info.BaseURL))
	if err != nil {
		b.Fatal(err)
	}
	a, err := c.Auth.LoginWithCertificate(context.Background(), ksef.MustContext(ksef.NIPContext(info.Identity.NIP)), cr.Certificate, cr.Signer, nil)
	if err != nil {
		b.Fatal(err)
	}
	return a, info.Identity.NIP
}
