package ksef_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/simtest"
	"github.com/ksef2/ksef/ksefsim"
)

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of the
// client's and the simulator's loggers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestE2ENoSecretsInDebugLog runs every authentication flow with the
// client and the simulator logging at debug level, including failures,
// retries and a refresh after 401, and checks that no token, key or
// password material reaches the log.
func TestE2ENoSecretsInDebugLog(t *testing.T) {
	var logBuf lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := ksefsim.NewManualClock(time.Now())
	sim, baseURL := simtest.Start(t, ksefsim.WithLogger(logger), ksefsim.WithClock(clock.Now))
	c, err := ksef.NewClient(ksef.WithBaseURL(baseURL), ksef.WithLogger(logger),
		ksef.WithRetry(ksef.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var secrets []string
	addTokens := func(a *ksef.AuthenticatedClient) {
		access, refresh := a.TokenManager().Tokens()
		secrets = append(secrets, access.Token.Reveal(), refresh.Token.Reveal())
	}

	id, a := loginSeal(t, sim, c)
	addTokens(a)
	keyDER, err := x509.MarshalPKCS8PrivateKey(id.Signer)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, base64.StdEncoding.EncodeToString(keyDER)[:40])

	gen, err := a.Tokens.Generate(ctx, &ksef.GenerateTokenRequest{Description: "log test",
		Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, gen.Token.Reveal())
	if _, err := a.Tokens.WaitActive(ctx, gen.ReferenceNumber, fastWait); err != nil {
		t.Fatal(err)
	}
	// A transient failure of the token login is retried.
	sim.Faults().Fail("POST /auth/challenge", 1, ksefsim.Fault{Status: 503})
	b, err := c.Auth.LoginWithToken(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), gen.Token, &ksef.LoginParams{Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	addTokens(b)
	// The access token expires on the server: 401, refresh, retry.
	clock.Advance(16 * time.Minute)
	if _, err := b.AuthSessions.List(ctx, nil); err != nil {
		t.Fatal(err)
	}
	addTokens(b)
	_, aRefresh := a.TokenManager().Tokens()
	res, err := c.Auth.Refresh(ctx, aRefresh.Token)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, res.AccessToken.Token.Reveal())
	// Failures: a wrong KSeF token, a revoked refresh token.
	if _, err := c.Auth.LoginWithToken(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), "not-a-token-but-secret", &ksef.LoginParams{Wait: fastWait}); err == nil {
		t.Fatal("wrong KSeF token accepted")
	}
	secrets = append(secrets, "not-a-token-but-secret")
	if err := a.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth.Refresh(ctx, aRefresh.Token); err == nil {
		t.Fatal("revoked refresh token accepted")
	}

	out := logBuf.String()
	if !strings.Contains(out, "/auth/token/refresh") || !strings.Contains(out, "ksefsim") {
		t.Fatalf("debug log does not record the exchanges:\n%s", out)
	}
	for _, s := range secrets {
		if s == "" {
			t.Fatal("empty secret collected")
		}
		if strings.Contains(out, s) {
			t.Errorf("secret %.12s… in the debug log", s)
		}
	}
	if m := jwtLike.FindString(out); m != "" {
		t.Errorf("JWT-like text in the debug log: %.20s…", m)
	}
	if strings.Contains(out, "PRIVATE KEY") {
		t.Error("private key in the debug log")
	}
}
