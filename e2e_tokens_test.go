package ksef_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ksef2/ksef"
)

// TestE2ETokensListAndRevoke lists tokens page by page with filters and
// revokes one, against the simulator through the contract harness.
func TestE2ETokensListAndRevoke(t *testing.T) {
	sim, c := simClient(t)
	id, a := loginSeal(t, sim, c)
	ctx := t.Context()
	var refs []string
	var secret ksef.Secret
	for i := range 12 {
		desc := fmt.Sprintf("list token %02d", i)
		if i%4 == 0 {
			desc = fmt.Sprintf("special token %02d", i)
		}
		gen, err := a.Tokens.Generate(ctx, &ksef.GenerateTokenRequest{Description: desc, Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}})
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, gen.ReferenceNumber)
		secret = gen.Token
	}
	page, err := a.Tokens.List(ctx, &ksef.ListTokensParams{PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tokens) != 10 || page.ContinuationToken == "" {
		t.Fatalf("first page: %d tokens, continuation %q", len(page.Tokens), page.ContinuationToken)
	}
	var all []ksef.QueryTokensResponseItem
	for tok, err := range a.Tokens.ListAll(ctx, &ksef.ListTokensParams{PageSize: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, tok)
	}
	if len(all) != len(refs) {
		t.Fatalf("ListAll: %d tokens, want %d", len(all), len(refs))
	}
	for i := 1; i < len(all); i++ {
		if all[i].DateCreated.After(all[i-1].DateCreated) {
			t.Errorf("not newest first at %d", i)
		}
	}
	var special int
	for tok, err := range a.Tokens.ListAll(ctx, &ksef.ListTokensParams{Description: "SPECIAL"}) {
		if err != nil {
			t.Fatal(err)
		}
		if tok.Description[:7] != "special" {
			t.Errorf("description filter let %q through", tok.Description)
		}
		special++
	}
	if special != 3 {
		t.Errorf("description filter: %d tokens, want 3", special)
	}
	if _, err := a.Tokens.List(ctx, &ksef.ListTokensParams{Description: "ab"}); err == nil {
		t.Error("a 2-character description filter was sent")
	}

	// Revoke the last token: it is listed as Revoked and no longer logs in.
	last := refs[len(refs)-1]
	if err := a.Tokens.Revoke(ctx, last); err != nil {
		t.Fatal(err)
	}
	st, err := a.Tokens.Status(ctx, last)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != ksef.TokenRevoked {
		t.Errorf("status after revoke: %s", st.Status)
	}
	revoked, err := a.Tokens.List(ctx, &ksef.ListTokensParams{Statuses: []ksef.AuthenticationTokenStatus{ksef.TokenRevoked}})
	if err != nil {
		t.Fatal(err)
	}
	if len(revoked.Tokens) != 1 || revoked.Tokens[0].ReferenceNumber != last {
		t.Errorf("revoked filter: %+v", revoked.Tokens)
	}
	if _, err := c.Auth.LoginWithToken(ctx, ksef.MustContext(ksef.NIPContext(id.NIP)), secret, &ksef.LoginParams{Wait: fastWait}); !errors.Is(err, ksef.ErrAuthInvalidToken) {
		t.Errorf("login with a revoked token: %v", err)
	}
	// An unknown token cannot be revoked (400/21405).
	var apiErr *ksef.APIError
	if err := a.Tokens.Revoke(ctx, "20260101-KT-0123456789-ABCDEF0123-00"); !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Errorf("revoke unknown: %v", err)
	}
}
