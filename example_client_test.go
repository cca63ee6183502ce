package ksef_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ksefsim"
)

func ExampleNewClient() {
	c, err := ksef.NewClient(
		ksef.WithEnvironment(ksef.Demo),
		ksef.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		ksef.WithRetry(ksef.RetryPolicy{MaxAttempts: 5, MaxDelay: 2 * time.Minute}),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.BaseURL())
	fmt.Println(c.QRBaseURL())
	// Output:
	// https://api-demo.ksef.mf.gov.pl/v2
	// https://qr-demo.ksef.mf.gov.pl
}

// Logging in against the local simulator with a generated test seal.
func ExampleAuthService_LoginWithCertificate() {
	sim := ksefsim.New()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	id, err := sim.NewTestIdentity() // random NIP + self-signed seal "VATPL-{nip}"
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	c, err := ksef.NewClient(ksef.WithBaseURL(srv.URL + ksefsim.BasePath))
	if err != nil {
		log.Fatal(err)
	}
	auth, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, nil)
	if err != nil {
		log.Fatal(err)
	}
	access, refresh := auth.TokenManager().Tokens()
	fmt.Println("access token:", access.Token)
	fmt.Println("refresh outlives access:", refresh.ValidUntil.After(access.ValidUntil))
	// Output:
	// access token: REDACTED
	// refresh outlives access: true
}

// Logging in with a KSeF token on the TEST environment (needs network).
func ExampleAuthService_LoginWithToken() {
	ctx := context.Background()
	c, err := ksef.NewClient(ksef.WithEnvironment(ksef.Test))
	if err != nil {
		log.Fatal(err)
	}
	auth, err := c.Auth.LoginWithToken(ctx, ksef.MustContext(ksef.NIPContext("5265877635")), ksef.Secret(os.Getenv("KSEF_TOKEN")), nil)
	var se *ksef.StatusError
	switch {
	case errors.Is(err, ksef.ErrAuthInvalidToken):
		log.Fatal("the token is wrong, revoked or inactive")
	case errors.As(err, &se):
		log.Fatalf("authentication failed with status %d: %s", se.Code, se.Description)
	case err != nil:
		log.Fatal(err)
	}
	defer auth.Logout(ctx)
	for s, err := range auth.AuthSessions.ListAll(ctx, nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(s.ReferenceNumber, s.AuthenticationMethodInfo.DisplayName, s.IsCurrent)
	}
}

// Loading a certificate from files and logging in to an internal-identifier
// context with the fingerprint as the identity (needs network).
func ExampleAuthService_LoginWithCertificate_files() {
	cred, err := credentials.LoadPEMFiles("cert.pem", "key.pem", os.Getenv("KEY_PASSWORD"))
	if err != nil {
		log.Fatal(err)
	}
	c, err := ksef.NewClient(ksef.WithEnvironment(ksef.Test))
	if err != nil {
		log.Fatal(err)
	}
	params := &ksef.LoginParams{
		SubjectIdentifierType: ksef.AuthSubjectCertificateFingerprint,
		AllowedIps:            &ksef.AllowedIps{Ip4Masks: []string{"192.0.2.0/24"}},
		Wait:                  &ksef.WaitOptions{MaxDelay: 5 * time.Second},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	auth, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.InternalIDContext("5265877635-00012")), cred.Certificate, cred.Signer, params)
	if err != nil {
		log.Fatal(err)
	}
	// Store the refresh token to resume later with c.Auth.Resume.
	_, refresh := auth.TokenManager().Tokens()
	fmt.Println("refresh token valid until", refresh.ValidUntil)
}

func ExampleDecodeError() {
	body := []byte(`{"exception":{"exceptionDetailList":[{"exceptionCode":21470,"exceptionDescription":"Przesłany identyfikator klucza jest nieznany lub wskazuje na wycofany klucz."}]}}`)
	err := error(ksef.DecodeError(400, http.Header{}, body))

	var ae *ksef.APIError
	if errors.As(err, &ae) {
		fmt.Println(ae.Code, "-", ae.Code.Description())
	}
	fmt.Println(ksef.IsCode(err, ksef.CodeUnknownPublicKey))
	// Output:
	// UnknownPublicKey - unknown or withdrawn public key; download the public keys again
	// true
}

