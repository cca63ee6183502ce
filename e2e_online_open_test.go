package ksef_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsim"
)

// exchange is one request and its answer as the client saw them.
type exchange struct {
	method, path string
	header       http.Header // of the request
	status       int
	body         []byte // of the answer
}

// code returns the first KSeF exception code of the answer (0 if none).
func (e exchange) code() ksef.ExceptionCode {
	return ksef.DecodeError(e.status, nil, e.body).Code
}

// tap is a test-only http.RoundTripper between the SDK and the simulator.
// It records every exchange and, while edit is set, edits the JSON body of
// matching requests before they leave: the honest way to send what the
// SDK never sends (it computes sizes, hashes and form codes itself). The
// contract harness still validates the edited request on the server side.
type tap struct {
	mu     sync.Mutex
	match  func(*http.Request) bool
	edit   func(map[string]any)
	before func(*http.Request) // called for every request, before it is sent
	log    []exchange
}

// setEdit makes the tap edit the bodies of the requests matched by match
// (nil edit: stop editing).
func (tp *tap) setEdit(match func(*http.Request) bool, edit func(map[string]any)) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.match, tp.edit = match, edit
}

func (tp *tap) RoundTrip(r *http.Request) (*http.Response, error) {
	tp.mu.Lock()
	match, edit, before := tp.match, tp.edit, tp.before
	tp.mu.Unlock()
	if before != nil {
		before(r)
	}
	if edit != nil && r.Body != nil && match(r) {
		raw, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			return nil, err
		}
		edit(m)
		if raw, err = json.Marshal(m); err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.Body, r.ContentLength, r.GetBody = io.NopCloser(bytes.NewReader(raw)), int64(len(raw)), nil
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	tp.mu.Lock()
	tp.log = append(tp.log, exchange{r.Method, r.URL.Path, r.Header.Clone(), resp.StatusCode, body})
	tp.mu.Unlock()
	return resp, nil
}

// last returns the last exchange whose path ends in suffix.
func (tp *tap) last(t *testing.T, method, suffix string) exchange {
	t.Helper()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	for i := len(tp.log) - 1; i >= 0; i-- {
		if e := tp.log[i]; e.method == method && strings.HasSuffix(e.path, suffix) {
			return e
		}
	}
	t.Fatalf("no %s …%s exchange", method, suffix)
	return exchange{}
}

// all returns the exchanges whose path matches.
func (tp *tap) all(method string, match func(path string) bool) []exchange {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	var out []exchange
	for _, e := range tp.log {
		if e.method == method && match(e.path) {
			out = append(out, e)
		}
	}
	return out
}

// tapClient starts the simulator through the contract harness and returns
// a client whose traffic goes through a tap, and the base URL.
func tapClient(t *testing.T, opts ...ksefsim.Option) (*ksefsim.Simulator, *ksef.Client, *tap, string) {
	t.Helper()
	sim, base := simtest.Start(t, opts...)
	tp := &tap{}
	c, err := ksef.NewClient(ksef.WithBaseURL(base), ksef.WithHTTPClient(&http.Client{Transport: tp}))
	if err != nil {
		t.Fatal(err)
	}
	return sim, c, tp, base
}

func isOpen(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sessions/online")
}

func isSend(r *http.Request) bool { return r.Method == http.MethodPost && isSendPath(r.URL.Path) }

// wantAPIError checks that err is a *ksef.APIError with the HTTP status
// and KSeF code (code 0: any).
func wantAPIError(t *testing.T, err error, status int, code ksef.ExceptionCode) *ksef.APIError {
	t.Helper()
	var ae *ksef.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T), want *ksef.APIError %d/%d", err, err, status, code)
	}
	if ae.StatusCode != status || (code != 0 && (ae.Code != code || !ksef.IsCode(err, code))) {
		t.Fatalf("error %v, want %d/%d", err, status, code)
	}
	return ae
}

