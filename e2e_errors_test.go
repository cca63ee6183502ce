package ksef_test

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/simtest"
)

// TestE2EErrorFormats checks that the same KSeF error decodes identically
// from the legacy format and from problem details.
func TestE2EErrorFormats(t *testing.T) {
	_, baseURL := simtest.Start(t)
	req := &ksef.InitTokenAuthenticationRequest{
		Challenge:         "20250514-CR-0000000000-0000000000-00",
		ContextIdentifier: ksef.MustContext(ksef.NIPContext("5265877635")),
		EncryptedToken:    base64.StdEncoding.EncodeToString(make([]byte, 256)),
	}
	for _, pd := range []bool{false, true} {
		opts := []ksef.Option{ksef.WithBaseURL(baseURL)}
		if pd {
			opts = append(opts, ksef.WithProblemDetails())
		}
		c, err := ksef.NewClient(opts...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Auth.InitToken(t.Context(), req)
		var ae *ksef.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("problem details %v: err = %v", pd, err)
		}
		if ae.StatusCode != 400 || !ae.HasCode(ksef.CodeInvalidChallenge) || ae.Message == "" {
			t.Errorf("problem details %v: %+v", pd, ae)
		}
		if pd && ae.TraceID == "" {
			t.Errorf("problem details: no traceId")
		}

		// 401 with a garbage refresh token.
		_, err = c.Auth.Refresh(t.Context(), "garbage")
		if !errors.Is(err, ksef.ErrUnauthorized) && !ksef.IsCode(err, ksef.CodeNotAuthorized) {
			t.Errorf("problem details %v: refresh with garbage: %v", pd, err)
		}
	}
}

// TestE2ESystemWarning has the simulator echo X-Test-System-Warning as
// X-System-Warning (as KSeF TEST does) and checks that the hook sees it.
func TestE2ESystemWarning(t *testing.T) {
	_, baseURL := simtest.Start(t)
	var got []ksef.SystemWarning
	c, err := ksef.NewClient(ksef.WithBaseURL(baseURL),
		ksef.WithRequestHeader("X-Test-System-Warning", "[sig-001]: Podpis niezgodny | [w-2]: Druga"),
		ksef.WithSystemWarningHook(func(w ksef.SystemWarning) { got = append(got, w) }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth.Challenge(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Code != "sig-001" || got[1].Message != "Druga" || got[0].Path != "/auth/challenge" {
		t.Errorf("warnings %+v", got)
	}
	if _, err := ksef.NewClient(ksef.WithRequestHeader("Authorization", "x")); err == nil {
		t.Error("Authorization header accepted")
	}
}
