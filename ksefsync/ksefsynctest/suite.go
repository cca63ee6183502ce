package ksefsynctest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"iter"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsync"
)

// Base is the first PermanentStorage date of the fakes of the suite.
var Base = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// NewFake returns a fake of two contexts with n invoices per stream,
// packages of pkg invoices and three invoices per instant.
func NewFake(n, pkg int) *Fake {
	return &Fake{
		Contexts:    []string{"5265877635", "7740001454"},
		PerStream:   n,
		Base:        Base,
		Step:        time.Minute,
		SameInstant: 3,
		SharedEvery: 5,
		PackageSize: pkg,
		XMLSize:     600,
	}
}

// Sources returns one context source per context of f.
func Sources(f *Fake) []ksefsync.ContextSource {
	var cs []ksefsync.ContextSource
	for _, c := range f.Contexts {
		cs = append(cs, ksefsync.ContextSource{Context: c, Source: f})
	}
	return cs
}

// RequireComplete fails the test unless the store holds exactly f's
// invoices.
func RequireComplete(t testing.TB, r ksefsync.Reader, f *Fake) Counts {
	t.Helper()
	c, err := Verify(context.Background(), r, f, true)
	if err != nil {
		t.Fatal(err)
	}
	if !c.OK() {
		t.Fatalf("store differs from the fake: %v", c)
	}
	return c
}

// StoredNumbers returns the sorted KSeF numbers of the invoices the store
// holds for filter (a number held twice appears twice), and fails the
// test when an invoice's stored XML differs from its metadata's
// invoiceHash: the check for stores synced from a simulator, whose
// invoices no fake describes.
func StoredNumbers(t testing.TB, r ksefsync.Reader, filter ksefsync.Filter) []string {
	t.Helper()
	ctx := context.Background()
	var got []string
	for inv, err := range r.Invoices(ctx, filter) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, inv.KSeFNumber)
		full, err := r.Invoice(ctx, inv.KSeFNumber)
		if err != nil {
			t.Fatal(err)
		}
		var md ksef.InvoiceMetadata
		if err := json.Unmarshal(full.Metadata, &md); err != nil {
			t.Fatal(err)
		}
		if h := sha256.Sum256(full.XML); !slices.Equal(h[:], md.InvoiceHash) {
			t.Fatalf("%s: stored XML does not match its invoiceHash", inv.KSeFNumber)
		}
	}
	slices.Sort(got)
	return got
}

