package democmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ksefsim"
)

// ts formats a time for the demo output.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func stepStartSimulator(ctx context.Context, s *demoState) (facts, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cannot listen on 127.0.0.1: %w", err)
	}
	sim := ksefsim.New(append([]ksefsim.Option{ksefsim.WithLogger(s.f.Logger())}, s.f.SimOptions...)...)
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sim.Serve(sctx, l)
	}()
	s.cleanup = append(s.cleanup, func() { cancel(); <-done })
	s.baseURL = ksefsim.BaseURL(l.Addr())
	s.client, err = ksef.NewClient(ksef.WithBaseURL(s.baseURL), ksef.WithLogger(s.f.Logger()))
	if err != nil {
		return nil, err
	}
	return facts{{"base URL", s.baseURL}}, nil
}

func stepCreateIdentity(_ context.Context, s *demoState) (facts, error) {
	s.nip = string(ksef.RandomNIP(nil))
	var err error
	if s.rsa, err = credentials.NewSealNIP(s.nip, &credentials.CertOptions{KeyType: credentials.RSA2048}); err != nil {
		return nil, err
	}
	if s.ec, err = credentials.NewPersonNIP(s.nip, &credentials.CertOptions{KeyType: credentials.ECP256}); err != nil {
		return nil, err
	}
	return facts{
		{"NIP", s.nip},
		{"RSA certificate", describeCert(s.rsa, "RSA 2048")},
		{"ECDSA certificate", describeCert(s.ec, "ECDSA P-256")},
	}, nil
}

// describeCert says who a TEST certificate identifies and how.
func describeCert(c *credentials.Credentials, key string) string {
	id := c.Identity()
	kind := "person"
	if id.Seal {
		kind = "company seal"
	}
	return fmt.Sprintf("%s, %s %s, %s key, SHA-256 fingerprint %s", kind, id.Kind, id.Value, key, c.Fingerprint())
}

// sessionFacts describes a fresh authenticated session.
func sessionFacts(a *ksef.AuthenticatedClient, polls []string) facts {
	access, refresh := a.TokenManager().Tokens()
	return facts{
		{"reference number", a.ReferenceNumber},
		{"status polls", strings.Join(polls, " -> ")},
		{"access token valid until", ts(access.ValidUntil)},
		{"refresh token valid until", ts(refresh.ValidUntil)},
	}
}

// waitRecorder records the statuses seen while waiting for authentication.
func waitRecorder(polls *[]string) *ksef.LoginParams {
	return &ksef.LoginParams{Wait: &ksef.WaitOptions{
		MinDelay: 50 * time.Millisecond,
		OnPoll:   func(_ int, status string) { *polls = append(*polls, status) },
	}}
}

func (s *demoState) loginCert(ctx context.Context, c *credentials.Credentials) (*ksef.AuthenticatedClient, facts, error) {
	var polls []string
	ctxID, err := ksef.NIPContext(s.nip)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.client.Auth.LoginWithCertificate(ctx, ctxID, c.Certificate, c.Signer, waitRecorder(&polls))
	if err != nil {
		return nil, nil, err
	}
	fs := append(facts{{"context", ctxID.String()}}, sessionFacts(a, polls)...)
	return a, fs, nil
}

func stepLoginRSA(ctx context.Context, s *demoState) (fs facts, err error) {
	s.rsaSess, fs, err = s.loginCert(ctx, s.rsa)
	return fs, err
}

func stepLoginECDSA(ctx context.Context, s *demoState) (fs facts, err error) {
	s.ecSess, fs, err = s.loginCert(ctx, s.ec)
	return fs, err
}

func stepGenerateToken(ctx context.Context, s *demoState) (facts, error) {
	perms := []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead, ksef.TokenPermInvoiceWrite}
	res, err := s.rsaSess.Tokens.Generate(ctx, &ksef.GenerateTokenRequest{Permissions: perms, Description: "ksef demo token"})
	if err != nil {
		return nil, err
	}
	s.ksefToken, s.tokenRef = res.Token, res.ReferenceNumber
	var polls []string
	st, err := s.rsaSess.Tokens.WaitActive(ctx, res.ReferenceNumber, &ksef.WaitOptions{
		MinDelay: 50 * time.Millisecond,
		OnPoll:   func(_ int, status string) { polls = append(polls, status) },
	})
	fs := facts{{"reference number", res.ReferenceNumber}}
	if st != nil {
		names := make([]string, len(st.RequestedPermissions))
		for i, p := range st.RequestedPermissions {
			names[i] = string(p)
		}
		fs = append(fs, fact{"permissions", strings.Join(names, ", ")}, fact{"status polls", strings.Join(polls, " -> ")})
	}
	if err != nil {
		return fs, err
	}
	return append(fs, fact{"KSeF token", "generated (its value is never printed)"}), nil
}

func stepLoginToken(ctx context.Context, s *demoState) (facts, error) {
	if s.ksefToken == "" {
		return nil, errors.New("no KSeF token")
	}
	var polls []string
	ctxID, err := ksef.NIPContext(s.nip)
	if err != nil {
		return nil, err
	}
	a, err := s.client.Auth.LoginWithToken(ctx, ctxID, s.ksefToken, waitRecorder(&polls))
	if err != nil {
		return nil, err
	}
	s.tokenSess = a
	return append(facts{{"KSeF token reference", s.tokenRef}}, sessionFacts(a, polls)...), nil
}

func stepRefresh(ctx context.Context, s *demoState) (facts, error) {
	tm := s.tokenSess.TokenManager()
	before, _ := tm.Tokens()
	if _, err := tm.Refresh(ctx, before.Token); err != nil {
		return nil, err
	}
	after, _ := tm.Tokens()
	if after.Token == before.Token {
		return nil, errors.New("the access token did not change")
	}
	return facts{
		// The validity times may print alike (both issued within the same
		// second): say that the token itself changed.
		{"access token", "replaced by a new one (values never printed)"},
		{"old access token valid until", ts(before.ValidUntil)},
		{"new access token valid until", ts(after.ValidUntil)},
	}, nil
}

func stepListSessions(ctx context.Context, s *demoState) (facts, error) {
	var fs facts
	n, current := 0, ""
	for it, err := range s.tokenSess.AuthSessions.ListAll(ctx, nil) {
		if err != nil {
			return fs, err
		}
		n++
		v := fmt.Sprintf("%s: %s, status %d, started %s", it.ReferenceNumber, it.AuthenticationMethodInfo.Code, it.Status.Code, ts(it.StartDate))
		if it.IsCurrent {
			v += " (current)"
			current = it.ReferenceNumber
		}
		fs = append(fs, fact{fmt.Sprintf("session %d", n), v})
	}
	fs = append(facts{{"sessions", fmt.Sprint(n)}}, fs...)
	switch {
	case n < 3:
		return fs, fmt.Errorf("expected the 3 sessions of this demo, got %d", n)
	case current != s.tokenSess.ReferenceNumber:
		return fs, fmt.Errorf("current session is %q, want %s", current, s.tokenSess.ReferenceNumber)
	}
	return fs, nil
}
