package ksef_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/xades/xadestest"
)

// TestE2EExternalSigning logs in with a document signed outside the SDK:
// UnsignedAuthTokenRequest gives the document for a fresh challenge,
// xmlsec1 signs it (xadestest), LoginWithSignedRequest completes the
// login, against the simulator through the contract harness. The SHA-1
// form is accepted with KSeF's sig-001 warning, which reaches the
// client's system-warning hook.
func TestE2EExternalSigning(t *testing.T) {
	if testing.Short() {
		t.Skip("oracle test (xmlsec1); skipped under -short")
	}
	forms := map[string]xadestest.Form{}
	for _, f := range xadestest.Forms() {
		forms[f.Name] = f
	}
	for _, name := range []string{"enveloped-csharp", "enveloping", "rsa-sha1"} {
		t.Run(name, func(t *testing.T) {
			f := forms[name]
			_, baseURL := simtest.Start(t)
			var mu sync.Mutex
			var warnings []ksef.SystemWarning
			c, err := ksef.NewClient(ksef.WithBaseURL(baseURL), ksef.WithSystemWarningHook(func(w ksef.SystemWarning) {
				mu.Lock()
				defer mu.Unlock()
				warnings = append(warnings, w)
			}))
			if err != nil {
				t.Fatal(err)
			}
			nip := string(ksef.RandomNIP(nil))
			key, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			cred, err := credentials.NewSealNIP(nip, &credentials.CertOptions{Signer: key})
			if err != nil {
				t.Fatal(err)
			}
			unsigned, err := c.Auth.UnsignedAuthTokenRequest(t.Context(), ksef.MustContext(ksef.NIPContext(nip)), nil)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := ksef.ParseAuthTokenRequest(unsigned)
			if err != nil {
				t.Fatal(err)
			}
			signed := xadestest.Sign(t, f, xadestest.Request{Namespace: ksef.AuthTokenNamespace, Challenge: doc.Challenge,
				ContextType: "Nip", ContextValue: nip, SubjectType: string(doc.SubjectIdentifierType)},
				cred.Certificate, cred.Signer, time.Now().Add(-time.Minute))
			a, err := c.Auth.LoginWithSignedRequest(t.Context(), signed, &ksef.LoginParams{Wait: fastWait})
			if err != nil {
				t.Fatal(err)
			}
			if a.Context != ksef.MustContext(ksef.NIPContext(nip)) || a.ReferenceNumber == "" {
				t.Errorf("context %+v, reference %q", a.Context, a.ReferenceNumber)
			}
			// The authenticated client works.
			if _, err := a.AuthSessions.List(t.Context(), nil); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			var sig001 bool
			for _, w := range warnings {
				if w.Code == "sig-001" && w.Path == "/auth/xades-signature" && strings.Contains(strings.ToUpper(w.Message), "SHA-1") {
					sig001 = true
				}
			}
			if sig001 != f.SHA1 {
				t.Errorf("warnings %+v (SHA-1 form: %v)", warnings, f.SHA1)
			}
			// The same document cannot log in twice (its challenge is spent).
			var apiErr *ksef.APIError
			if _, err := c.Auth.LoginWithSignedRequest(t.Context(), signed, &ksef.LoginParams{Wait: fastWait}); !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
				t.Errorf("replay: %v", err)
			}
		})
	}
	// A document the auth schema refuses is refused before any request.
	_, c := simClient(t)
	if _, err := c.Auth.LoginWithSignedRequest(t.Context(), []byte(`<AuthTokenRequest xmlns="`+ksef.AuthTokenNamespace+`"><Challenge>x</Challenge></AuthTokenRequest>`), nil); err == nil {
		t.Error("an invalid document was accepted")
	}
}
