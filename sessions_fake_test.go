package ksef_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/envelope"
)

// fakeOnline is a small in-memory stand-in for KSeF's online-session
// operations, for unit tests of the SDK side before the simulator has
// them. It decrypts what it receives and checks hashes and sizes; faults
// are switched on per test.
type fakeOnline struct {
	t    *testing.T
	mfCt *credentials.Credentials

	mu          sync.Mutex
	keyID       int  // current MF key id
	rotated     bool // the next open with the old key id gets 21470
	sessions    map[string]*fakeSession
	seen        map[string]string // invoice hash -> KSeF number (duplicates)
	seenSess    map[string]string // invoice hash -> session ref
	sendFault   []string          // per send, in order: "500" (processed, then 500), "drop" (not processed, connection dropped), "dropAfter"
	closeFault  []string
	sends       int
	opens       int
	keyGets     int
	pollsToDone int
}

type fakeSession struct {
	ref      string
	key      *envelope.Key
	form     ksef.FormCode
	status   int
	invoices []*fakeInvoice
	feature  string
}

type fakeInvoice struct {
	ref, ksef string
	hash      []byte
	status    int
	polls     int
	dup       *ksef.DuplicateInvoice
}

func newFakeOnline(t *testing.T, mux *http.ServeMux) *fakeOnline {
	mf, err := credentials.NewFingerprintOnly(&credentials.CertOptions{KeyType: credentials.RSA2048, CommonName: "Ministerstwo Finansów", Validity: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeOnline{t: t, mfCt: mf, keyID: 1, sessions: map[string]*fakeSession{}, seen: map[string]string{}, seenSess: map[string]string{}, pollsToDone: 1}
	mux.HandleFunc("GET /security/public-key-certificates", f.keys)
	mux.HandleFunc("POST /sessions/online", f.open)
	mux.HandleFunc("POST /sessions/online/{ref}/invoices", f.send)
	mux.HandleFunc("POST /sessions/online/{ref}/close", f.close)
	mux.HandleFunc("GET /sessions/{ref}", f.status)
	mux.HandleFunc("GET /sessions/{ref}/invoices", f.list)
	mux.HandleFunc("GET /sessions/{ref}/invoices/{inv}", f.invoiceStatus)
	return f
}

func (f *fakeOnline) pubKeyID() string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{byte(f.keyID)}, 32))
}

func kerr(w http.ResponseWriter, status, code int) {
	writeJSON(w, status, map[string]any{"exception": map[string]any{"exceptionDetailList": []any{
		map[string]any{"exceptionCode": code, "exceptionDescription": "fake " + strconv.Itoa(code)}}}})
}

func (f *fakeOnline) keys(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keyGets++
	writeJSON(w, 200, []ksef.PublicKeyCertificate{{Certificate: f.mfCt.Certificate.Raw, CertificateID: "c", PublicKeyID: f.pubKeyID(),
		ValidFrom: time.Now().Add(-time.Hour), ValidTo: time.Now().Add(time.Hour),
		Usage: []ksef.PublicKeyCertificateUsage{ksef.SymmetricKeyEncryption}}})
}

func (f *fakeOnline) open(w http.ResponseWriter, r *http.Request) {
	var req ksef.OpenOnlineSessionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		kerr(w, 400, 21405)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opens++
	if f.rotated {
		f.rotated = false
		f.keyID++
	}
	if req.Encryption.PublicKeyID != f.pubKeyID() {
		kerr(w, 400, 21470)
		return
	}
	raw, err := envelope.UnwrapKey(f.mfCt.Signer.(*rsa.PrivateKey), req.Encryption.EncryptedSymmetricKey)
	if err != nil {
		kerr(w, 400, 21405)
		return
	}
	key, err := envelope.KeyFromBytes(raw, req.Encryption.InitializationVector)
	if err != nil {
		kerr(w, 400, 21405)
		return
	}
	ref := ident.NewReferenceNumber("SO", time.Now(), nil).String()
	f.sessions[ref] = &fakeSession{ref: ref, key: key, form: req.FormCode, status: 100, feature: r.Header.Get("X-KSeF-Feature")}
	writeJSON(w, 201, ksef.OpenOnlineSessionResponse{ReferenceNumber: ref, ValidUntil: time.Now().Add(12 * time.Hour)})
}

func (f *fakeOnline) drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		f.t.Error("cannot hijack")
		return
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

// lookup returns the session the request names, or answers 21173 and
// returns nil. Callers hold f.mu.
func (f *fakeOnline) lookup(w http.ResponseWriter, r *http.Request) *fakeSession {
	s := f.sessions[r.PathValue("ref")]
	if s == nil {
		kerr(w, 400, 21173)
	}
	return s
}

// openSession locks f and returns the open session the request names and
// the next fault queued in faults. When the session is unknown or not open
// it answers the error and returns nil with f unlocked.
func (f *fakeOnline) openSession(w http.ResponseWriter, r *http.Request, faults *[]string) (*fakeSession, string) {
	f.mu.Lock()
	s := f.lookup(w, r)
	if s == nil {
		f.mu.Unlock()
		return nil, ""
	}
	if s.status != 100 {
		f.mu.Unlock()
		kerr(w, 400, 21180)
		return nil, ""
	}
	fault := ""
	if len(*faults) > 0 {
		fault, *faults = (*faults)[0], (*faults)[1:]
	}
	return s, fault
}

