package ksef_test

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
)

// mfCert returns a self-signed certificate standing in for one of the
// Ministry of Finance's public-key certificates (RSA, or ECDSA P-256).
func mfCert(t *testing.T, ec bool) []byte {
	t.Helper()
	kt := credentials.RSA2048
	if ec {
		kt = credentials.ECP256
	}
	c, err := credentials.NewFingerprintOnly(&credentials.CertOptions{KeyType: kt, CommonName: "Ministerstwo Finansów", Validity: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return c.Certificate.Raw
}

func TestSelectPublicKey(t *testing.T) {
	der := mfCert(t, false)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	pc := func(id string, from, to time.Duration, u ...ksef.PublicKeyCertificateUsage) ksef.PublicKeyCertificate {
		return ksef.PublicKeyCertificate{Certificate: der, PublicKeyID: id, ValidFrom: now.Add(from), ValidTo: now.Add(to), Usage: u}
	}
	certs := []ksef.PublicKeyCertificate{
		pc("old", -300*day, 300*day, ksef.KsefTokenEncryption),
		pc("newer", -10*day, 300*day, ksef.KsefTokenEncryption, ksef.SymmetricKeyEncryption),
		pc("future", 10*day, 300*day, ksef.KsefTokenEncryption),
		pc("expired", -5*day, -day, ksef.KsefTokenEncryption),
		pc("sym", -20*day, 300*day, ksef.SymmetricKeyEncryption),
	}
	k, err := ksef.SelectPublicKey(certs, ksef.KsefTokenEncryption, now)
	if err != nil || k.PublicKeyID != "newer" || k.Key == nil {
		t.Errorf("token key: %v %v", k, err)
	}
	k, err = ksef.SelectPublicKey(certs, ksef.SymmetricKeyEncryption, now)
	if err != nil || k.PublicKeyID != "newer" {
		t.Errorf("symmetric key: %v %v", k, err)
	}
	if _, err := ksef.SelectPublicKey(certs[2:4], ksef.KsefTokenEncryption, now); !errors.Is(err, ksef.ErrNoPublicKey) {
		t.Errorf("no valid key: %v", err)
	}
	ec := []ksef.PublicKeyCertificate{{Certificate: mfCert(t, true), PublicKeyID: "ec", ValidFrom: now.Add(-day), ValidTo: now.Add(day), Usage: []ksef.PublicKeyCertificateUsage{ksef.KsefTokenEncryption}}}
	if _, err := ksef.SelectPublicKey(ec, ksef.KsefTokenEncryption, now); err == nil {
		t.Error("EC key accepted")
	}
	bad := []ksef.PublicKeyCertificate{{Certificate: []byte("junk"), PublicKeyID: "bad", ValidFrom: now.Add(-day), ValidTo: now.Add(day), Usage: []ksef.PublicKeyCertificateUsage{ksef.KsefTokenEncryption}}}
	if _, err := ksef.SelectPublicKey(bad, ksef.KsefTokenEncryption, now); err == nil {
		t.Error("junk certificate accepted")
	}
}

func TestPublicKeysCache(t *testing.T) {
	der := mfCert(t, false)
	c, mux := clientSetup(t, ksef.WithPublicKeyTTL(time.Hour))
	var calls atomic.Int32
	mux.HandleFunc("GET /security/public-key-certificates", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 200, []ksef.PublicKeyCertificate{{Certificate: der, CertificateID: "c", PublicKeyID: "k",
			ValidFrom: time.Now().Add(-time.Hour), ValidTo: time.Now().Add(time.Hour),
			Usage: []ksef.PublicKeyCertificateUsage{ksef.SymmetricKeyEncryption}}})
	})
	for range 3 {
		if _, err := c.PublicKeys.Get(t.Context(), ksef.SymmetricKeyEncryption); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("%d downloads, want 1", calls.Load())
	}
	// An authenticated client derived from c shares the cache.
	a := c.Auth.Resume(ksef.TokenInfo{Token: "a", ValidUntil: time.Now().Add(time.Hour)}, ksef.TokenInfo{})
	if _, err := a.PublicKeys.Get(t.Context(), ksef.SymmetricKeyEncryption); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("derived client downloaded again")
	}
	c.PublicKeys.Invalidate()
	if _, err := c.PublicKeys.Get(t.Context(), ksef.SymmetricKeyEncryption); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d downloads after Invalidate, want 2", calls.Load())
	}
	if _, err := c.PublicKeys.Get(t.Context(), ksef.KsefTokenEncryption); !errors.Is(err, ksef.ErrNoPublicKey) {
		t.Errorf("missing usage: %v", err)
	}
}

func TestTokensWaitActive(t *testing.T) {
	for final, wantErr := range map[ksef.AuthenticationTokenStatus]bool{ksef.TokenActive: false, ksef.TokenFailed: true, ksef.TokenRevoked: true} {
		c, mux := clientSetup(t)
		var polls atomic.Int32
		mux.HandleFunc("GET /tokens/{ref}", func(w http.ResponseWriter, r *http.Request) {
			st := ksef.TokenPending
			if polls.Add(1) > 2 {
				st = final
			}
			writeJSON(w, 200, map[string]any{"status": st, "statusDetails": []string{"why"}})
		})
		st, err := authed(c).Tokens.WaitActive(t.Context(), ref, fastWait)
		if (err != nil) != wantErr || (wantErr && !errors.Is(err, ksef.ErrTokenNotActive)) {
			t.Errorf("%s: err = %v", final, err)
		}
		if st == nil || st.Status != final || polls.Load() != 3 {
			t.Errorf("%s: status %v polls %d", final, st, polls.Load())
		}
	}
	c, _ := clientSetup(t)
	for _, req := range []*ksef.GenerateTokenRequest{nil, {Description: "abc", Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}}, {Description: "valid one"}} {
		if _, err := authed(c).Tokens.Generate(t.Context(), req); err == nil {
			t.Errorf("accepted %+v", req)
		}
	}
}
