package storeurl_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/ksefsynctest"
	"github.com/ksef2/ksef/ksefsync/pgstore/pgstoretest"
	"github.com/ksef2/ksef/ksefsync/storeurl"
)

// crashFake is the invoice set of the crash tests: parent and child build
// the same one.
func crashFake(n int) *ksefsynctest.Fake {
	f := ksefsynctest.NewFake(n, 20)
	f.Delay = 800 * time.Microsecond
	return f
}

// TestCrashChild is the sync process the crash tests kill; it runs only
// when started by them.
func TestCrashChild(t *testing.T) {
	spec := os.Getenv("KSEF_CRASH_STORE")
	if spec == "" {
		t.Skip("started by TestCrashSafety")
	}
	ctx := context.Background()
	st, err := storeurl.Open(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(os.Getenv("KSEF_CRASH_N"))
	f := crashFake(n)
	fmt.Println("CRASH-CHILD-STARTED")
	e, err := ksefsync.NewEngine(st, ksefsynctest.Sources(f), ksefsync.Options{Start: ksefsynctest.Base.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("CRASH-CHILD-DONE")
}

// crashLoop starts the sync process again and again, killing it with
// SIGKILL after a random delay, at least kills times, then lets it finish
// and checks that the store holds exactly the fake's invoices.
func crashLoop(t *testing.T, spec string, perStream int, window time.Duration) {
	kills := 60
	if testing.Short() {
		kills = 8
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 12))
	killed, finished := 0, 0
	midway, last := 0, int64(0) // kills after progress that left the sync unfinished
	total := int64(0)
	for range crashFake(perStream).Expected() {
		total++
	}
	for run := 0; ; run++ {
		if run > kills*5 {
			t.Fatalf("no completed sync after %d runs", run)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "KSEF_CRASH_STORE="+spec, "KSEF_CRASH_N="+strconv.Itoa(perStream))
		out, _ := os.CreateTemp(t.TempDir(), "child")
		cmd.Stderr = out
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
				fmt.Fprintln(out, sc.Text())
				if sc.Text() == "CRASH-CHILD-STARTED" {
					close(started)
				}
			}
		}()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if killed < kills {
			// kill at a random point after the store is open
			select {
			case <-started:
			case <-time.After(time.Minute):
				t.Fatal("sync process did not start")
			}
			select {
			case err := <-done:
				if err != nil {
					b, _ := os.ReadFile(out.Name())
					t.Fatalf("sync process failed: %v\n%s", err, b)
				}
				finished++
			case <-time.After(time.Duration(rng.Int64N(int64(window)))):
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
				killed++
				n := storedCount(t, spec)
				if n > last && n < total {
					midway++
				}
				last = n
			}
			continue
		}
		if err := <-done; err != nil {
			b, _ := os.ReadFile(out.Name())
			t.Fatalf("final sync failed: %v\n%s", err, b)
		}
		break
	}
	st, err := storeurl.Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := ksefsynctest.RequireComplete(t, st, crashFake(perStream))
	fmt.Printf("crash safety %s: %d SIGKILLs (%d of them mid-sync after progress), %d runs completed before their kill, then one to the end: %v\n",
		storeName(spec), killed, midway, finished, c)
	if midway < killed/3 {
		t.Fatalf("only %d of %d kills interrupted a sync in progress", midway, killed)
	}
}

// storedCount counts the (stream, invoice) pairs the store holds.
func storedCount(t *testing.T, spec string) int64 {
	st, err := storeurl.Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cps, err := st.Checkpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, c := range cps {
		n += c.Invoices
	}
	return n
}

func storeName(spec string) string {
	if len(spec) > 7 && spec[:7] == "sqlite:" {
		return "SQLite"
	}
	return "PostgreSQL"
}

// skipUnderRace skips the crash loops under the race detector: each of
// their dozens of sync processes would be a race-instrumented binary, many
// times slower. scripts/test.sh runs them again without it.
func skipUnderRace(t *testing.T) {
	t.Helper()
	if raceDetector {
		t.Skip("crash loop skipped under -race (scripts/test.sh runs it without the race detector)")
	}
}

func TestCrashSafety(t *testing.T) {
	skipUnderRace(t)
	t.Run("SQLite", func(t *testing.T) {
		crashLoop(t, "sqlite:"+filepath.Join(t.TempDir(), "crash.db"), 450, 80*time.Millisecond)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		// a new process needs longer to reach its first commit here (the
		// connections authenticate first): a wider window, more invoices
		crashLoop(t, pgstoretest.New(t, testenv.PostgresDSN(t)).DSN("crash"), 1200, 250*time.Millisecond)
	})
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://ksef:s3cret@db.local:5432/ksef?sslmode=disable": "postgres://ksef:REDACTED@db.local:5432/ksef?sslmode=disable",
		"postgres://ksef@db.local/ksef":                             "postgres://ksef@db.local/ksef",
		"sqlite:invoices.db":                                        "sqlite:invoices.db",
	} {
		if got := storeurl.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