func (f *fakeOnline) send(w http.ResponseWriter, r *http.Request) {
	var req ksef.SendInvoiceRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		kerr(w, 400, 21405)
		return
	}
	s, fault := f.openSession(w, r, &f.sendFault)
	if s == nil {
		return
	}
	f.sends++
	if fault == "drop" {
		f.mu.Unlock()
		f.drop(w)
		return
	}
	plain, err := s.key.Decrypt(req.EncryptedInvoiceContent)
	eh := sha256.Sum256(req.EncryptedInvoiceContent)
	ph := sha256.Sum256(plain)
	switch {
	case err != nil:
		f.mu.Unlock()
		kerr(w, 400, 21405)
		return
	case int64(len(plain)) != req.InvoiceSize || int64(len(req.EncryptedInvoiceContent)) != req.EncryptedInvoiceSize:
		f.mu.Unlock()
		kerr(w, 400, 21402)
		return
	case !bytes.Equal(ph[:], req.InvoiceHash) || !bytes.Equal(eh[:], req.EncryptedInvoiceHash):
		f.mu.Unlock()
		kerr(w, 400, 21403)
		return
	}
	inv := &fakeInvoice{ref: ident.NewReferenceNumber("EE", time.Now(), nil).String(), hash: ph[:], status: 150}
	s.invoices = append(s.invoices, inv)
	f.mu.Unlock()
	switch fault {
	case "500":
		kerr(w, 500, 0)
	case "dropAfter":
		f.drop(w)
	default:
		writeJSON(w, 202, ksef.SendInvoiceResponse{ReferenceNumber: inv.ref})
	}
}

func (f *fakeOnline) close(w http.ResponseWriter, r *http.Request) {
	s, fault := f.openSession(w, r, &f.closeFault)
	if s == nil {
		return
	}
	if fault == "drop" {
		f.mu.Unlock()
		f.drop(w)
		return
	}
	s.status = 170
	f.mu.Unlock()
	if fault == "500" {
		kerr(w, 500, 0)
		return
	}
	w.WriteHeader(204)
}

// settle moves invoices (and closed sessions) towards their final status.
func (f *fakeOnline) settleLocked(s *fakeSession) {
	for _, inv := range s.invoices {
		if inv.status != 150 {
			continue
		}
		inv.polls++
		if inv.polls < f.pollsToDone {
			continue
		}
		h := string(inv.hash)
		if orig, ok := f.seen[h]; ok {
			inv.status = 440
			inv.dup = &ksef.DuplicateInvoice{OriginalKSeFNumber: orig, OriginalSessionReferenceNumber: f.seenSess[h]}
			continue
		}
		inv.status = 200
		inv.ksef = ident.NewKSeFNumber("5265877635", time.Now(), nil).String()
		f.seen[h] = inv.ksef
		f.seenSess[h] = s.ref
	}
	if s.status == 170 {
		s.status = 200
	}
}

func (f *fakeOnline) wire(s *fakeSession, inv *fakeInvoice) ksef.SessionInvoiceStatusResponse {
	st := ksef.InvoiceStatusInfo{Code: int32(inv.status), Description: "fake"}
	if inv.dup != nil {
		st.Details = []string{"duplicate"}
		st.Extensions = map[string]any{"originalKsefNumber": inv.dup.OriginalKSeFNumber, "originalSessionReferenceNumber": inv.dup.OriginalSessionReferenceNumber}
	}
	return ksef.SessionInvoiceStatusResponse{OrdinalNumber: 1, ReferenceNumber: inv.ref, KSeFNumber: inv.ksef, InvoiceHash: inv.hash, InvoicingDate: time.Now(), Status: st}
}

func (f *fakeOnline) status(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.lookup(w, r)
	if s == nil {
		return
	}
	resp := ksef.SessionStatusResponse{Status: ksef.StatusInfo{Code: int32(s.status), Description: "fake"}, DateCreated: time.Now(), DateUpdated: time.Now()}
	if s.status == 200 {
		resp.Upo = &ksef.UpoResponse{Pages: []ksef.UpoPageResponse{{ReferenceNumber: s.ref, DownloadURL: "http://127.0.0.1/blob", DownloadURLExpirationDate: time.Now().Add(time.Hour)}}}
	}
	f.settleLocked(s)
	writeJSON(w, 200, resp)
}

func (f *fakeOnline) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.lookup(w, r)
	if s == nil {
		return
	}
	size := 10
	if v := r.URL.Query().Get("pageSize"); v != "" {
		size, _ = strconv.Atoi(v)
	}
	off := 0
	if v := r.Header.Get("x-continuation-token"); v != "" {
		off, _ = strconv.Atoi(v)
	}
	resp := ksef.SessionInvoicesResponse{Invoices: []ksef.SessionInvoiceStatusResponse{}}
	for i := off; i < len(s.invoices) && i < off+size; i++ {
		resp.Invoices = append(resp.Invoices, f.wire(s, s.invoices[i]))
	}
	if off+size < len(s.invoices) {
		resp.ContinuationToken = strconv.Itoa(off + size)
	}
	writeJSON(w, 200, resp)
}

func (f *fakeOnline) invoiceStatus(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.lookup(w, r)
	if s == nil {
		return
	}
	for _, inv := range s.invoices {
		if inv.ref == r.PathValue("inv") {
			resp := f.wire(s, inv)
			f.settleLocked(s)
			writeJSON(w, 200, resp)
			return
		}
	}
	kerr(w, 400, 21404)
}

// authed returns an authenticated client on a fake server.
func fakeOnlineClient(t *testing.T) (*ksef.AuthenticatedClient, *fakeOnline) {
	t.Helper()
	c, mux := clientSetup(t, ksef.WithRetry(ksef.RetryPolicy{MaxAttempts: 3, MaxDelay: time.Second}))
	f := newFakeOnline(t, mux)
	a := c.Auth.ResumeWith(ksef.StaticToken("access-token"))
	return a, f
}

func invoiceXML(i int) []byte {
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?><Faktura><P_2>FV/%d</P_2></Faktura>`, i)
}
