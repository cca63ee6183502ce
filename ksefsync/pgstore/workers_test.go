package pgstore_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/ksefsynctest"
	"github.com/ksef2/ksef/ksefsync/pgstore"
	"github.com/ksef2/ksef/ksefsync/pgstore/pgstoretest"
)

// TestThreeWorkers runs three workers, each with its own connection pool
// (as separate processes would), on one database and one invoice source.
// The source's request log proves that no stream was fetched by two at
// once: per stream, in the order they began, the fetches never go back to
// an earlier window, two that overlap in time ask for different windows
// (two workers on one stream at once would ask for the same one), and at
// most two are under way at once (a worker fetches the next package while
// it stores one).
func TestThreeWorkers(t *testing.T) {
	ctx := context.Background()
	dsn := pgstoretest.New(t, testenv.PostgresDSN(t)).DSN("workers")
	f := ksefsynctest.NewFake(120, 15)
	f.Contexts = append(f.Contexts, "1111111111", "2222222222")
	f.Delay = 200 * time.Microsecond
	var wg sync.WaitGroup
	sums := make([]*ksefsync.Summary, 3)
	for w := range 3 {
		st, err := pgstore.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		e, err := ksefsync.NewEngine(st, ksefsynctest.Sources(f), ksefsync.Options{Start: ksefsynctest.Base.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[w] = e.Run(ctx)
		}()
	}
	wg.Wait()
	busy := 0
	for w, s := range sums {
		if err := s.Err(); err != nil {
			t.Fatalf("worker %d: %v", w, err)
		}
		did := 0
		for _, r := range s.Streams {
			if r.Busy {
				busy++
			} else {
				did++
			}
		}
		t.Logf("worker %d synced %d streams, found %d busy", w, did, len(s.Streams)-did)
	}
	// the request log: per stream, in the order they began, the fetches
	// never go back to an earlier window; two that overlap in time ask for
	// different windows (a worker fetches the next package while it
	// commits one; two workers syncing one stream at once would ask for
	// the same window), and never three are under way at once
	byStream := map[string][]ksefsynctest.Fetch{}
	for _, l := range f.Log() {
		if !l.Limited {
			byStream[l.Stream] = append(byStream[l.Stream], l)
		}
	}
	fetches := 0
	for s, ls := range byStream {
		sort.Slice(ls, func(i, j int) bool { return ls[i].Start.Before(ls[j].Start) })
		for i := 1; i < len(ls); i++ {
			if ls[i].From.Before(ls[i-1].From) {
				t.Fatalf("stream %s: window from %v fetched after the one from %v", s, ls[i].From, ls[i-1].From)
			}
			if ls[i].Start.Before(ls[i-1].End) && !ls[i].From.After(ls[i-1].From) {
				t.Fatalf("stream %s: window from %v fetched twice at once (%v–%v and %v–%v)", s, ls[i].From,
					ls[i-1].Start, ls[i-1].End, ls[i].Start, ls[i].End)
			}
			if i > 1 && ls[i].Start.Before(ls[i-2].End) {
				t.Fatalf("stream %s: three fetches under way at once (%v–%v, then %v)", s, ls[i-2].Start, ls[i-2].End, ls[i].Start)
			}
		}
		fetches += len(ls)
	}
	if busy == 0 {
		t.Fatal("no worker ever found a stream busy: the workers did not compete")
	}
	c := ksefsynctest.RequireComplete(t, mustOpen(t, dsn), f)
	fmt.Printf("three workers on one PostgreSQL store: %d fetches over %d streams, no window twice at once; %d busy skips; %v\n", fetches, len(byStream), busy, c)
}

func mustOpen(t *testing.T, dsn string) ksefsync.Store {
	st, err := pgstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
