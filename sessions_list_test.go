package ksef_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
)

func TestSessionsListFilters(t *testing.T) {
	c, mux := clientSetup(t)
	a := c.Auth.ResumeWith(ksef.StaticToken("t"))
	var queries []string
	mux.HandleFunc("GET /sessions", func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		resp := ksef.SessionsQueryResponse{Sessions: []ksef.SessionsQueryResponseItem{{ReferenceNumber: "A" + r.Header.Get("x-continuation-token")}}}
		if r.Header.Get("x-continuation-token") == "" {
			resp.ContinuationToken = "next"
		}
		writeJSON(w, 200, resp)
	})
	from := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	q := &ksef.ListSessionsQuery{SessionType: ksef.SessionTypeOnline, ReferenceNumber: "20260102-SO-0000000000-0000000000-00",
		DateCreatedFrom: from, DateCreatedTo: from, DateClosedFrom: from, DateClosedTo: from, DateModifiedFrom: from, DateModifiedTo: from,
		Statuses: []ksef.CommonSessionStatus{ksef.CommonSessionStatusSucceeded, ksef.CommonSessionStatusFailed}, PageSize: 100}
	var refs []string
	for it, err := range a.Sessions.ListAll(t.Context(), q) {
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, it.ReferenceNumber)
	}
	if !slices.Equal(refs, []string{"A", "Anext"}) {
		t.Errorf("refs %v", refs)
	}
	want := "dateClosedFrom=2026-01-02T03%3A04%3A05Z&dateClosedTo=2026-01-02T03%3A04%3A05Z&dateCreatedFrom=2026-01-02T03%3A04%3A05Z&dateCreatedTo=2026-01-02T03%3A04%3A05Z&dateModifiedFrom=2026-01-02T03%3A04%3A05Z&dateModifiedTo=2026-01-02T03%3A04%3A05Z&pageSize=100&referenceNumber=20260102-SO-0000000000-0000000000-00&sessionType=Online&statuses=Succeeded&statuses=Failed"
	if len(queries) != 2 || queries[0] != want {
		t.Errorf("query %v\nwant %s", queries, want)
	}
	if _, err := a.Sessions.List(t.Context(), &ksef.ListSessionsQuery{}); err == nil {
		t.Error("missing session type accepted")
	}
	if _, err := a.Sessions.List(t.Context(), &ksef.ListSessionsQuery{SessionType: ksef.SessionTypeBatch, PageSize: 5}); err == nil {
		t.Error("page size 5 accepted")
	}
}

func TestUPODownloads(t *testing.T) {
	c, mux := clientSetup(t)
	a := c.Auth.ResumeWith(ksef.StaticToken("secret-access"))
	body := []byte(`<Potwierdzenie/>`)
	sum := sha256.Sum256(body)
	serve := func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret-access" {
			t.Errorf("%s: Authorization %q", r.URL.Path, r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("x-ms-meta-hash", base64.StdEncoding.EncodeToString(sum[:]))
		w.Write(body)
	}
	mux.HandleFunc("GET /sessions/{ref}/invoices/{inv}/upo", serve)
	mux.HandleFunc("GET /sessions/{ref}/invoices/ksef/{k}/upo", serve)
	mux.HandleFunc("GET /sessions/{ref}/upo/{u}", serve)
	mux.HandleFunc("GET /sessions/{ref}/upo/bad", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ms-meta-hash", base64.StdEncoding.EncodeToString(make([]byte, 32)))
		w.Write(body)
	})
	for name, get := range map[string]func() ([]byte, error){
		"by ref": func() ([]byte, error) { return a.Sessions.InvoiceUPO(t.Context(), "S", "I") },
		"by ksef": func() ([]byte, error) {
			return a.Sessions.InvoiceUPOByKSeFNumber(t.Context(), "S", "5265877635-20260102-0123456789AB-CD")
		},
		"page": func() ([]byte, error) { return a.Sessions.UPO(t.Context(), "S", "U") },
	} {
		got, err := get()
		if err != nil || string(got) != string(body) {
			t.Errorf("%s: %q %v", name, got, err)
		}
	}
	if _, err := a.Sessions.UPO(t.Context(), "S", "bad"); !errors.Is(err, ksef.ErrHashMismatch) {
		t.Errorf("bad hash: %v", err)
	}
	// pre-signed: no Authorization, URL not in errors
	blob := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Error("Authorization sent to a pre-signed URL")
		}
		if r.URL.Query().Get("sig") != "s3cr3t" {
			http.Error(w, "no", 403)
			return
		}
		w.Header().Set("x-ms-meta-hash", base64.StdEncoding.EncodeToString(sum[:]))
		w.Write(body)
	}))
	defer blob.Close()
	got, err := a.Sessions.UPOPage(t.Context(), ksef.UpoPageResponse{DownloadURL: blob.URL + "/upo?sig=s3cr3t", DownloadURLExpirationDate: time.Now().Add(time.Hour)})
	if err != nil || string(got) != string(body) {
		t.Errorf("pre-signed: %q %v", got, err)
	}
	_, err = a.Sessions.UPOPage(t.Context(), ksef.UpoPageResponse{DownloadURL: blob.URL + "/upo?sig=wrong-s3cr3t"})
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("pre-signed failure: %v", err)
	}
	if _, err := a.Sessions.UPOPage(t.Context(), ksef.UpoPageResponse{DownloadURL: blob.URL, DownloadURLExpirationDate: time.Now().Add(-time.Minute)}); !errors.Is(err, ksef.ErrURLExpired) {
		t.Errorf("expired: %v", err)
	}
}
