package ksef_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsim"
)

// batchOf returns n schema-valid FA(3) invoices of seller nip named
// "inv-<i>.xml", numbered prefix-<i>.
func batchOf(t testing.TB, nip, prefix string, n int) []ksef.BatchInvoice {
	t.Helper()
	out := make([]ksef.BatchInvoice, n)
	for i := range out {
		out[i] = ksef.BatchInvoice{Name: fmt.Sprintf("inv-%d.xml", i), Data: fa3Invoice(t, nip, fmt.Sprintf("%s-%d", prefix, i))}
	}
	return out
}

func seqOf(invs []ksef.BatchInvoice) iter.Seq[ksef.BatchInvoice] {
	return func(yield func(ksef.BatchInvoice) bool) {
		for _, inv := range invs {
			if !yield(inv) {
				return
			}
		}
	}
}

func isPartUpload(r *http.Request) bool {
	return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/storage/batch/")
}

// results collects the results of a waited-for batch session by entry
// name.
func results(t *testing.T, bs *ksef.BatchSession) map[string]ksef.BatchResult {
	t.Helper()
	out := map[string]ksef.BatchResult{}
	for r, err := range bs.Results(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := out[r.Entry.Name]; dup {
			t.Fatalf("entry %s reported twice", r.Entry.Name)
		}
		out[r.Entry.Name] = r
	}
	return out
}

