package ksefsync_test

import (
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/sqlitestore"
)

var fastWait = &ksef.WaitOptions{MinDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond}

// simEnv is a simulator with two logged-in companies that sell to each
// other.
type simEnv struct {
	sim     *ksefsim.Simulator
	nips    []string
	clients []*ksef.AuthenticatedClient
}

func newSimEnv(t *testing.T, opts ...ksefsim.Option) *simEnv {
	t.Helper()
	sim, baseURL := simtest.Start(t, opts...)
	c, err := ksef.NewClient(ksef.WithBaseURL(baseURL))
	if err != nil {
		t.Fatal(err)
	}
	e := &simEnv{sim: sim}
	for range 2 {
		id, err := sim.NewTestIdentity()
		if err != nil {
			t.Fatal(err)
		}
		a, err := c.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, &ksef.LoginParams{Wait: fastWait})
		if err != nil {
			t.Fatal(err)
		}
		e.nips = append(e.nips, id.NIP)
		e.clients = append(e.clients, a)
	}
	return e
}

func (e *simEnv) seed(t *testing.T, n, seller, buyer int, from, to time.Time) []string {
	t.Helper()
	res, err := e.sim.SeedInvoices(ksefsim.SeedParams{Count: n, SellerNIP: e.nips[seller], BuyerNIP: e.nips[buyer], From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	return res.KSeFNumbers
}

func (e *simEnv) sources(t *testing.T) []ksefsync.ContextSource {
	var cs []ksefsync.ContextSource
	for i, a := range e.clients {
		cs = append(cs, ksefsync.ContextSource{Context: e.nips[i], Source: &ksefsync.ExportSource{Invoices: a.Invoices, TempDir: t.TempDir(), Wait: fastWait}})
	}
	return cs
}

func streamNumbers(t *testing.T, r ksefsync.Reader, ctxID string, st ksef.InvoiceQuerySubjectType) []string {
	t.Helper()
	var out []string
	for inv, err := range r.Invoices(t.Context(), ksefsync.Filter{Context: ctxID, SubjectType: st}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, inv.KSeFNumber)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...[]string) []string {
	out := slices.Concat(s...)
	slices.Sort(out)
	return out
}

// Workflows §G 58: HWM incremental sync for the subject types with
// continuation (truncated packages), dedup and an idempotent rerun, from
// the simulator into SQLite.
func TestE2EIncrementalSync(t *testing.T) {
	e := newSimEnv(t, ksefsim.WithoutRateLimits(), ksefsim.WithExportLimits(ksefsim.ExportLimits{MaxInvoices: 25, PartSize: 20_000}))
	ctx := t.Context()
	now := e.sim.Now()
	aToB := e.seed(t, 70, 0, 1, now.Add(-5*24*time.Hour), now.Add(-2*time.Hour))
	bToA := e.seed(t, 40, 1, 0, now.Add(-4*24*time.Hour), now.Add(-3*time.Hour))
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "sync.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs strings.Builder
	eng, err := ksefsync.NewEngine(st, e.sources(t), ksefsync.Options{
		Start:  now.Add(-10 * 24 * time.Hour),
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	s := eng.Run(ctx)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if s.New() != 2*(70+40) {
		t.Fatalf("first run: %d new stream invoices, want %d", s.New(), 2*110)
	}
	truncated := strings.Count(logs.String(), "truncated=true")
	if truncated < 4 {
		t.Fatalf("%d truncated packages; packages of 25 should have split the 70 and 40 invoices", truncated)
	}
	a, b := e.nips[0], e.nips[1]
	s1, s2 := ksef.InvoiceQuerySubjectTypeSubject1, ksef.InvoiceQuerySubjectTypeSubject2
	check := func(aToB, bToA []string) {
		t.Helper()
		for _, c := range []struct {
			ctx  string
			st   ksef.InvoiceQuerySubjectType
			want []string
		}{{a, s1, aToB}, {a, s2, bToA}, {b, s1, bToA}, {b, s2, aToB}} {
			if got := streamNumbers(t, st, c.ctx, c.st); !slices.Equal(got, sorted(c.want)) {
				t.Fatalf("%s/%s: %d invoices, want %d", c.ctx, c.st, len(got), len(c.want))
			}
		}
	}
	check(aToB, bToA)
	// each invoice once, with its XML as KSeF serves it
	n := 0
	for inv, err := range st.Invoices(ctx, ksefsync.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n%20 == 0 {
			full, err := st.Invoice(ctx, inv.KSeFNumber)
			if err != nil {
				t.Fatal(err)
			}
			dl, err := e.clients[0].Invoices.Download(ctx, inv.KSeFNumber)
			if err != nil {
				t.Fatal(err)
			}
			if sha256.Sum256(full.XML) != sha256.Sum256(dl) {
				t.Fatalf("%s: stored XML differs from the downloaded one", inv.KSeFNumber)
			}
		}
	}
	if n != 110 {
		t.Fatalf("%d distinct invoices, want 110", n)
	}
	// rerun: nothing new
	if s := eng.Run(ctx); s.Err() != nil || s.New() != 0 {
		t.Fatalf("rerun: %d new, %v", s.New(), s.Err())
	}
	// new invoices arrive (stored after the high-water mark of the last run)
	t1 := e.sim.Now()
	more := e.seed(t, 30, 0, 1, t1, t1.Add(10*time.Millisecond))
	time.Sleep(20 * time.Millisecond)
	s = eng.Run(ctx)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if s.New() != 60 {
		t.Fatalf("after 30 new invoices: %d new stream invoices, want 60", s.New())
	}
	check(slices.Concat(aToB, more), bToA)
	fmt.Printf("sync e2e: %d invoices in 4 streams, %d truncated packages continued, rerun idempotent\n", 140, truncated)
}

// Two contexts synced at once against the simulator's default (production)
// limits: the clients pace their requests per context and group, so KSeF
// never answers 429.
func TestE2EWithinLimits(t *testing.T) {
	var limited atomic.Int64
	count := ksefsim.WithMiddleware(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w}
			h.ServeHTTP(rec, r)
			if rec.status == http.StatusTooManyRequests {
				limited.Add(1)
			}
		})
	})
	e := newSimEnv(t, count, ksefsim.WithExportLimits(ksefsim.ExportLimits{MaxInvoices: 25}))
	now := e.sim.Now()
	e.seed(t, 60, 0, 1, now.Add(-3*24*time.Hour), now.Add(-time.Hour))
	e.seed(t, 30, 1, 0, now.Add(-3*24*time.Hour), now.Add(-time.Hour))
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "limits.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, _ := ksefsync.NewEngine(st, e.sources(t), ksefsync.Options{Start: now.Add(-5 * 24 * time.Hour)})
	s := eng.Run(t.Context())
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if s.New() != 180 {
		t.Fatalf("%d new stream invoices, want 180", s.New())
	}
	if n := limited.Load(); n != 0 {
		t.Fatalf("the simulator answered 429 %d times", n)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

// Workflows §G 59: a backfill of a long history (over 100 days, so in
// several windows) next to the incremental sync does not move the
// incremental checkpoint and fills the store.
func TestE2EBackfill(t *testing.T) {
	e := newSimEnv(t, ksefsim.WithoutRateLimits())
	now := e.sim.Now()
	old := e.seed(t, 40, 0, 1, now.Add(-200*24*time.Hour), now.Add(-100*24*time.Hour))
	recent := e.seed(t, 10, 0, 1, now.Add(-5*24*time.Hour), now.Add(-time.Hour))
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "backfill.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sources := e.sources(t)[:1]
	eng, _ := ksefsync.NewEngine(st, sources, ksefsync.Options{Start: now.Add(-30 * 24 * time.Hour), SubjectTypes: []ksef.InvoiceQuerySubjectType{ksef.InvoiceQuerySubjectTypeSubject1}})
	if s := eng.Run(t.Context()); s.Err() != nil || s.New() != 10 {
		t.Fatalf("incremental: %d new, %v", s.New(), s.Err())
	}
	before, _ := st.Checkpoints(t.Context())
	s := eng.Backfill(t.Context(), now.Add(-210*24*time.Hour), time.Time{})
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if s.New() != 40 || s.Streams[0].Packages < 3 {
		t.Fatalf("backfill: %d new in %d packages, want 40 in ≥3 windows of ≤90 days", s.New(), s.Streams[0].Packages)
	}
	after, _ := st.Checkpoints(t.Context())
	for _, a := range after {
		if a.Key.Kind == ksefsync.KindIncremental && !a.Checkpoint.From.Equal(before[0].Checkpoint.From) {
			t.Fatalf("backfill moved the incremental checkpoint: %v → %v", before[0].Checkpoint.From, a.Checkpoint.From)
		}
	}
	if got := streamNumbers(t, st, e.nips[0], ksef.InvoiceQuerySubjectTypeSubject1); !slices.Equal(got, sorted(old, recent)) {
		t.Fatalf("store holds %d invoices, want %d", len(got), 50)
	}
}
