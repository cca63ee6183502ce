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
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	ref := r.PathValue("referenceNumber")
	if e := checkRef(ref); e != nil {
		return e
	}
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
