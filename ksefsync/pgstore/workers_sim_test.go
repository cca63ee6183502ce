package pgstore_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/ksefsynctest"
	"github.com/ksef2/ksef/ksefsync/pgstore"
	"github.com/ksef2/ksef/ksefsync/pgstore/pgstoretest"
)

// simRequest is one export-related request as the simulator received it.
type simRequest struct {
	start, end time.Time
	op         string // "export", "status" or "part"
	ref        string // export reference number (lower case)
	context    string // context-identifier-value of the access token
	authRef    string // auth-reference-number of the access token: the worker's login
	subject    string // filters.subjectType of an export request
	status     int
}

// simRecorder is simulator middleware that logs every export request
// (POST /invoices/exports), status poll (GET /invoices/exports/{ref}) and
// part download (GET of the pre-signed /storage/exports/{ref}/{part}).
type simRecorder struct {
	mu   sync.Mutex
	reqs []simRequest
	all  int
}

// tokenClaims reads the claims of the simulator's access token on r
// (the test's view of what the simulator sees; the signature was the
// simulator's to check).
func tokenClaims(r *http.Request) (ctxValue, authRef string) {
	_, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok {
		return "", ""
	}
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		return "", ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", ""
	}
	var c struct {
		Context string `json:"context-identifier-value"`
		AuthRef string `json:"auth-reference-number"`
	}
	json.Unmarshal(b, &c)
	return c.Context, c.AuthRef
}

type bodyRecorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *bodyRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *bodyRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len() < 4096 {
		r.body.Write(p)
	}
	return r.ResponseWriter.Write(p)
}

func (s *simRecorder) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.all++
		s.mu.Unlock()
		req := simRequest{start: time.Now()}
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v2/invoices/exports":
			req.op = "export"
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			var body struct {
				Filters struct {
					SubjectType string `json:"subjectType"`
				} `json:"filters"`
			}
			json.Unmarshal(b, &body)
			req.subject = body.Filters.SubjectType
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v2/invoices/exports/"):
			req.op = "status"
			req.ref = strings.ToLower(strings.TrimPrefix(r.URL.Path, "/v2/invoices/exports/"))
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/storage/exports/"):
			req.op = "part"
			req.ref, _, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/storage/exports/"), "/")
			req.ref = strings.ToLower(req.ref)
		default:
			next.ServeHTTP(w, r)
			return
		}
		req.context, req.authRef = tokenClaims(r)
		rec := &bodyRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		req.end = time.Now()
		req.status = rec.status
		if req.op == "export" && rec.status/100 == 2 {
			var resp ksef.ExportInvoicesResponse
			json.Unmarshal(rec.body.Bytes(), &resp)
			req.ref = strings.ToLower(resp.ReferenceNumber)
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, req)
		s.mu.Unlock()
	})
}

// simFetch is one fetch of a stream: an export with its status polls and
// part downloads, from the export request's start to the last response.
type simFetch struct {
	stream     string
	worker     int
	start, end time.Time
}

// fetches groups the log into fetches: each export request names its
// stream (the token's context, the filters' subject type) and worker (the
// token's login); its status polls and part downloads follow by reference
// number and must come from the same login and context.
func (s *simRecorder) fetches(t *testing.T, workerOf map[string]int) ([]simFetch, map[string]int) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	byRef := map[string]*simFetch{}
	ctxOf := map[string]string{}
	var out []*simFetch
	ops := map[string]int{}
	for _, r := range s.reqs {
		ops[r.op]++
		if r.op != "export" {
			continue
		}
		w, ok := workerOf[r.authRef]
		if !ok || r.context == "" || r.subject == "" {
			t.Fatalf("export request not attributable: context %q, subject %q, known login %v", r.context, r.subject, ok)
		}
		f := &simFetch{stream: r.context + "/" + r.subject, worker: w, start: r.start, end: r.end}
		out = append(out, f)
		if r.ref != "" {
			byRef[r.ref] = f
			ctxOf[r.ref] = r.context
		}
	}
	for _, r := range s.reqs {
		if r.op == "export" {
			continue
		}
		f, ok := byRef[r.ref]
		if !ok {
			t.Fatalf("%s request for an export never requested (status %d)", r.op, r.status)
		}
		if r.op == "status" {
			if w, ok := workerOf[r.authRef]; !ok || w != f.worker || r.context != ctxOf[r.ref] {
				t.Fatalf("status poll of a %s export by worker %d from context %s, worker %d (known login %v)", f.stream, f.worker, r.context, w, ok)
			}
		}
		if r.start.Before(f.start) {
			f.start = r.start
		}
		if r.end.After(f.end) {
			f.end = r.end
		}
	}
	res := make([]simFetch, len(out))
	for i, f := range out {
		res[i] = *f
	}
	return res, ops
}

