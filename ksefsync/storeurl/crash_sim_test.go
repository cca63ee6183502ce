package storeurl_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// TestCrashSimChild is the sync process TestCrashSafetySimulator kills: it
// logs in to the parent's simulator and syncs into the store.
func TestCrashSimChild(t *testing.T) {
	base := os.Getenv("KSEF_CRASH_SIM")
	if base == "" {
		t.Skip("started by TestCrashSafetySimulator")
	}
	ctx := context.Background()
	cred, err := credentials.LoadPEMFiles(os.Getenv("KSEF_CRASH_CERT"), os.Getenv("KSEF_CRASH_KEY"), "")
	if err != nil {
		t.Fatal(err)
	}
	nip := os.Getenv("KSEF_CRASH_NIP")
	c, err := ksef.NewClient(ksef.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(nip)), cred.Certificate, cred.Signer, &ksef.LoginParams{Wait: &ksef.WaitOptions{MinDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := storeurl.Open(ctx, os.Getenv("KSEF_CRASH_STORE"))
	if err != nil {
		t.Fatal(err)
	}
	wait := &ksef.WaitOptions{MinDelay: 2 * time.Millisecond, MaxDelay: 20 * time.Millisecond}
	e, err := ksefsync.NewEngine(st, []ksefsync.ContextSource{{Context: nip, Source: &ksefsync.ExportSource{Invoices: a.Invoices, TempDir: t.TempDir(), Wait: wait}}},
		ksefsync.Options{Start: time.Now().Add(-30 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("CRASH-CHILD-STARTED")
	if err := e.Run(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("CRASH-CHILD-DONE")
}

// TestCrashSafetySimulator kills a sync process reading the simulator over
// HTTP (exports of 10 invoices, so every stream takes many packages) with
// SIGKILL at random points, at least 50 times, restarting it each time;
// the store ends with exactly the simulator's invoices of the context,
// each XML matching its metadata's hash.
func TestCrashSafetySimulator(t *testing.T) {
	skipUnderRace(t)
	t.Run("SQLite", func(t *testing.T) {
		// as many invoices as for PostgreSQL: on a quiet machine a run
		// commits several packages before its kill, and a smaller set
		// was once complete before the 50th kill
		crashSim(t, "sqlite:"+filepath.Join(t.TempDir(), "crash.db"), 2000, 700)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		// commits are quicker here: more invoices, so that 50 kills
		// still find the sync unfinished
		crashSim(t, pgstoretest.New(t, testenv.PostgresDSN(t)).DSN("crashsim"), 2000, 700)
	})
}

func crashSim(t *testing.T, spec string, issued, received int) {
	window := 300 * time.Millisecond
	kills := 50
	if testing.Short() {
		kills = 5
	}
	sim, base := simtest.Start(t, ksefsim.WithoutRateLimits(), ksefsim.WithExportLimits(ksefsim.ExportLimits{MaxInvoices: 10}))
	id, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	keyPEM, err := id.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, id.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	now := sim.Now()
	sold, err := sim.SeedInvoices(ksefsim.SeedParams{Count: issued, SellerNIP: id.NIP, From: now.Add(-10 * 24 * time.Hour), To: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	bought, err := sim.SeedInvoices(ksefsim.SeedParams{Count: received, BuyerNIP: id.NIP, From: now.Add(-9 * 24 * time.Hour), To: now.Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	total := int64(len(sold.KSeFNumbers) + len(bought.KSeFNumbers))
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	killed, midway, last := 0, 0, int64(0)
runs:
	for run := 0; ; run++ {
		if run > kills*4 {
			t.Fatalf("no completed sync after %d runs", run)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSimChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "KSEF_CRASH_SIM="+base, "KSEF_CRASH_CERT="+certFile, "KSEF_CRASH_KEY="+keyFile,
			"KSEF_CRASH_NIP="+id.NIP, "KSEF_CRASH_STORE="+spec)
		logf, _ := os.CreateTemp(dir, "child")
		cmd.Stderr = logf
		pipe, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		started := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(pipe)
			for sc.Scan() {
				fmt.Fprintln(logf, sc.Text())
				if sc.Text() == "CRASH-CHILD-STARTED" {
					close(started)
				}
			}
		}()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if killed < kills {
			select {
			case <-started:
			case err := <-done:
				b, _ := os.ReadFile(logf.Name())
				t.Fatalf("sync process ended before starting: %v\n%s", err, b)
			}
			select {
			case err := <-done:
				if err != nil {
					b, _ := os.ReadFile(logf.Name())
					t.Fatalf("sync process failed: %v\n%s", err, b)
				}
				if storedCount(t, spec) == total {
					break runs // complete: further kills would find nothing to interrupt
				}
			case <-time.After(time.Duration(rng.Int64N(int64(window)))):
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
				killed++
				n := storedCount(t, spec)
				if n > last && n < total {
					midway++
				}
				if os.Getenv("KSEF_CRASH_DEBUG") != "" {
					fmt.Printf("kill %d: window %v, stored %d of %d\n", killed, window, n, total)
				}
				// aim at about one commit per run: wait longer after a run
				// that committed nothing, shorter after one that did
				switch {
				case n == last && n < total && window < 5*time.Second:
					window = window * 3 / 2
				case n > last && window > 10*time.Millisecond:
					window = window * 4 / 5
				}
				last = n
			}
			continue
		}
		if err := <-done; err != nil {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("final sync failed: %v\n%s", err, b)
		}
		break
	}
	if killed < kills {
		t.Fatalf("the sync completed after %d kills, before %d: the kills came too late to interrupt it", killed, kills)
	}
	st, err := storeurl.Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	check := func(subject ksef.InvoiceQuerySubjectType, want []string) {
		t.Helper()
		got := ksefsynctest.StoredNumbers(t, st, ksefsync.Filter{Context: id.NIP, SubjectType: subject})
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Fatalf("%s: store holds %d invoices, the simulator %d", subject, len(got), len(want))
		}
	}
	check(ksef.InvoiceQuerySubjectTypeSubject1, sold.KSeFNumbers)
	check(ksef.InvoiceQuerySubjectTypeSubject2, bought.KSeFNumbers)
	check(ksef.InvoiceQuerySubjectTypeSubject3, nil)
	fmt.Printf("crash safety %s from the simulator: %d SIGKILLs (%d mid-sync after progress; kill window ended at %v), then one run to the end: %d issued + %d received invoices, none missing, none twice, every XML matching its hash\n",
		storeName(spec), killed, midway, window.Round(time.Millisecond), len(sold.KSeFNumbers), len(bought.KSeFNumbers))
	if midway < killed/3 {
		t.Fatalf("only %d of %d kills interrupted a sync in progress", midway, killed)
	}
}