// TestE2EBatchSession is workflows §E 41 and 42: a ZIP and a TarGz
// package, split into several parts (and one part), uploaded in parallel
// to the pre-signed URLs with exactly the returned method and headers and
// no Authorization header (201 each), closed (204), processed (200);
// every invoice's status is tied back to its file by name and hash, an
// invalid invoice is rejected on its own (430) without sinking the batch,
// invoicingDate is the session's opening, and the UPO pages are listed.
func TestE2EBatchSession(t *testing.T) {
	for _, tc := range []struct {
		name        string
		compression ksef.CompressionType
		partSize    int64
		wantParts   int // at least
	}{
		{"zip several parts", ksef.CompressionTypeZip, 2000, 2},
		{"targz several parts", ksef.CompressionTypeTarGz, 2000, 2},
		{"zip one part", "", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, c, tp, _ := tapClient(t)
			id, a := loginSeal(t, sim, c)
			invs := batchOf(t, id.NIP, "B", 6)
			bad := []byte(strings.Replace(string(invs[2].Data), "<P_2>", "<P_2x>", 1))
			bad = []byte(strings.Replace(string(bad), "</P_2>", "</P_2x>", 1))
			invs[2].Data = bad
			var (
				mu   sync.Mutex
				prog []ksef.BatchProgress
			)
			bs, err := a.Sessions.SendBatch(t.Context(), ksef.FormFA3, seqOf(invs), &ksef.BatchParams{
				Compression: tc.compression, PartSize: tc.partSize, Parallelism: 2,
				OnProgress: func(p ksef.BatchProgress) { mu.Lock(); prog = append(prog, p); mu.Unlock() },
			})
			if err != nil {
				t.Fatal(err)
			}
			puts := tp.all(http.MethodPut, func(p string) bool { return strings.Contains(p, "/storage/batch/") })
			if len(puts) < tc.wantParts {
				t.Fatalf("%d part uploads, want at least %d", len(puts), tc.wantParts)
			}
			for _, e := range puts {
				if e.status != http.StatusCreated {
					t.Errorf("part upload %s: %d, want 201", e.path, e.status)
				}
				if e.header.Get("Authorization") != "" {
					t.Errorf("part upload %s carried an Authorization header", e.path)
				}
				if e.header.Get("x-ms-blob-type") != "BlockBlob" {
					t.Errorf("part upload %s: x-ms-blob-type %q, want the returned BlockBlob", e.path, e.header.Get("x-ms-blob-type"))
				}
			}
			last := prog[len(prog)-1]
			if last.PartsSent != len(puts) || last.PartsTotal != len(puts) || last.BytesSent != last.BytesTotal || last.BytesTotal == 0 {
				t.Errorf("last progress %+v, want all %d parts and bytes", last, len(puts))
			}
			if e := tp.last(t, http.MethodPost, "/close"); e.status != http.StatusNoContent {
				t.Fatalf("close: %d", e.status)
			}
			st, err := bs.Wait(t.Context(), fastWait)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status.Code != 200 || st.Upo == nil || len(st.Upo.Pages) == 0 {
				t.Fatalf("session status %+v", st.Status)
			}
			if *st.InvoiceCount != 6 || *st.SuccessfulInvoiceCount != 5 || *st.FailedInvoiceCount != 1 {
				t.Errorf("counts %d/%d/%d, want 6/5/1", *st.InvoiceCount, *st.SuccessfulInvoiceCount, *st.FailedInvoiceCount)
			}
			res := results(t, bs)
			if len(res) != 6 {
				t.Fatalf("%d results, want 6", len(res))
			}
			for i, inv := range invs {
				r := res[inv.Name]
				if r.Status == nil {
					t.Fatalf("%s: no status", inv.Name)
				}
				h := sha256.Sum256(inv.Data)
				if !bytes.Equal(r.Entry.InvoiceHash, h[:]) || !bytes.Equal(r.Status.InvoiceHash, h[:]) || r.Status.InvoiceFileName != inv.Name || r.Entry.Index != i {
					t.Errorf("%s: tied to entry %+v, status file %q", inv.Name, r.Entry, r.Status.InvoiceFileName)
				}
				if !r.Status.InvoicingDate.Equal(st.DateCreated) {
					t.Errorf("%s: invoicingDate %v, want the session's opening %v", inv.Name, r.Status.InvoicingDate, st.DateCreated)
				}
				if i == 2 {
					var se *ksef.StatusError
					if !errors.As(r.Err(), &se) || se.Code != 430 {
						t.Errorf("invalid invoice: %v, want status 430", r.Err())
					}
					continue
				}
				if r.Err() != nil || r.Status.KSeFNumber == "" || !strings.HasPrefix(r.Status.KSeFNumber, id.NIP+"-") {
					t.Errorf("%s: %v, KSeF number %q", inv.Name, r.Err(), r.Status.KSeFNumber)
				}
			}
			// The UPO of a batch invoice downloads like an online one.
			upo, err := a.Sessions.InvoiceUPOByKSeFNumber(t.Context(), bs.ReferenceNumber(), res["inv-0.xml"].Status.KSeFNumber)
			if err != nil || !bytes.Contains(upo, []byte(res["inv-0.xml"].Status.KSeFNumber)) {
				t.Errorf("invoice UPO: %v", err)
			}
			// The session is listed among the batch sessions, not the online ones.
			for typ, want := range map[ksef.SessionType]bool{ksef.SessionTypeBatch: true, ksef.SessionTypeOnline: false} {
				page, err := a.Sessions.List(t.Context(), &ksef.ListSessionsQuery{SessionType: typ, ReferenceNumber: bs.ReferenceNumber()})
				if err != nil {
					t.Fatal(err)
				}
				if got := len(page.Sessions) == 1; got != want {
					t.Errorf("listed among %s sessions: %v, want %v", typ, got, want)
				}
			}
		})
	}
}

