package ksefsync_test

import (
	"context"
	"errors"
	"iter"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/ksefsynctest"
	"github.com/ksef2/ksef/ksefsync/sqlitestore"
)

func openSQLite(t *testing.T) ksefsync.Store {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Watch picks up invoices that arrive between its rounds and stops with
// its context.
func TestWatch(t *testing.T) {
	st := openSQLite(t)
	f := ksefsynctest.NewFake(30, 10)
	f.SetVisible(9)
	e, err := ksefsync.NewEngine(st, ksefsynctest.Sources(f), ksefsync.Options{Start: ksefsynctest.Base.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var mu sync.Mutex
	var news []int
	err = e.Watch(ctx, 20*time.Millisecond, func(s *ksefsync.Summary) {
		if s.Err() != nil {
			t.Error(s.Err())
		}
		mu.Lock()
		defer mu.Unlock()
		news = append(news, s.New())
		switch len(news) {
		case 1:
			f.SetVisible(21) // more invoices arrive
		case 3:
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(news) != 3 || news[0] != 8*9 || news[1] != 8*12 || news[2] != 0 {
		t.Fatalf("new invoices per round %v, want [72 96 0]", news)
	}
}

// A truncated package whose last date is its window's start cannot move
// the stream on (more invoices at one instant than a package holds): the
// stream stops with an error instead of looping.
func TestTruncatedWithoutProgress(t *testing.T) {
	st := openSQLite(t)
	f := ksefsynctest.NewFake(30, 5)
	f.SameInstant = 10 // 10 invoices per instant, packages of 5
	e, _ := ksefsync.NewEngine(st, ksefsynctest.Sources(f), ksefsync.Options{
		Start: ksefsynctest.Base, SubjectTypes: []ksef.InvoiceQuerySubjectType{ksef.InvoiceQuerySubjectTypeSubject1}})
	s := e.Run(t.Context())
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "no progress") {
		t.Fatalf("err %v, want no progress", err)
	}
}

func TestNewEngineChecks(t *testing.T) {
	st := openSQLite(t)
	if _, err := ksefsync.NewEngine(nil, nil, ksefsync.Options{}); err == nil {
		t.Error("no store accepted")
	}
	if _, err := ksefsync.NewEngine(st, nil, ksefsync.Options{}); err == nil {
		t.Error("no contexts accepted")
	}
	if _, err := ksefsync.NewEngine(st, []ksefsync.ContextSource{{Context: "1"}}, ksefsync.Options{}); err == nil {
		t.Error("a context without a source accepted")
	}
}

func TestRetryAfter(t *testing.T) {
	if d, ok := ksefsync.RetryAfter(&ksef.APIError{StatusCode: 429, RetryAfter: 90 * time.Second}); !ok || d != 90*time.Second {
		t.Errorf("429: %v %v", d, ok)
	}
	if d, ok := ksefsync.RetryAfter(&ksef.PacingError{Group: ksef.GroupInvoiceExport, RetryAfter: 40 * time.Minute}); !ok || d != 40*time.Minute {
		t.Errorf("pacing: %v %v", d, ok)
	}
	if _, ok := ksefsync.RetryAfter(&ksef.APIError{StatusCode: 500}); ok {
		t.Error("500 taken for a rate limit")
	}
}

// A Retry-After longer than MaxRateLimitWait ends the stream with an error
// naming the wait, without waiting.
func TestRateLimitTooLong(t *testing.T) {
	st := openSQLite(t)
	f := ksefsynctest.NewFake(5, 10)
	f.RateLimitEvery = 1
	f.RetryAfter = time.Hour
	e, _ := ksefsync.NewEngine(st, ksefsynctest.Sources(f), ksefsync.Options{Start: ksefsynctest.Base, MaxRateLimitWait: time.Minute,
		SubjectTypes: []ksef.InvoiceQuerySubjectType{ksef.InvoiceQuerySubjectTypeSubject1}})
	t0 := time.Now()
	err := e.Run(t.Context()).Err()
	if err == nil || !errors.Is(err, ksef.ErrRateLimited) || !strings.Contains(err.Error(), "1h0m0s") || time.Since(t0) > 10*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(t0))
	}
}

func TestWatchNeedsInterval(t *testing.T) {
	e, _ := ksefsync.NewEngine(openSQLite(t), ksefsynctest.Sources(ksefsynctest.NewFake(1, 1)), ksefsync.Options{})
	if err := e.Watch(t.Context(), 0, nil); err == nil {
		t.Error("Watch with interval 0 accepted")
	}
}

// trackingSource wraps a source and counts the packages fetched and those
// whose iteration ended (released), and the most packages held at once.
type trackingSource struct {
	src                    ksefsync.Source
	mu                     sync.Mutex
	fetched, released, max int
}

func (s *trackingSource) Fetch(ctx context.Context, w ksefsync.Window) (*ksefsync.Package, error) {
	pkg, err := s.src.Fetch(ctx, w)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.fetched++
	s.max = max(s.max, s.fetched-s.released)
	s.mu.Unlock()
	inner := pkg.Invoices
	pkg.Invoices = func(yield func(*ksefsync.Invoice, error) bool) {
		defer func() {
			s.mu.Lock()
			s.released++
			s.mu.Unlock()
		}()
		inner(yield)
	}
	return pkg, nil
}

// failingStore fails the commit of its stream's second package, before
// reading it.
type failingStore struct {
	ksefsync.Store
}

type failingStream struct {
	ksefsync.Stream
	commits int
}

func (s failingStore) Claim(ctx context.Context, key ksefsync.StreamKey) (ksefsync.Stream, error) {
	st, err := s.Store.Claim(ctx, key)
	if err != nil {
		return nil, err
	}
	return &failingStream{Stream: st}, nil
}

var errCommit = errors.New("commit refused")

func (s *failingStream) Commit(ctx context.Context, next ksefsync.Checkpoint, invoices iter.Seq2[*ksefsync.Invoice, error]) (ksefsync.CommitResult, error) {
	s.commits++
	if s.commits == 2 {
		return ksefsync.CommitResult{}, errCommit
	}
	return s.Stream.Commit(ctx, next, invoices)
}

// The engine fetches a stream's next package while it commits one: never
// more than two packages are held at once, and every package fetched is
// released, also the one fetched ahead when a commit fails and the one
// whose commit failed before reading it.
func TestPrefetchReleasesPackages(t *testing.T) {
	for _, fail := range []bool{false, true} {
		f := ksefsynctest.NewFake(100, 10)
		f.Contexts = f.Contexts[:1]
		src := &trackingSource{src: f}
		var st ksefsync.Store = openSQLite(t)
		if fail {
			st = failingStore{st}
		}
		e, err := ksefsync.NewEngine(st, []ksefsync.ContextSource{{Context: f.Contexts[0], Source: src}},
			ksefsync.Options{Start: ksefsynctest.Base.Add(-time.Hour), SubjectTypes: []ksef.InvoiceQuerySubjectType{ksef.InvoiceQuerySubjectTypeSubject1}})
		if err != nil {
			t.Fatal(err)
		}
		s := e.Run(t.Context())
		if fail != errors.Is(s.Err(), errCommit) {
			t.Fatalf("fail=%v: run error %v", fail, s.Err())
		}
		src.mu.Lock()
		fetched, released, most := src.fetched, src.released, src.max
		src.mu.Unlock()
		if fetched != released || most > 2 || fetched == 0 {
			t.Fatalf("fail=%v: %d packages fetched, %d released, at most %d held at once", fail, fetched, released, most)
		}
		if !fail && (most != 2 || s.Streams[0].Packages < 10) {
			t.Fatalf("%d packages committed, at most %d held at once: the next package was not fetched ahead", s.Streams[0].Packages, most)
		}
		if fail && (s.Streams[0].Packages != 1 || fetched != 3) {
			t.Fatalf("failed commit: %d packages committed, %d fetched; want 1 and 3 (the failed one and the one ahead)", s.Streams[0].Packages, fetched)
		}
	}
}
