package ksefsim

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
)

func checkNIP(field, v string) *apiError {
	if ident.NIP(v).Validate() != nil {
		return validation("%s: nieprawidłowy NIP %q.", field, v)
	}
	return nil
}

// handleCreateSubject serves POST /testdata/subject.
func (s *Simulator) handleCreateSubject(w http.ResponseWriter, r *http.Request) *apiError {
	var req ksef.SubjectCreateRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if e := checkNIP("subjectNip", req.SubjectNip); e != nil {
		return e
	}
	switch req.SubjectType {
	case ksef.SubjectEnforcementAuthority, ksef.SubjectVatGroup, ksef.SubjectJST:
	default:
		return validation("subjectType: nieznany typ %q.", req.SubjectType)
	}
	if e := checkDescription("description", req.Description); e != nil {
		return e
	}
	var subunits []string
	for i, u := range req.Subunits {
		if e := checkNIP("subunits["+itoa(i)+"].subjectNip", u.SubjectNip); e != nil {
			return e
		}
		if e := checkDescription("subunits["+itoa(i)+"].description", u.Description); e != nil {
			return e
		}
		subunits = append(subunits, u.SubjectNip)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.subjects[req.SubjectNip] != nil {
		return badRequest(30001, "Podmiot "+req.SubjectNip+" już istnieje.")
	}
	created := s.now()
	if req.CreatedDate != nil {
		created = req.CreatedDate.UTC()
	}
	s.st.subjects[req.SubjectNip] = &testSubject{
		nip: req.SubjectNip, typ: req.SubjectType, description: req.Description,
		subunits: subunits, created: created,
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// handleRemoveSubject serves POST /testdata/subject/remove. Removing a
// subject that does not exist succeeds, so that clean-up code can run
// twice.
func (s *Simulator) handleRemoveSubject(w http.ResponseWriter, r *http.Request) *apiError {
	var req ksef.SubjectRemoveRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if e := checkNIP("subjectNip", req.SubjectNip); e != nil {
		return e
	}
	s.mu.Lock()
	delete(s.st.subjects, req.SubjectNip)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

// handleCreatePerson serves POST /testdata/person.
func (s *Simulator) handleCreatePerson(w http.ResponseWriter, r *http.Request) *apiError {
	var req ksef.PersonCreateRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if e := checkNIP("nip", req.Nip); e != nil {
		return e
	}
	if ksef.PESEL(req.Pesel).Validate() != nil {
		return validation("pesel: nieprawidłowy PESEL %q.", req.Pesel)
	}
	if e := checkDescription("description", req.Description); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.persons[req.Nip] != nil || s.st.personByPesel(req.Pesel) != nil {
		return badRequest(30001, "Osoba o NIP "+req.Nip+" lub PESEL "+req.Pesel+" już istnieje.")
	}
	created := s.now()
	if req.CreatedDate != nil {
		created = req.CreatedDate.UTC()
	}
	s.st.persons[req.Nip] = &testPerson{
		nip: req.Nip, pesel: req.Pesel, bailiff: req.IsBailiff, deceased: req.IsDeceased,
		description: req.Description, created: created,
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// handleRemovePerson serves POST /testdata/person/remove (idempotent).
func (s *Simulator) handleRemovePerson(w http.ResponseWriter, r *http.Request) *apiError {
	var req ksef.PersonRemoveRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if e := checkNIP("nip", req.Nip); e != nil {
		return e
	}
	s.mu.Lock()
	delete(s.st.persons, req.Nip)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

// testDataParties validates the context and the authorized identifier of a
// test-data grant or revocation.
func testDataParties(c ksef.TestDataContextIdentifier, a ksef.TestDataAuthorizedIdentifier) (ctxID, subjectID, *apiError) {
	if c.Type != ident.TypeNip {
		return ctxID{}, subjectID{}, validation("contextIdentifier.type: dozwolony jest tylko typ Nip.")
	}
	if e := checkNIP("contextIdentifier.value", c.Value); e != nil {
		return ctxID{}, subjectID{}, e
	}
	switch a.Type {
	case ident.TypeNip:
		if e := checkNIP("authorizedIdentifier.value", a.Value); e != nil {
			return ctxID{}, subjectID{}, e
		}
	case ident.TypePesel:
		if ksef.PESEL(a.Value).Validate() != nil {
			return ctxID{}, subjectID{}, validation("authorizedIdentifier.value: nieprawidłowy PESEL %q.", a.Value)
		}
	case ident.TypeFingerprint:
		if len(a.Value) != 64 || !isHex(a.Value) {
			return ctxID{}, subjectID{}, validation("authorizedIdentifier.value: odcisk certyfikatu musi mieć 64 znaki szesnastkowe (SHA-256).")
		}
	default:
		return ctxID{}, subjectID{}, validation("authorizedIdentifier.type: nieznany typ %q.", a.Type)
	}
	return ctxID{"Nip", c.Value}, normSubject(subjectID{string(a.Type), a.Value}), nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

var testDataPermissions = []ksef.TestDataPermissionType{
	ksef.TestDataPermInvoiceRead, ksef.TestDataPermInvoiceWrite, ksef.TestDataPermIntrospection,
	ksef.TestDataPermCredentialsRead, ksef.TestDataPermCredentialsManage, ksef.TestDataPermEnforcementOperations,
	ksef.TestDataPermSubunitManage, ksef.TestDataPermCollectiveIdentifierManage,
}

// handleGrantTestPermissions serves POST /testdata/permissions.
func (s *Simulator) handleGrantTestPermissions(w http.ResponseWriter, r *http.Request) *apiError {
	var req ksef.TestDataPermissionsGrantRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	c, sub, e := testDataParties(req.ContextIdentifier, req.AuthorizedIdentifier)
	if e != nil {
		return e
	}
	if len(req.Permissions) == 0 {
		return validation("permissions: wymagane co najmniej jedno uprawnienie.")
	}
	var perms []string
	for i, p := range req.Permissions {
		if !slices.Contains(testDataPermissions, p.PermissionType) {
			return validation("permissions[%d].permissionType: nieznane uprawnienie %q.", i, p.PermissionType)
		}
		if e := checkDescription("permissions["+itoa(i)+"].description", p.Description); e != nil {
			return e
		}
		perms = append(perms, string(p.PermissionType))
	}
	s.mu.Lock()
	s.st.grant(c, sub, perms...)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

// handleRevokeTestPermissions serves POST /testdata/permissions/revoke.
func (s *Simulator) handleRevokeTestPermissions(w http.ResponseWriter, r *http.Request) *apiError {
	var req ksef.TestDataPermissionsRevokeRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	c, sub, e := testDataParties(req.ContextIdentifier, req.AuthorizedIdentifier)
	if e != nil {
		return e
	}
	s.mu.Lock()
	s.st.revokeAll(c, sub)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

// blockTarget validates the context of a block or unblock request.
func blockTarget(c *ksef.TestDataAuthenticationContextIdentifier) (ctxID, *apiError) {
	if c == nil {
		return ctxID{}, validation("contextIdentifier: wymagana wartość.")
	}
	id := ctxID{Type: string(c.Type), Value: c.Value}
	if err := checkContextPattern(id); err != nil {
		return ctxID{}, validation("contextIdentifier: %v", err)
	}
	return id, nil
}

// handleBlockContext serves POST /testdata/context/block.
func (s *Simulator) handleBlockContext(w http.ResponseWriter, r *http.Request) *apiError {
	var req ksef.BlockContextAuthenticationRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	c, e := blockTarget(req.ContextIdentifier)
	if e != nil {
		return e
	}
	s.mu.Lock()
	s.st.blocked[c] = true
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

// handleUnblockContext serves POST /testdata/context/unblock.
func (s *Simulator) handleUnblockContext(w http.ResponseWriter, r *http.Request) *apiError {
	var req ksef.UnblockContextAuthenticationRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	c, e := blockTarget(req.ContextIdentifier)
	if e != nil {
		return e
	}
	s.mu.Lock()
	delete(s.st.blocked, c)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }

// GrantPermissions gives the subject who the permissions perms (names of
// [ksef.TestDataPermissionType] values) in context c, which may be of any
// context type. POST /testdata/permissions takes only NIP contexts; tests
// use this to let an EU-entity representative (NipVatUe) or a Peppol
// provider (PeppolId) log in, until the permission operations that grant
// those arrive.
func (s *Simulator) GrantPermissions(c ksef.ContextIdentifier, who ksef.TestDataAuthorizedIdentifier, perms ...ksef.TestDataPermissionType) error {
	ctx := ctxID{Type: string(c.Type), Value: c.Value}
	if err := checkContext(ctx); err != nil {
		return fmt.Errorf("ksefsim: GrantPermissions: %w", err)
	}
	switch who.Type {
	case ident.TypeNip:
		if ident.NIP(who.Value).Validate() != nil {
			return fmt.Errorf("ksefsim: GrantPermissions: invalid NIP %q", who.Value)
		}
	case ident.TypePesel:
		if ksef.PESEL(who.Value).Validate() != nil {
			return fmt.Errorf("ksefsim: GrantPermissions: invalid PESEL %q", who.Value)
		}
	case ident.TypeFingerprint:
		if len(who.Value) != 64 || !isHex(who.Value) {
			return fmt.Errorf("ksefsim: GrantPermissions: fingerprint %q is not 64 hex digits", who.Value)
		}
	default:
		return fmt.Errorf("ksefsim: GrantPermissions: unknown subject type %q", who.Type)
	}
	if len(perms) == 0 {
		return errors.New("ksefsim: GrantPermissions: no permissions")
	}
	names := make([]string, len(perms))
	for i, p := range perms {
		if !slices.Contains(testDataPermissions, p) {
			return fmt.Errorf("ksefsim: GrantPermissions: unknown permission %q", p)
		}
		names[i] = string(p)
	}
	s.mu.Lock()
	s.st.grant(ctx, normSubject(subjectID{string(who.Type), who.Value}), names...)
	s.mu.Unlock()
	return nil
}