// TestThreeWorkersSimulator runs three workers at once, each with its own
// logins, engine and connection pool (as three processes would), on one
// PostgreSQL store, syncing four contexts (every subject type: 16 streams)
// from the simulator over HTTP through ExportSource. The simulator's own
// request log proves that no stream was fetched by two workers at once:
// every export request is attributed to a stream by its access token's
// context and its filters' subject type, and to a worker by the token's
// login; its status polls and part downloads follow by reference number;
// per stream, a fetch overlaps only the one before it and only when both
// are the same worker's (which fetches the next package while it stores
// one). Every stream is fetched, and the store ends with exactly the
// simulator's invoices.
func TestThreeWorkersSimulator(t *testing.T) {
	ctx := t.Context()
	dsn := pgstoretest.New(t, testenv.PostgresDSN(t)).DSN("simworkers")
	rec := &simRecorder{}
	sim, base := simtest.Start(t, ksefsim.WithoutRateLimits(), ksefsim.WithMiddleware(rec.middleware),
		ksefsim.WithExportLimits(ksefsim.ExportLimits{MaxInvoices: 10}))
	c, err := ksef.NewClient(ksef.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	const nContexts, perContext, nWorkers = 4, 40, 3
	var ids []*ksefsim.TestIdentity
	for range nContexts {
		id, err := sim.NewTestIdentity()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// context i sells to context i+1: every context has invoices as
	// Subject1 and as Subject2
	now := sim.Now()
	sold := map[string][]string{}
	bought := map[string][]string{}
	for i, id := range ids {
		buyer := ids[(i+1)%nContexts].NIP
		res, err := sim.SeedInvoices(ksefsim.SeedParams{Count: perContext + 5*i, SellerNIP: id.NIP, BuyerNIP: buyer,
			From: now.Add(-10 * 24 * time.Hour), To: now.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		sold[id.NIP] = res.KSeFNumbers
		bought[buyer] = res.KSeFNumbers
	}
	wait := &ksef.WaitOptions{MinDelay: 2 * time.Millisecond, MaxDelay: 20 * time.Millisecond}
	workerOf := map[string]int{}
	engines := make([]*ksefsync.Engine, nWorkers)
	for w := range nWorkers {
		var sources []ksefsync.ContextSource
		for _, id := range ids {
			a, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer,
				&ksef.LoginParams{Wait: wait})
			if err != nil {
				t.Fatal(err)
			}
			workerOf[a.ReferenceNumber] = w
			sources = append(sources, ksefsync.ContextSource{Context: id.NIP,
				Source: &ksefsync.ExportSource{Invoices: a.Invoices, TempDir: t.TempDir(), Wait: wait}})
		}
		st, err := pgstore.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		engines[w], err = ksefsync.NewEngine(st, sources, ksefsync.Options{Start: now.Add(-30 * 24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
	}
	begin := time.Now()
	sums := make([]*ksefsync.Summary, nWorkers)
	var wg sync.WaitGroup
	for w, e := range engines {
		wg.Go(func() { sums[w] = e.Run(ctx) })
	}
	wg.Wait()
	elapsed := time.Since(begin)
	busy := 0
	for w, s := range sums {
		if err := s.Err(); err != nil {
			t.Fatalf("worker %d: %v", w, err)
		}
		for _, r := range s.Streams {
			if r.Busy {
				busy++
			}
		}
	}

	// the simulator's log: per stream, fetches ordered by start overlap
	// only the previous one of the same worker
	fetches, ops := rec.fetches(t, workerOf)
	if ops["status"] == 0 || ops["part"] == 0 {
		t.Fatalf("the log holds %d status polls and %d part downloads: the fetches were not all seen", ops["status"], ops["part"])
	}
	byStream := map[string][]simFetch{}
	for _, f := range fetches {
		byStream[f.stream] = append(byStream[f.stream], f)
	}
	workersSeen := map[int]bool{}
	handedOver := 0 // streams fetched by more than one worker, one after another
	for s, fs := range byStream {
		sort.Slice(fs, func(i, j int) bool { return fs[i].start.Before(fs[j].start) })
		ws := map[int]bool{}
		for i, f := range fs {
			ws[f.worker] = true
			workersSeen[f.worker] = true
			// one worker fetches the next package while it stores one:
			// two fetches of one worker may overlap, never two workers'
			// nor more than two
			if i > 0 && f.start.Before(fs[i-1].end) && f.worker != fs[i-1].worker ||
				i > 1 && f.start.Before(fs[i-2].end) {
				t.Fatalf("stream %s fetched by workers %d and %d at once: %v–%v and %v–%v", s,
					fs[i-1].worker, f.worker, fs[i-1].start.Format(time.StampMicro), fs[i-1].end.Format(time.StampMicro),
					f.start.Format(time.StampMicro), f.end.Format(time.StampMicro))
			}
		}
		if len(ws) > 1 {
			handedOver++
		}
	}
	subjects := ksefsync.SubjectTypes
	for _, id := range ids {
		for _, st := range subjects {
			if len(byStream[id.NIP+"/"+string(st)]) == 0 {
				t.Errorf("stream %s/%s never fetched", id.NIP, st)
			}
		}
	}
	if len(byStream) != nContexts*len(subjects) {
		t.Fatalf("%d streams fetched, want %d", len(byStream), nContexts*len(subjects))
	}
	if len(workersSeen) < 2 {
		t.Fatalf("only %d worker(s) fetched anything: the workers did not share the streams", len(workersSeen))
	}
	if busy == 0 {
		t.Fatal("no worker ever found a stream busy: the workers did not compete")
	}

	// the store holds exactly the simulator's invoices, none twice
	rd := mustOpen(t, dsn)
	stored := 0
	for _, id := range ids {
		want := map[ksef.InvoiceQuerySubjectType][]string{
			ksef.InvoiceQuerySubjectTypeSubject1: sold[id.NIP],
			ksef.InvoiceQuerySubjectTypeSubject2: bought[id.NIP],
		}
		for _, st := range subjects {
			got := ksefsynctest.StoredNumbers(t, rd, ksefsync.Filter{Context: id.NIP, SubjectType: st})
			w := slices.Sorted(slices.Values(want[st]))
			if !slices.Equal(got, w) {
				t.Fatalf("%s/%s: store holds %d invoices (%d distinct), the simulator %d", id.NIP, st, len(got), len(slices.Compact(slices.Clone(got))), len(w))
			}
			stored += len(got)
		}
	}
	fmt.Printf("three workers on one PostgreSQL store from the simulator: %d exports, %d status polls, %d part downloads (of %d requests) in %d fetches over %d streams, no two workers at once on one stream (simulator's log); %d workers fetched, %d streams fetched by more than one; %d busy skips; %d stream invoices stored, exactly the simulator's, every XML matching its hash; %v\n",
		ops["export"], ops["status"], ops["part"], rec.all, len(fetches), len(byStream), len(workersSeen), handedOver, busy, stored, elapsed.Round(time.Millisecond))
}