// TestE2EOnlineOpenEveryForm is workflows §C 19: an online session opens
// for every form code of API 2.8.1 (201, validUntil = open + 12 h); a
// form code the environment does not accept is refused with 400/21405.
// The simulator is a TEST environment: FA (2), "TEST only", opens; form
// codes outside the 2.8.1 list (FA (1), FA_RR with the pre-2.3.0 value
// "RR") do not.
func TestE2EOnlineOpenEveryForm(t *testing.T) {
	clock := ksefsim.NewManualClock(time.Now())
	sim, c, tp, _ := tapClient(t, ksefsim.WithClock(clock.Now))
	skipWithoutOnline(t, sim)
	_, a := loginSeal(t, sim, c)
	ctx := t.Context()
	for _, form := range ksef.Forms() {
		t.Run("C19/"+string(form), func(t *testing.T) {
			s, err := a.Sessions.OpenOnline(ctx, form, nil)
			if err != nil {
				t.Fatal(err)
			}
			if e := tp.last(t, http.MethodPost, "/sessions/online"); e.status != http.StatusCreated {
				t.Errorf("open answered %d, want 201", e.status)
			}
			if want := clock.Now().Add(12 * time.Hour); !s.ValidUntil().Equal(want) || s.Form() != form {
				t.Errorf("validUntil %v, want %v; form %q", s.ValidUntil(), want, s.Form())
			}
			st, err := s.Status(ctx)
			if err != nil || ksef.SessionStatusCode(st.Status.Code) != ksef.SessionStatusOpen {
				t.Fatalf("status %+v, %v", st, err)
			}
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("C19/unknown-form-local", func(t *testing.T) {
		before := sim.Calls(ksef.OpOnlineSessionOpen.String())
		_, err := a.Sessions.OpenOnline(ctx, ksef.Form("FA (1)"), nil)
		var ae *ksef.APIError
		if err == nil || errors.As(err, &ae) || !strings.Contains(err.Error(), "unknown form") {
			t.Errorf("unknown form: %v, want a local error", err)
		}
		if n := sim.Calls(ksef.OpOnlineSessionOpen.String()); n != before {
			t.Errorf("an unknown form reached KSeF (%d opens, before %d)", n, before)
		}
	})
	for name, code := range map[string]map[string]any{
		"FA (1)":         {"systemCode": "FA (1)", "schemaVersion": "1-0E", "value": "FA"},
		"FA_RR value RR": {"systemCode": "FA_RR (1)", "schemaVersion": "1-1E", "value": "RR"},
		"FA (3) 1-0":     {"systemCode": "FA (3)", "schemaVersion": "1-0", "value": "FA"},
	} {
		t.Run("C19/not-accepted/"+name, func(t *testing.T) {
			tp.setEdit(isOpen, func(m map[string]any) { m["formCode"] = code })
			defer tp.setEdit(nil, nil)
			_, err := a.Sessions.OpenOnline(ctx, ksef.FormFA3, nil)
			wantAPIError(t, err, http.StatusBadRequest, ksef.CodeValidation)
		})
	}
}

// TestE2EOnlineDeclaredSizeHashMismatch is workflows §C 24: a send whose
// declared size or hash does not match the content is refused with
// 400/21402 (size) or 400/21403 (hash), surfaced as a typed *APIError,
// and nothing is registered. The SDK computes the four values itself, so
// the tap alters them on the way out.
func TestE2EOnlineDeclaredSizeHashMismatch(t *testing.T) {
	sim, c, tp, _ := tapClient(t)
	id, a := loginSeal(t, sim, c)
	s := openOrSkip(t, sim, a)
	ctx := t.Context()
	otherHash := sha256.Sum256([]byte("another document"))
	bump := func(field string) func(map[string]any) {
		return func(m map[string]any) {
			n, err := m[field].(json.Number).Int64()
			if err != nil {
				t.Errorf("%s: %v", field, err)
			}
			m[field] = n + 1
		}
	}
	rehash := func(field string) func(map[string]any) {
		return func(m map[string]any) { m[field] = base64.StdEncoding.EncodeToString(otherHash[:]) }
	}
	for i, tc := range []struct {
		name string
		edit func(map[string]any)
		code ksef.ExceptionCode
	}{
		{"invoiceSize", bump("invoiceSize"), ksef.CodeInvalidFileSize},
		{"encryptedInvoiceSize", bump("encryptedInvoiceSize"), ksef.CodeInvalidFileSize},
		{"invoiceHash", rehash("invoiceHash"), ksef.CodeInvalidFileHash},
		{"encryptedInvoiceHash", rehash("encryptedInvoiceHash"), ksef.CodeInvalidFileHash},
	} {
		t.Run("C24/"+tc.name, func(t *testing.T) {
			tp.setEdit(isSend, tc.edit)
			defer tp.setEdit(nil, nil)
			_, err := s.SendInvoice(ctx, fa3Invoice(t, id.NIP, "FV/C24/"+tc.name), nil)
			wantAPIError(t, err, http.StatusBadRequest, tc.code)
			if sends := tp.all(http.MethodPost, isSendPath); len(sends) != i+1 {
				t.Errorf("%d sends on the wire, want %d (no retry of a 400)", len(sends), i+1)
			}
		})
	}
	for inv, err := range a.Sessions.InvoicesAll(ctx, s.ReferenceNumber(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("refused send registered invoice %s", inv.ReferenceNumber)
	}
	// Unaltered, the same invoice goes through.
	sent, err := s.SendInvoice(ctx, fa3Invoice(t, id.NIP, "FV/C24/invoiceSize"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := s.WaitInvoice(ctx, sent.ReferenceNumber, fastWait); err != nil || st.KSeFNumber == "" {
		t.Fatalf("unaltered send: %v", err)
	}
}

// wantMissingPermissions checks a 403 problem-details answer with
// reasonCode missing-permissions.
func wantMissingPermissions(t *testing.T, err error) {
	t.Helper()
	ae := wantAPIError(t, err, http.StatusForbidden, 0)
	if !errors.Is(err, ksef.ErrForbidden) || ae.ReasonCode != ksef.ReasonMissingPermissions {
		t.Errorf("403 %v: reasonCode %q, want %q", err, ae.ReasonCode, ksef.ReasonMissingPermissions)
	}
}

// loginFingerprint creates a fingerprint-only certificate, grants it perms
// in the context of NIP owner and logs it in there.
func loginFingerprint(t *testing.T, c *ksef.Client, owner string, perms ...ksef.TestDataPermissionType) *ksef.AuthenticatedClient {
	t.Helper()
	fp, err := credentials.NewFingerprintOnly(&credentials.CertOptions{KeyType: credentials.ECP256})
	if err != nil {
		t.Fatal(err)
	}
	grant := &ksef.TestDataPermissionsGrantRequest{
		ContextIdentifier:    ksef.TestDataContextIdentifier{Type: ident.TypeNip, Value: owner},
		AuthorizedIdentifier: ksef.TestDataAuthorizedIdentifier{Type: ident.TypeFingerprint, Value: credentials.Fingerprint(fp.Certificate)},
	}
	for _, p := range perms {
		grant.Permissions = append(grant.Permissions, ksef.TestDataPermission{PermissionType: p, Description: "e2e " + string(p)})
	}
	if err := c.TestData.GrantPermissions(t.Context(), grant); err != nil {
		t.Fatal(err)
	}
	a, err := c.Auth.LoginWithCertificate(t.Context(), nipContext(t, owner), fp.Certificate, fp.Signer,
		&ksef.LoginParams{Wait: fastWait, SubjectIdentifierType: ksef.AuthSubjectCertificateFingerprint})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestE2EOnlineWithoutWritePermission is workflows §C 34: opening,
// sending to and closing an online session without InvoiceWrite,
// PefInvoiceWrite or EnforcementOperations is refused with 403 and
// reasonCode missing-permissions; with InvoiceWrite or
// EnforcementOperations the same subject kind opens one.
func TestE2EOnlineWithoutWritePermission(t *testing.T) {
	sim, c := simClient(t)
	owner, ownerA := loginSeal(t, sim, c)
	s := openOrSkip(t, sim, ownerA)
	ctx := t.Context()
	reader := loginFingerprint(t, c, owner.NIP, ksef.TestDataPermInvoiceRead, ksef.TestDataPermCredentialsRead)
	t.Run("C34/open", func(t *testing.T) {
		_, err := reader.Sessions.OpenOnline(ctx, ksef.FormFA3, nil)
		wantMissingPermissions(t, err)
	})
	rs, err := reader.Sessions.ResumeOnline(s.State())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("C34/send", func(t *testing.T) {
		_, err := rs.SendInvoice(ctx, fa3Invoice(t, owner.NIP, "FV/C34/1"), nil)
		wantMissingPermissions(t, err)
	})
	t.Run("C34/close", func(t *testing.T) {
		wantMissingPermissions(t, rs.Close(ctx))
		if st, err := s.Status(ctx); err != nil || ksef.SessionStatusCode(st.Status.Code) != ksef.SessionStatusOpen {
			t.Errorf("session after a refused close: %+v, %v", st, err)
		}
	})
	for _, p := range []ksef.TestDataPermissionType{ksef.TestDataPermInvoiceWrite, ksef.TestDataPermEnforcementOperations} {
		t.Run("C34/with-"+string(p), func(t *testing.T) {
			w := loginFingerprint(t, c, owner.NIP, p)
			ws, err := w.Sessions.OpenOnline(ctx, ksef.FormFA3, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := ws.Close(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