// TestE2EBatchNegative is workflows §E 43-45 and 48 through the SDK: a
// part dropped once is uploaded again; a part that cannot be uploaded at
// all leaves a clear error and no close (the session ends as 440); a part
// the WAF refuses (413) fails at once and a close then gives 21205; an
// upload after the time budget gets 403, the close 21208 and the session
// 440; a declared part size that does not match gives 21157 at the close;
// a wrong IV breaks the archive (430); too many invoices for the session
// limit give 420; too many parts are refused locally before anything is
// sent.
func TestE2EBatchNegative(t *testing.T) {
	t.Run("part upload dropped once is retried", func(t *testing.T) {
		sim, c := simClient(t)
		id, a := loginSeal(t, sim, c)
		sim.Faults().Fail(ksefsim.PartUploadOperation, 1, ksefsim.Fault{Drop: true})
		bs, err := a.Sessions.SendBatch(t.Context(), ksef.FormFA3, seqOf(batchOf(t, id.NIP, "D", 3)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := sim.Calls(ksefsim.PartUploadOperation); n != 2 {
			t.Errorf("%d uploads, want 2 (one dropped, one retried)", n)
		}
		if st, err := bs.Wait(t.Context(), fastWait); err != nil || st.Status.Code != 200 {
			t.Fatalf("status %v, %v", st, err)
		}
	})
	t.Run("part upload fails for good", func(t *testing.T) {
		sim, c0 := simClient(t)
		c, err := ksef.NewClient(ksef.WithBaseURL(c0.BaseURL()), ksef.WithRetry(ksef.RetryPolicy{BaseDelay: time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		id, a := loginSeal(t, sim, c)
		sim.Faults().Fail(ksefsim.PartUploadOperation, 100, ksefsim.Fault{Status: http.StatusServiceUnavailable})
		_, err = a.Sessions.SendBatch(t.Context(), ksef.FormFA3, seqOf(batchOf(t, id.NIP, "F", 2)), nil)
		var ue *ksef.BatchUploadError
		if !errors.Is(err, ksef.ErrBatchUpload) || !errors.As(err, &ue) || ue.Part != 1 || ue.Attempts < 2 || ue.ReferenceNumber == "" {
			t.Fatalf("err = %v, want a BatchUploadError for part 1 after retries", err)
		}
		if strings.Contains(err.Error(), "sig=") || strings.Contains(err.Error(), "/storage/") {
			t.Errorf("error shows the pre-signed URL: %v", err)
		}
		if n := sim.Calls(ksef.OpBatchSessionClose.String()); n != 0 {
			t.Errorf("%d closes after a failed upload, want none", n)
		}
		sim.Faults().Clear()
		sim.Advance(21 * time.Minute)
		st, err := a.Sessions.Status(t.Context(), ue.ReferenceNumber)
		if err != nil || st.Status.Code != 440 {
			t.Fatalf("status after the budget: %+v, %v; want 440", st, err)
		}
	})
	t.Run("WAF refuses a part (413)", func(t *testing.T) {
		// Workflows §E 48: an undocumented 413 from the WAF fails the part
		// at once (not retried); the session is not closed by the SDK, and
		// a close then reports the missing part (21205).
		sim, c := simClient(t)
		id, a := loginSeal(t, sim, c)
		sim.Faults().Fail(ksefsim.PartUploadOperation, 1, ksefsim.Fault{Status: http.StatusRequestEntityTooLarge})
		_, err := a.Sessions.SendBatch(t.Context(), ksef.FormFA3, seqOf(batchOf(t, id.NIP, "W", 2)), nil)
		var ue *ksef.BatchUploadError
		if !errors.As(err, &ue) || ue.Attempts != 1 || !strings.Contains(err.Error(), "413") {
			t.Fatalf("err = %v, want a BatchUploadError after one 413", err)
		}
		if n := sim.Calls(ksef.OpBatchSessionClose.String()); n != 0 {
			t.Errorf("%d closes, want none", n)
		}
		wantAPIError(t, a.Sessions.CloseBatch(t.Context(), ue.ReferenceNumber), 400, 21205)
	})
	t.Run("upload after the time budget", func(t *testing.T) {
		sim, c, tp, _ := tapClient(t)
		id, a := loginSeal(t, sim, c)
		var once sync.Once
		tp.before = func(r *http.Request) {
			if isPartUpload(r) {
				once.Do(func() { sim.Advance(21 * time.Minute) })
			}
		}
		_, err := a.Sessions.SendBatch(t.Context(), ksef.FormFA3, seqOf(batchOf(t, id.NIP, "T", 2)), nil)
		var ue *ksef.BatchUploadError
		if !errors.As(err, &ue) || ue.Attempts != 1 {
			t.Fatalf("err = %v, want a BatchUploadError without retries (403)", err)
		}
		if e := tp.last(t, http.MethodPut, ".aes"); e.status != http.StatusForbidden {
			t.Errorf("late upload: %d, want 403", e.status)
		}
		wantAPIError(t, a.Sessions.CloseBatch(t.Context(), ue.ReferenceNumber), 400, 21208)
		st, err := a.Sessions.Status(t.Context(), ue.ReferenceNumber)
		if err != nil || st.Status.Code != 440 || len(st.Status.Details) == 0 || st.Status.Details[0] != "Przekroczono czas wysyłki" {
			t.Fatalf("status %+v, %v; want 440 Przekroczono czas wysyłki", st, err)
		}
	})
	t.Run("declared part size wrong", func(t *testing.T) {
		sim, c, tp, _ := tapClient(t)
		id, a := loginSeal(t, sim, c)
		tp.setEdit(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/sessions/batch") }, func(m map[string]any) {
			bf := m["batchFile"].(map[string]any)
			part := bf["fileParts"].([]any)[0].(map[string]any)
			n, _ := part["fileSize"].(interface{ Int64() (int64, error) }).Int64()
			part["fileSize"] = n + 16
			fs, _ := bf["fileSize"].(interface{ Int64() (int64, error) }).Int64()
			bf["fileSize"] = fs + 16
		})
		_, err := a.Sessions.SendBatch(t.Context(), ksef.FormFA3, seqOf(batchOf(t, id.NIP, "S", 2)), nil)
		wantAPIError(t, err, 400, 21157)
	})
	t.Run("wrong IV", func(t *testing.T) {
		sim, c, tp, _ := tapClient(t)
		id, a := loginSeal(t, sim, c)
		tp.setEdit(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/sessions/batch") }, func(m map[string]any) {
			m["encryption"].(map[string]any)["initializationVector"] = "AAAAAAAAAAAAAAAAAAAAAA=="
		})
		bs, err := a.Sessions.SendBatch(t.Context(), ksef.FormFA3, seqOf(batchOf(t, id.NIP, "IV", 2)), nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := bs.Wait(t.Context(), fastWait)
		var se *ksef.StatusError
		if !errors.As(err, &se) || se.Code != 430 || st.Status.Code != 430 {
			t.Fatalf("wait: %v, want session status 430", err)
		}
		for r, err := range bs.Results(t.Context()) {
			if err != nil || r.Status != nil || r.Err() == nil {
				t.Errorf("result of a failed package: %+v, %v", r, err)
			}
		}
	})
	t.Run("more invoices than allowed", func(t *testing.T) {
		sim, c := simClient(t, ksefsim.WithSessionInvoiceLimit(2))
		id, a := loginSeal(t, sim, c)
		bs, err := a.Sessions.SendBatch(t.Context(), ksef.FormFA3, seqOf(batchOf(t, id.NIP, "L", 3)), nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := bs.Wait(t.Context(), fastWait)
		var se *ksef.StatusError
		if !errors.As(err, &se) || se.Code != 420 || st.Status.Code != 420 {
			t.Fatalf("wait: %v, want session status 420", err)
		}
	})
	t.Run("too many parts refused locally", func(t *testing.T) {
		sim, c := simClient(t)
		id, a := loginSeal(t, sim, c)
		_, err := a.Sessions.SendBatch(t.Context(), ksef.FormFA3, seqOf(batchOf(t, id.NIP, "P", 60)), &ksef.BatchParams{PartSize: 512, Store: true})
		if err == nil || sim.Calls(ksef.OpBatchSessionOpen.String()) != 0 {
			t.Fatalf("err = %v, opens %d; want a local error and no open", err, sim.Calls(ksef.OpBatchSessionOpen.String()))
		}
	})
}

// TestE2EBatchAmbiguousClose is workflows §E 47: the close answers 500
// although KSeF took it; the SDK reads the session status, does not send
// the package again, and every invoice is registered once (no 440
// duplicates).
func TestE2EBatchAmbiguousClose(t *testing.T) {
	for name, fault := range afterProcessingFaults {
		t.Run(name, func(t *testing.T) {
			sim, c := simClient(t)
			id, a := loginSeal(t, sim, c)
			sim.Faults().Fail(ksef.OpBatchSessionClose.String(), 1, fault)
			bs, err := a.Sessions.SendBatch(t.Context(), ksef.FormFA3, seqOf(batchOf(t, id.NIP, "A", 3)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bs.CloseRecovered() || sim.Calls(ksef.OpBatchSessionClose.String()) != 1 || sim.Calls(ksef.OpBatchSessionOpen.String()) != 1 {
				t.Fatalf("recovered %v, closes %d, opens %d; want recovered after one close of one session",
					bs.CloseRecovered(), sim.Calls(ksef.OpBatchSessionClose.String()), sim.Calls(ksef.OpBatchSessionOpen.String()))
			}
			if _, err := bs.Wait(t.Context(), fastWait); err != nil {
				t.Fatal(err)
			}
			for r, err := range bs.Results(t.Context()) {
				if err != nil || r.Err() != nil {
					t.Errorf("%s: %v %v", r.Entry.Name, r.Err(), err)
				}
			}
		})
	}
}

// batchFaultCases are the after-processing fault cases of the batch
// session operations (see TestAfterProcessingFaults).
func batchFaultCases() map[string]faultCase {
	return map[string]faultCase{
		// An open whose answer is lost leaves a session nobody holds; KSeF
		// cancels it (440) when its upload time ends, so the error is
		// returned as outcome unknown.
		"POST /sessions/batch": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			id, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error {
				_, err := a.Sessions.SendBatch(ctx, ksef.FormFA3, seqOf(batchOf(t, id.NIP, "O", 1)), nil)
				return err
			}, nil
		}},
		// A close whose answer is lost is settled by the session status.
		"POST /sessions/batch/{referenceNumber}/close": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			id, a := loginSeal(t, e.sim, e.c)
			var bs *ksef.BatchSession
			return func(ctx context.Context) error {
					var err error
					bs, err = a.Sessions.SendBatch(ctx, ksef.FormFA3, seqOf(batchOf(t, id.NIP, "C", 1)), nil)
					return err
				}, func(t *testing.T) {
					if bs == nil {
						return
					}
					if st, err := bs.Wait(t.Context(), fastWait); err != nil || st.Status.Code != 200 {
						t.Errorf("after the ambiguous close: %v %v", st, err)
					}
				}
		}},
	}
}

// TestE2EBatchNoURLInDebugLog: with the client and the simulator logging
// at debug level, a batch with a retried and a failed part upload writes no
// pre-signed URL (nor its signature) to the log or the error.
func TestE2EBatchNoURLInDebugLog(t *testing.T) {
	var logBuf lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sim, baseURL := simtest.Start(t, ksefsim.WithLogger(logger))
	c, err := ksef.NewClient(ksef.WithBaseURL(baseURL), ksef.WithLogger(logger), ksef.WithRetry(ksef.RetryPolicy{BaseDelay: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	id, a := loginSeal(t, sim, c)
	sim.Faults().Fail(ksefsim.PartUploadOperation, 1, ksefsim.Fault{Drop: true})
	if _, err := a.Sessions.SendBatch(t.Context(), ksef.FormFA3, seqOf(batchOf(t, id.NIP, "G1", 2)), nil); err != nil {
		t.Fatal(err)
	}
	sim.Faults().Fail(ksefsim.PartUploadOperation, 100, ksefsim.Fault{Status: http.StatusBadGateway})
	_, err = a.Sessions.SendBatch(t.Context(), ksef.FormFA3, seqOf(batchOf(t, id.NIP, "G2", 2)), nil)
	if !errors.Is(err, ksef.ErrBatchUpload) {
		t.Fatalf("err = %v, want a BatchUploadError", err)
	}
	out := logBuf.String() + err.Error()
	if !strings.Contains(out, "retrying") || !strings.Contains(out, "/sessions/batch") {
		t.Fatalf("debug log does not record the batch:\n%s", out)
	}
	for _, s := range []string{"sig=", "/storage/batch/"} {
		if strings.Contains(out, s) {
			t.Errorf("%q in the debug log or error", s)
		}
	}
}
