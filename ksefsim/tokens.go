package ksefsim

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ksef2/ksef"
)

var tokenPermissions = []string{
	"InvoiceRead", "InvoiceWrite", "CredentialsRead", "CredentialsManage",
	"SubunitManage", "EnforcementOperations", "Introspection", "CollectiveIdentifierManage",
}

// checkDescription validates a description of 5-256 characters.
func checkDescription(field, d string) *apiError {
	if n := utf8.RuneCountInString(d); n < 5 || n > 256 {
		return validation("%s: wymagana długość 5-256 znaków, otrzymano %d.", field, n)
	}
	return nil
}

// handleGenerateToken serves POST /tokens.
func (s *Simulator) handleGenerateToken(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	var req ksef.GenerateTokenRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if e := checkDescription("description", req.Description); e != nil {
		return e
	}
	if len(req.Permissions) == 0 {
		return validation("permissions: wymagane co najmniej jedno uprawnienie.")
	}
	perms := make([]string, 0, len(req.Permissions))
	for _, x := range req.Permissions {
		if !slices.Contains(tokenPermissions, string(x)) {
			return validation("permissions: nieznane uprawnienie %q.", x)
		}
		perms = append(perms, string(x))
	}
	slices.Sort(perms)
	perms = slices.Compact(perms)
	c := p.ctx()
	if c.Type != "Nip" && c.Type != "InternalId" {
		return badRequest(26002, "Bieżący typ kontekstu: "+c.Type+". Dozwolone typy kontekstu: Nip, InternalId.")
	}
	var missing []string
	for _, x := range perms {
		if !slices.Contains(p.claims.Permissions, x) {
			missing = append(missing, x)
		}
	}
	if len(missing) > 0 {
		return badRequest(26001, "Brakujące uprawnienia: "+strings.Join(missing, ", ")+".")
	}
	now := s.now()
	ref := newRef(now, KindToken)
	var rnd [32]byte
	_, _ = rand.Read(rnd[:])
	prefix := "nip-"
	if c.Type == "InternalId" {
		prefix = "internalId-"
	}
	secret := ref + "|" + prefix + c.Value + "|" + hex.EncodeToString(rnd[:])
	s.mu.Lock()
	author := p.op.subject
	if p.op.tokenRef != "" {
		// A token-authenticated caller creates tokens on behalf of the
		// author of its own token.
		if t := s.st.tokens[p.op.tokenRef]; t != nil {
			author = t.author
		}
	}
	t := &ksefToken{
		ref:         ref,
		secretHash:  sha256.Sum256([]byte(secret)),
		ctx:         c,
		author:      author,
		description: req.Description,
		perms:       perms,
		created:     now,
		activeAt:    now.Add(s.cfg.processingDelay),
	}
	s.st.tokens[ref] = t
	s.st.tokenBySecret[t.secretHash] = t
	s.mu.Unlock()
	writeOK(w, http.StatusAccepted, ksef.GenerateTokenResponse{ReferenceNumber: ref, Token: ksef.Secret(secret)})
	return nil
}

// handleTokenStatus serves GET /tokens/{referenceNumber}.
func (s *Simulator) handleTokenStatus(w http.ResponseWriter, r *http.Request) *apiError {
	p, refs, e := s.requireRefs(r, nil, "referenceNumber")
	if e != nil {
		return e
	}
	ref := refs[0]
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.tokens[ref]
	if t == nil || t.ctx != p.ctx() {
		return validation("Token o numerze referencyjnym %s nie został znaleziony.", ref)
	}
	writeOK(w, http.StatusOK, tokenStatusBody(t, now))
	return nil
}

func tokenStatusBody(t *ksefToken, now time.Time) ksef.TokenStatusResponse {
	perms := make([]ksef.TokenPermissionType, 0, len(t.perms))
	for _, x := range t.perms {
		perms = append(perms, ksef.TokenPermissionType(x))
	}
	return ksef.TokenStatusResponse{
		ReferenceNumber:      t.ref,
		AuthorIdentifier:     ksef.TokenAuthorIdentifierTypeIdentifier{Type: ksef.TokenAuthorIdentifierType(t.author.Type), Value: t.author.Value},
		ContextIdentifier:    ksef.TokenContextIdentifierTypeIdentifier{Type: ksef.TokenContextIdentifierType(t.ctx.Type), Value: t.ctx.Value},
		Description:          t.description,
		RequestedPermissions: perms,
		DateCreated:          t.created,
		LastUseDate:          t.lastUse,
		Status:               t.status(now),
	}
}