// lockedBuffer collects log output of concurrent goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// RunStoreSuite checks a [ksefsync.Store] implementation: open returns a
// new empty store each time it is called with a new name, and the same
// store's data when called again with the same name.
func RunStoreSuite(t *testing.T, open func(t *testing.T, name string) ksefsync.Store) {
	ctx := context.Background()
	start := Base.Add(-time.Hour)

	t.Run("SyncRerunIncremental", func(t *testing.T) {
		st := open(t, "sync")
		f := NewFake(40, 7)
		f.SetVisible(20)
		e, err := ksefsync.NewEngine(st, Sources(f), ksefsync.Options{Start: start})
		if err != nil {
			t.Fatal(err)
		}
		s := e.Run(ctx)
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		RequireComplete(t, st, f)
		first := s.New()
		// rerun: nothing new
		s = e.Run(ctx)
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if s.New() != 0 {
			t.Fatalf("rerun stored %d new invoices, want 0", s.New())
		}
		// more invoices arrive past the HWM
		f.SetVisible(-1)
		s = e.Run(ctx)
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		c := RequireComplete(t, st, f)
		if first+s.New() != c.Expected {
			t.Fatalf("new invoices %d+%d, want %d", first, s.New(), c.Expected)
		}
		if c.Distinct >= c.Stored {
			t.Fatalf("shared invoices not deduplicated: %v", c)
		}
		cps, err := st.Checkpoints(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cps) != 8 {
			t.Fatalf("%d checkpoints, want 8", len(cps))
		}
		for _, cp := range cps {
			if cp.Checkpoint.HWM.IsZero() || !cp.Checkpoint.From.Equal(cp.Checkpoint.HWM) {
				t.Fatalf("checkpoint %v: from %v, hwm %v", cp.Key, cp.Checkpoint.From, cp.Checkpoint.HWM)
			}
			if cp.Invoices != 40 {
				t.Fatalf("checkpoint %v counts %d invoices, want 40", cp.Key, cp.Invoices)
			}
		}
	})

	t.Run("ReopenResumes", func(t *testing.T) {
		st := open(t, "reopen")
		f := NewFake(30, 10)
		f.SetVisible(12)
		e, _ := ksefsync.NewEngine(st, Sources(f), ksefsync.Options{Start: start})
		if err := e.Run(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		st.Close()
		st = open(t, "reopen")
		f.SetVisible(-1)
		e, _ = ksefsync.NewEngine(st, Sources(f), ksefsync.Options{Start: start})
		s := e.Run(ctx)
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		// only the invoices past the HWM (plus none twice) are new
		RequireComplete(t, st, f)
		if s.New() != 8*18 {
			t.Fatalf("after reopening: %d new, want %d", s.New(), 8*18)
		}
	})

	t.Run("CommitIsAtomic", func(t *testing.T) {
		st := open(t, "atomic")
		key := ksefsync.StreamKey{Context: "5265877635", SubjectType: ksef.InvoiceQuerySubjectTypeSubject1}
		s, err := st.Claim(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Release()
		f := NewFake(10, 100)
		boom := errors.New("connection lost")
		seq := func(yield func(*ksefsync.Invoice, error) bool) {
			for i := range 5 {
				if !yield(f.Invoice(key.Context, key.SubjectType, i), nil) {
					return
				}
			}
			yield(nil, boom)
		}
		if _, err := s.Commit(ctx, ksefsync.Checkpoint{From: Base.Add(time.Hour)}, seq); !errors.Is(err, boom) {
			t.Fatalf("commit error %v, want %v", err, boom)
		}
		if _, ok, err := s.Checkpoint(ctx); err != nil || ok {
			t.Fatalf("checkpoint after a failed commit: ok=%v err=%v", ok, err)
		}
		n := 0
		for _, err := range st.Invoices(ctx, ksefsync.Filter{}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 0 {
			t.Fatalf("%d invoices stored by a failed commit", n)
		}
		var good iter.Seq2[*ksefsync.Invoice, error] = func(yield func(*ksefsync.Invoice, error) bool) {
			for i := range 5 {
				if !yield(f.Invoice(key.Context, key.SubjectType, i), nil) {
					return
				}
			}
		}
		r, err := s.Commit(ctx, ksefsync.Checkpoint{From: Base.Add(time.Hour)}, good)
		if err != nil || r.New != 5 || r.Seen != 5 {
			t.Fatalf("commit: %+v, %v", r, err)
		}
		r, err = s.Commit(ctx, ksefsync.Checkpoint{From: Base.Add(2 * time.Hour)}, good)
		if err != nil || r.New != 0 || r.Seen != 5 {
			t.Fatalf("commit again: %+v, %v (want 0 new of 5)", r, err)
		}
		cp, ok, err := s.Checkpoint(ctx)
		if err != nil || !ok || !cp.From.Equal(Base.Add(2*time.Hour)) {
			t.Fatalf("checkpoint %v %v %v", cp, ok, err)
		}
	})

	t.Run("ClaimIsExclusive", func(t *testing.T) {
		st := open(t, "claim")
		key := ksefsync.StreamKey{Context: "5265877635", SubjectType: ksef.InvoiceQuerySubjectTypeSubject2}
		a, err := st.Claim(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Claim(ctx, key); !errors.Is(err, ksefsync.ErrStreamBusy) {
			t.Fatalf("second claim: %v, want ErrStreamBusy", err)
		}
		other, err := st.Claim(ctx, ksefsync.StreamKey{Context: key.Context, SubjectType: ksef.InvoiceQuerySubjectTypeSubject1})
		if err != nil {
			t.Fatalf("claim of another stream: %v", err)
		}
		other.Release()
		a.Release()
		b, err := st.Claim(ctx, key)
		if err != nil {
			t.Fatalf("claim after release: %v", err)
		}
		b.Release()
	})

	t.Run("BackfillKeepsIncrementalCheckpoint", func(t *testing.T) {
		st := open(t, "backfill")
		f := NewFake(60, 8)
		f.Step = 36 * time.Hour // 20 instants of 3 invoices over 30 days
		f.Base = Base.Add(-30 * 24 * time.Hour)
		// incremental sync from the middle of the history
		mid := f.date(30)
		e, _ := ksefsync.NewEngine(st, Sources(f), ksefsync.Options{Start: mid, Window: 7 * 24 * time.Hour})
		if err := e.Run(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		before, err := st.Checkpoints(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s := e.Backfill(ctx, f.Base.Add(-time.Hour), time.Time{})
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if s.New() != 8*30 {
			t.Fatalf("backfill stored %d new invoices, want %d", s.New(), 8*30)
		}
		for _, r := range s.Streams {
			if r.Packages < 5 {
				t.Fatalf("backfill %v in %d packages: windows of 7 days over 45 days expected", r.Key, r.Packages)
			}
		}
		RequireComplete(t, st, f)
		after, err := st.Checkpoints(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range before {
			found := false
			for _, a := range after {
				if a.Key == b.Key {
					found = true
					if !a.Checkpoint.From.Equal(b.Checkpoint.From) || !a.Checkpoint.HWM.Equal(b.Checkpoint.HWM) {
						t.Fatalf("backfill moved the incremental checkpoint of %v: %v → %v", b.Key, b.Checkpoint, a.Checkpoint)
					}
				}
			}
			if !found {
				t.Fatalf("checkpoint %v gone", b.Key)
			}
		}
		if len(after) != 16 {
			t.Fatalf("%d checkpoints after the backfill, want 8 incremental + 8 backfill", len(after))
		}
	})

	t.Run("RateLimitWaitsFullRetryAfter", func(t *testing.T) {
		st := open(t, "ratelimit")
		f := NewFake(20, 6)
		f.RateLimitEvery = 3
		f.RetryAfter = 20 * time.Millisecond
		var logs lockedBuffer
		e, _ := ksefsync.NewEngine(st, Sources(f), ksefsync.Options{Start: start, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		t0 := time.Now()
		if err := e.Run(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		RequireComplete(t, st, f)
		limited := 0
		for _, l := range f.Log() {
			if l.Limited {
				limited++
			}
		}
		waits := strings.Count(logs.String(), "waiting the full Retry-After")
		if limited == 0 || waits != limited {
			t.Fatalf("%d answers 429, %d waits announced", limited, waits)
		}
		if !strings.Contains(logs.String(), "wait=20ms") {
			t.Fatalf("the wait does not name the Retry-After:\n%s", logs.String())
		}
		if el := time.Since(t0); el < time.Duration(limited/2)*f.RetryAfter {
			t.Fatalf("%d waits of %v took %v", limited, f.RetryAfter, el)
		}
	})

	t.Run("Reader", func(t *testing.T) {
		st := open(t, "reader")
		f := NewFake(10, 100)
		e, _ := ksefsync.NewEngine(st, Sources(f), ksefsync.Options{Start: start})
		if err := e.Run(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		c := f.Contexts[0]
		inv := f.Invoice(c, ksef.InvoiceQuerySubjectTypeSubject1, 3)
		got, err := st.Invoice(ctx, inv.Metadata.KSeFNumber)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.XML) != string(inv.XML) || got.SellerNIP != c || got.Currency != "PLN" ||
			got.Net != ksefsync.MinorUnits(inv.Metadata.NetAmount) || !got.PermanentStorageDate.Equal(inv.Metadata.PermanentStorageDate) ||
			got.IssueDate != inv.Metadata.IssueDate || !strings.Contains(string(got.Metadata), inv.Metadata.KSeFNumber) {
			t.Fatalf("stored invoice differs: %+v", got)
		}
		if _, err := st.Invoice(ctx, "0000000000-20260101-000000-000000-00"); !errors.Is(err, ksefsync.ErrNotFound) {
			t.Fatalf("unknown number: %v", err)
		}
		n := 0
		var sum int64
		for r, err := range st.Invoices(ctx, ksefsync.Filter{SellerNIP: c}) {
			if err != nil {
				t.Fatal(err)
			}
			if r.SellerNIP != c {
				t.Fatalf("filter by seller returned %s", r.SellerNIP)
			}
			n++
			sum += r.Gross
		}
		if n == 0 {
			t.Fatal("no invoices of the seller")
		}
		tot, err := st.Totals(ctx, ksefsync.Filter{SellerNIP: c})
		if err != nil {
			t.Fatal(err)
		}
		if len(tot) != 1 || tot[0].Count != int64(n) || tot[0].Gross != sum || tot[0].Currency != "PLN" {
			t.Fatalf("totals %+v, want %d invoices, gross %d", tot, n, sum)
		}
		lim := 0
		for _, err := range st.Invoices(ctx, ksefsync.Filter{Limit: 3}) {
			if err != nil {
				t.Fatal(err)
			}
			lim++
		}
		if lim != 3 {
			t.Fatalf("limit 3 listed %d", lim)
		}
	})

	t.Run("Search", func(t *testing.T) {
		st, ok := open(t, "search").(ksefsync.Searcher)
		if !ok {
			t.Skip("the store is not a ksefsync.Searcher")
		}
		testSearch(t, st.(ksefsync.Store), st)
	})
}

// testSearch checks Search and LastSync over four invoices stored in three
// commits, the last two close together (well under a second, even on a
// loaded machine) and two seconds after the first.
func testSearch(t *testing.T, st ksefsync.Store, s ksefsync.Searcher) {
	ctx := t.Context()
	if at, err := s.LastSync(ctx, time.Minute); err != nil || !at.IsZero() {
		t.Fatalf("LastSync of an empty store: %v, %v", at, err)
	}
	const a, b = "5265877635", "7773152431"
	commitInvoices(t, st, a, searchMeta("N-01", a, b, "2026-01-10", "PLN", 100, "Vat"), searchMeta("N-02", a, b, "2026-02-10", "EUR", 250.5, "Vat"))
	first := time.Now()
	time.Sleep(2 * time.Second)
	commitInvoices(t, st, a, searchMeta("N-03", b, a, "2026-02-20", "PLN", 99.99, "Kor"))
	commitInvoices(t, st, a, searchMeta("N-04", b, a, "2026-03-01", "pln", 1000, "Vat"))

	nums := func(f ksefsync.SearchFilter) []string {
		var out []string
		for r, err := range s.Search(ctx, f) {
			if err != nil {
				t.Fatal(err)
			}
			if r.StoredAt.IsZero() {
				t.Errorf("%s: no store time", r.KSeFNumber)
			}
			out = append(out, r.KSeFNumber)
		}
		return out
	}
	i64 := func(v int64) *int64 { return &v }
	for _, tc := range []struct {
		f    ksefsync.SearchFilter
		want []string
	}{
		{ksefsync.SearchFilter{}, []string{"N-01", "N-02", "N-03", "N-04"}},
		{ksefsync.SearchFilter{NIP: a}, []string{"N-01", "N-02", "N-03", "N-04"}},
		{ksefsync.SearchFilter{NIP: a, Role: "seller"}, []string{"N-01", "N-02"}},
		{ksefsync.SearchFilter{NIP: a, Role: "buyer"}, []string{"N-03", "N-04"}},
		{ksefsync.SearchFilter{IssuedFrom: "2026-02-10", IssuedTo: "2026-02-20"}, []string{"N-02", "N-03"}},
		{ksefsync.SearchFilter{MinGross: i64(9999), MaxGross: i64(25050)}, []string{"N-01", "N-02", "N-03"}},
		{ksefsync.SearchFilter{Currency: "pln"}, []string{"N-01", "N-03", "N-04"}},
		{ksefsync.SearchFilter{InvoiceType: "kor"}, []string{"N-03"}},
		{ksefsync.SearchFilter{NIP: b, Role: "seller", Currency: "PLN", IssuedFrom: "2026-02-21"}, []string{"N-04"}},
		{ksefsync.SearchFilter{StoredSince: first.Add(time.Second)}, []string{"N-03", "N-04"}},
	} {
		if got := nums(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("Search(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}
	// With a one-second gap the last two commits are the last run.
	last, err := s.LastSync(ctx, time.Second)
	if err != nil || !last.After(first) {
		t.Errorf("LastSync(1s) = %v, %v; want after %v", last, err, first)
	}
	if got := nums(ksefsync.SearchFilter{StoredSince: last}); !slices.Equal(got, []string{"N-03", "N-04"}) {
		t.Errorf("stored in the last run: %v", got)
	}
	all, err := s.LastSync(ctx, time.Hour)
	if err != nil || all.After(first) {
		t.Errorf("LastSync(1h) = %v, %v; want the first commit", all, err)
	}
}

// commitInvoices stores invoices in one commit of the Subject1 stream of
// ctxNIP.
func commitInvoices(t *testing.T, st ksefsync.Store, ctxNIP string, invs ...*ksefsync.Invoice) {
	t.Helper()
	s, err := st.Claim(t.Context(), ksefsync.StreamKey{Context: ctxNIP, SubjectType: ksef.InvoiceQuerySubjectTypeSubject1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	if _, _, err := s.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	seq := func(yield func(*ksefsync.Invoice, error) bool) {
		for _, inv := range invs {
			if !yield(inv, nil) {
				return
			}
		}
	}
	if _, err := s.Commit(t.Context(), ksefsync.Checkpoint{From: time.Now()}, seq); err != nil {
		t.Fatal(err)
	}
}

// searchMeta is an invoice with the metadata the search filters read.
func searchMeta(num, seller, buyer, issue, cur string, gross float64, typ ksef.InvoiceType) *ksefsync.Invoice {
	var m ksef.InvoiceMetadata
	m.KSeFNumber, m.InvoiceNumber, m.IssueDate, m.Currency, m.GrossAmount, m.InvoiceType = num, "FV/"+num[len(num)-2:], issue, cur, gross, typ
	m.Seller.Nip = seller
	m.Buyer.Identifier.Value = buyer
	m.PermanentStorageDate = time.Now()
	return &ksefsync.Invoice{Metadata: m, XML: []byte("<Faktura/>")}
}