func ExampleAPIError_rateLimited() {
	err := error(ksef.DecodeError(429, http.Header{"Retry-After": {"2492"}}, nil))
	var ae *ksef.APIError
	if errors.Is(err, ksef.ErrRateLimited) && errors.As(err, &ae) {
		fmt.Println("blocked for", ae.RetryAfter)
	}
	// Output:
	// blocked for 41m32s
}

func ExampleParseSystemWarnings() {
	for _, w := range ksef.ParseSystemWarnings("[sig-001]: Podpis niezgodny z profilem | [x-9]: Inny") {
		fmt.Printf("%s: %s\n", w.Code, w.Message)
	}
	// Output:
	// sig-001: Podpis niezgodny z profilem
	// x-9: Inny
}

func ExampleSecret() {
	s := ksef.Secret("eyJhbGciOi...")
	fmt.Println(s)
	slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})).Info("login", "token", s)
	// Output:
	// REDACTED
	// level=INFO msg=login token=REDACTED
}

// Generating a KSeF token in a certificate session and logging in with it,
// against the local simulator.
func ExampleTokensService_Generate() {
	sim := ksefsim.New()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	id, err := sim.NewTestIdentity()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	c, err := ksef.NewClient(ksef.WithBaseURL(srv.URL + ksefsim.BasePath))
	if err != nil {
		log.Fatal(err)
	}
	auth, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, nil)
	if err != nil {
		log.Fatal(err)
	}
	gen, err := auth.Tokens.Generate(ctx, &ksef.GenerateTokenRequest{
		Description: "ERP integration",
		Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead, ksef.TokenPermInvoiceWrite},
	})
	if err != nil {
		log.Fatal(err)
	}
	st, err := auth.Tokens.WaitActive(ctx, gen.ReferenceNumber, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token", gen.Token, "is", st.Status)

	byToken, err := c.Auth.LoginWithToken(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), gen.Token, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("logged in with the token:", byToken.ReferenceNumber != "")
	// Output:
	// token REDACTED is Active
	// logged in with the token: true
}

// Storing the tokens of a login and resuming later without logging in
// again (needs network).
func ExampleAuthService_Resume() {
	ctx := context.Background()
	c, err := ksef.NewClient(ksef.WithEnvironment(ksef.Test))
	if err != nil {
		log.Fatal(err)
	}
	// Tokens saved earlier from auth.TokenManager().Tokens(); TokenInfo
	// marshals to JSON with the token value, so keep the file private.
	var saved struct{ Access, Refresh ksef.TokenInfo }
	auth := c.Auth.Resume(saved.Access, saved.Refresh)
	auth.TokenManager().OnRefresh = func(access ksef.TokenInfo) {
		saved.Access = access // persist the renewed access token
	}
	if _, err := auth.AuthSessions.List(ctx, nil); errors.Is(err, ksef.ErrRefreshExpired) {
		log.Fatal("the refresh token expired: log in again")
	}
}

// Pacing requests with the limits KSeF reports, and handling a rate limit
// the client chose not to wait out.
func ExampleWithRateLimits() {
	c, err := ksef.NewClient(
		ksef.WithBaseURL("http://127.0.0.1:8080/v2"),
		ksef.WithRateLimits(map[ksef.RateLimitGroup]ksef.RateLimit{ksef.GroupInvoiceMetadata: {PerSecond: 8, PerMinute: 16, PerHour: 20}}),
	)
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.PublicKeys.List(context.Background())
	var pe *ksef.PacingError
	var ae *ksef.APIError
	switch {
	case errors.As(err, &pe):
		fmt.Println("budget of", pe.Group, "exhausted; retry in", pe.RetryAfter)
	case errors.As(err, &ae) && errors.Is(err, ksef.ErrRateLimited):
		fmt.Println("KSeF blocked the client for", ae.RetryAfter)
	}
}