// tokenVisible reports whether the caller p may see (or, with manage, revoke)
// token t, following the rules of GET and DELETE /tokens: with
// CredentialsManage (or, for reading, CredentialsRead) every token of the
// context; a caller authenticated with a KSeF token only that token; anyone
// else the tokens they generated. The NIP–PESEL link KSeF also applies is
// not modelled. Callers hold s.mu.
func (s *Simulator) tokenVisible(p *principal, t *ksefToken, manage bool) bool {
	if t.ctx != p.ctx() {
		return false
	}
	if p.hasAny("CredentialsManage") || (!manage && p.hasAny("CredentialsRead")) {
		return true
	}
	if p.op.tokenRef != "" {
		return t.ref == p.op.tokenRef
	}
	return normSubject(t.author) == normSubject(p.op.subject)
}

// handleListTokens serves GET /tokens: the tokens the caller may see,
// newest first, filtered by status, description and author, in pages
// joined by a continuation token.
func (s *Simulator) handleListTokens(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	size, offset, e := pageParams(r, 100, "tokens")
	if e != nil {
		return e
	}
	q := r.URL.Query()
	var statuses []ksef.AuthenticationTokenStatus
	for _, v := range q["status"] {
		switch st := ksef.AuthenticationTokenStatus(v); st {
		case ksef.TokenPending, ksef.TokenActive, ksef.TokenRevoking, ksef.TokenRevoked, ksef.TokenFailed:
			statuses = append(statuses, st)
		default:
			return validation("status: nieznana wartość %q.", v)
		}
	}
	desc, author, authorType := q.Get("description"), q.Get("authorIdentifier"), q.Get("authorIdentifierType")
	if q.Has("description") && utf8.RuneCountInString(desc) < 3 {
		return validation("description: wymagane co najmniej 3 znaki.")
	}
	if q.Has("authorIdentifier") && utf8.RuneCountInString(author) < 3 {
		return validation("authorIdentifier: wymagane co najmniej 3 znaki.")
	}
	switch authorType {
	case "", subjNip, subjPesel, subjFingerprint:
	default:
		return validation("authorIdentifierType: nieznana wartość %q.", authorType)
	}
	now := s.now()
	s.mu.Lock()
	var found []*ksefToken
	for _, t := range s.st.tokens {
		switch {
		case !s.tokenVisible(p, t, false),
			len(statuses) > 0 && !slices.Contains(statuses, t.status(now)),
			desc != "" && !strings.Contains(strings.ToLower(t.description), strings.ToLower(desc)),
			authorType != "" && t.author.Type != authorType,
			author != "" && !strings.Contains(strings.ToLower(t.author.Value), strings.ToLower(author)):
			continue
		}
		found = append(found, t)
	}
	slices.SortFunc(found, func(a, b *ksefToken) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return strings.Compare(b.ref, a.ref)
	})
	pg, next := page(found, offset, size, "tokens")
	out := ksef.QueryTokensResponse{Tokens: []ksef.QueryTokensResponseItem{}, ContinuationToken: next}
	for _, t := range pg {
		st := tokenStatusBody(t, now)
		out.Tokens = append(out.Tokens, ksef.QueryTokensResponseItem{
			ReferenceNumber:      st.ReferenceNumber,
			AuthorIdentifier:     st.AuthorIdentifier,
			ContextIdentifier:    st.ContextIdentifier,
			Description:          st.Description,
			RequestedPermissions: st.RequestedPermissions,
			DateCreated:          st.DateCreated,
			LastUseDate:          st.LastUseDate,
			Status:               st.Status,
		})
	}
	s.mu.Unlock()
	writeOK(w, http.StatusOK, out)
	return nil
}

// handleRevokeToken serves DELETE /tokens/{referenceNumber}: the token
// ends in state Revoked at once (KSeF passes through Revoking) and no
// longer authenticates.
func (s *Simulator) handleRevokeToken(w http.ResponseWriter, r *http.Request) *apiError {
	p, refs, e := s.requireRefs(r, nil, "referenceNumber")
	if e != nil {
		return e
	}
	ref := refs[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.tokens[ref]
	if t == nil || !s.tokenVisible(p, t, true) {
		return validation("Token o numerze referencyjnym %s nie został znaleziony.", ref)
	}
	if t.final == "" || t.final == ksef.TokenRevoking {
		t.final = ksef.TokenRevoked
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
