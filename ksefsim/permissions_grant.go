package ksefsim

import (
	"net/http"
	"slices"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
)

// This file holds the handlers of the seven grant operations; the
// permission store, revocation and operation status are in permissions.go.

var (
	personScopes = []string{"CredentialsManage", "CredentialsRead", "InvoiceWrite", "InvoiceRead", "Introspection",
		"SubunitManage", "EnforcementOperations", "CollectiveIdentifierManage"}
	entityScopes     = []string{"InvoiceWrite", "InvoiceRead", "CollectiveIdentifierManage"}
	authScopes       = []string{"SelfInvoicing", "RRInvoicing", "TaxRepresentative", "PefInvoicing"}
	euRepScopes      = []string{"InvoiceWrite", "InvoiceRead"}
	euAdminScopes    = []string{"VatUeManage", "InvoiceWrite", "InvoiceRead", "Introspection"}
	subunitScopes    = []string{"CredentialsManage"}
	revokePerms      = []string{"CredentialsManage", "VatUeManage", "SubunitManage"}
	credentialsPerms = []string{"CredentialsManage"}
)

// grantRequest begins a grant: it authenticates r with one of perms in a
// context of one of ctxTypes and decodes the request body, in that order.
func grantRequest[Req any](s *Simulator, r *http.Request, perms []string, ctxTypes ...string) (*principal, *Req, *apiError) {
	p, e := s.requirePermission(r, perms...)
	if e != nil {
		return nil, nil, e
	}
	if e := requireGrantContext(p, ctxTypes...); e != nil {
		return nil, nil, e
	}
	var req Req
	if e := decodeJSON(r, &req); e != nil {
		return nil, nil, e
	}
	return p, &req, nil
}

// handleGrantPersons serves POST /permissions/persons/grants.
func (s *Simulator) handleGrantPersons(w http.ResponseWriter, r *http.Request) *apiError {
	p, req, e := grantRequest[ksef.PersonPermissionsGrantRequest](s, r, credentialsPerms, "Nip", "InternalId")
	if e != nil {
		return e
	}
	sub, e := checkSubjectID("subjectIdentifier", req.SubjectIdentifier, ident.TypeNip, ident.TypePesel, ident.TypeFingerprint)
	if e != nil {
		return e
	}
	list, e := checkPersonGrant(sub, req.Permissions, personScopes, req.Description, req.SubjectDetails)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := p.ctx()
	details := req.SubjectDetails
	recs := perScope(list, permRecord{kind: pkPerson, ctx: c, subject: sub,
		author: s.author(p), authorCtx: c, description: req.Description, personDetails: &details})
	result := permOpOK
	switch {
	case s.st.isOwner(c, sub):
		result = permOpFailed(440, "Podmiot uprawniony jest właścicielem kontekstu; uprawnień właścicielskich nie nadaje się.")
	case slices.Contains(list, "EnforcementOperations") && !hasEnforcementRole(s.st.contextRoles(ctxID{"Nip", contextNIP(c)})):
		result = permOpFailed(430, "Uprawnienie EnforcementOperations wymaga roli EnforcementAuthority lub CourtBailiff podmiotu kontekstu.")
	}
	s.finishGrant(w, p, result, recs)
	return nil
}

// checkPersonGrant checks what the person and indirect grants share, in
// this order: the permissions (of allowed), the description and the person
// details for sub. It returns the permissions.
func checkPersonGrant[T ~string](sub subjectID, perms []T, allowed []string, description string, d ksef.PersonPermissionSubjectDetails) ([]string, *apiError) {
	list, e := scopes(perms, allowed...)
	if e != nil {
		return nil, e
	}
	if e := checkDescription("description", description); e != nil {
		return nil, e
	}
	if e := checkPersonDetails(sub, d); e != nil {
		return nil, e
	}
	return list, nil
}

// checkEntityGrant checks what the entity and authorization grants share,
// in this order: the permissions (of allowed), the description and the
// entity's full name.
func checkEntityGrant[T ~string](perms []T, allowed []string, description, fullName string) *apiError {
	if _, e := scopes(perms, allowed...); e != nil {
		return e
	}
	if e := checkDescription("description", description); e != nil {
		return e
	}
	if fullName == "" {
		return validation("subjectDetails.fullName: wymagana wartość.")
	}
	return nil
}

// perScope returns a record for each scope of list: copies of base, each
// with its own id.
func perScope(list []string, base permRecord) []*permRecord {
	recs := make([]*permRecord, 0, len(list))
	for _, x := range list {
		rec := base
		rec.id, rec.scope = newUUID(), x
		recs = append(recs, &rec)
	}
	return recs
}

func hasEnforcementRole(roles []ksef.EntityRoleType) bool {
	return slices.Contains(roles, ksef.EntityRoleTypeEnforcementAuthority) || slices.Contains(roles, ksef.EntityRoleTypeCourtBailiff)
}

// finishGrant answers a grant with a new operation of recs: a failed
// result stands; a successful one fails with 400 when one of recs exists
// already. Callers hold s.mu.
func (s *Simulator) finishGrant(w http.ResponseWriter, p *principal, result ksef.StatusInfo, recs []*permRecord) {
	if result.Code == permOpOK.Code {
		result = s.rejectDuplicates(recs, result)
	}
	s.startOp(w, p, result, recs, nil)
}

// rejectDuplicates turns result into 400 when one of recs exists already.
// Callers hold s.mu.
func (s *Simulator) rejectDuplicates(recs []*permRecord, result ksef.StatusInfo) ksef.StatusInfo {
	ps := s.perms()
	for _, r := range recs {
		if d := ps.duplicate(r); d != nil {
			return permOpFailed(400, "Uprawnienie "+r.scope+" dla "+r.subject.Type+":"+r.subject.Value+" już istnieje (id "+d.id+").")
		}
	}
	return result
}

// handleGrantEntities serves POST /permissions/entities/grants.
func (s *Simulator) handleGrantEntities(w http.ResponseWriter, r *http.Request) *apiError {
	p, req, e := grantRequest[ksef.EntityPermissionsGrantRequest](s, r, credentialsPerms, "Nip", "InternalId")
	if e != nil {
		return e
	}
	sub, e := checkSubjectID("subjectIdentifier", req.SubjectIdentifier, ident.TypeNip)
	if e != nil {
		return e
	}
	types := make([]ksef.EntityPermissionType, len(req.Permissions))
	for i, x := range req.Permissions {
		types[i] = x.Type
	}
	if e := checkEntityGrant(types, entityScopes, req.Description, req.SubjectDetails.FullName); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := p.ctx()
	var recs []*permRecord
	for _, x := range req.Permissions {
		recs = append(recs, &permRecord{id: newUUID(), kind: pkEntity, ctx: c, subject: sub, scope: string(x.Type),
			canDelegate: x.CanDelegate != nil && *x.CanDelegate, author: s.author(p), authorCtx: c,
			description: req.Description, entityName: req.SubjectDetails.FullName})
	}
	result := permOpOK
	if sub.Value == contextNIP(c) {
		result = permOpFailed(440, "Podmiot nie może nadać uprawnień do obsługi faktur samemu sobie.")
	}
	s.finishGrant(w, p, result, recs)
	return nil
}

// handleGrantAuthorization serves POST /permissions/authorizations/grants.
func (s *Simulator) handleGrantAuthorization(w http.ResponseWriter, r *http.Request) *apiError {
	p, req, e := grantRequest[ksef.EntityAuthorizationPermissionsGrantRequest](s, r, credentialsPerms, "Nip")
	if e != nil {
		return e
	}
	sub, e := checkSubjectID("subjectIdentifier", req.SubjectIdentifier, ident.TypeNip, ident.TypePeppolID)
	if e != nil {
		return e
	}
	if e := checkEntityGrant([]ksef.EntityAuthorizationPermissionType{req.Permission}, authScopes, req.Description, req.SubjectDetails.FullName); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := p.ctx()
	rec := &permRecord{id: newUUID(), kind: pkAuthorization, ctx: c, subject: sub, scope: string(req.Permission),
		author: s.author(p), authorCtx: c, description: req.Description, entityName: req.SubjectDetails.FullName}
	result := permOpOK
	switch {
	case sub.Type == subjNip && sub.Value == c.Value:
		result = permOpFailed(440, "Podmiot nie może nadać uprawnienia podmiotowego samemu sobie.")
	case req.Permission == ksef.EntityAuthorizationPermissionTypePefInvoicing && sub.Type != "PeppolId":
		result = permOpFailed(450, "Uprawnienie PefInvoicing nadaje się dostawcy usług Peppol (PeppolId).")
	}
	s.finishGrant(w, p, result, []*permRecord{rec})
	return nil
}

// handleGrantIndirect serves POST /permissions/indirect/grants.
func (s *Simulator) handleGrantIndirect(w http.ResponseWriter, r *http.Request) *apiError {
	p, req, e := grantRequest[ksef.IndirectPermissionsGrantRequest](s, r, credentialsPerms, "Nip")
	if e != nil {
		return e
	}
	sub, e := checkSubjectID("subjectIdentifier", req.SubjectIdentifier, ident.TypeNip, ident.TypePesel, ident.TypeFingerprint)
	if e != nil {
		return e
	}
	target := &ctxID{Type: string(ident.TypeAllPartners)}
	if t := req.TargetIdentifier; t != nil && t.Type != ident.TypeAllPartners {
		if t.Type != ident.TypeNip && t.Type != ident.TypeInternalID {
			return validation("targetIdentifier.type: niedozwolony typ %q.", t.Type)
		}
		if err := ident.Validate(t.Type, t.Value); err != nil {
			return validation("targetIdentifier.value: %v", err)
		}
		target = &ctxID{Type: string(t.Type), Value: t.Value}
	}
	list, e := checkPersonGrant(sub, req.Permissions, entityScopes, req.Description, req.SubjectDetails)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := p.ctx()
	details := req.SubjectDetails
	recs := perScope(list, permRecord{kind: pkIndirect, ctx: *target, subject: sub, target: target,
		author: s.author(p), authorCtx: c, description: req.Description, personDetails: &details})
	result := permOpOK
	if target.Type != string(ident.TypeAllPartners) {
		now := s.now()
		for _, x := range list {
			if !s.perms().delegable(*target, c.Value, x, now) {
				result = permOpFailed(410, "Klient "+target.Value+" nie nadał podmiotowi "+c.Value+" uprawnienia "+x+" z prawem do dalszego przekazywania.")
				break
			}
		}
	}
	s.finishGrant(w, p, result, recs)
	return nil
}

// handleGrantSubunit serves POST /permissions/subunits/grants.
func (s *Simulator) handleGrantSubunit(w http.ResponseWriter, r *http.Request) *apiError {
	p, req, e := grantRequest[ksef.SubunitPermissionsGrantRequest](s, r, []string{"SubunitManage"}, "Nip")
	if e != nil {
		return e
	}
	sub, e := checkSubjectID("subjectIdentifier", req.SubjectIdentifier, ident.TypeNip, ident.TypePesel, ident.TypeFingerprint)
	if e != nil {
		return e
	}
	if _, e := checkSubjectID("contextIdentifier", req.ContextIdentifier, ident.TypeInternalID, ident.TypeNip); e != nil {
		return e
	}
	unit := ctxID{Type: string(req.ContextIdentifier.Type), Value: req.ContextIdentifier.Value}
	if unit.Type == "InternalId" {
		if !ident.InternalID(unit.Value).HasValidCheckDigit() {
			return validation("contextIdentifier.value: nieprawidłowa cyfra kontrolna identyfikatora wewnętrznego %s.", unit.Value)
		}
		if req.SubunitName == "" {
			return validation("subunitName: wymagana dla jednostki podrzędnej z identyfikatorem wewnętrznym.")
		}
	}
	if req.SubunitName != "" {
		if e := checkDescription("subunitName", req.SubunitName); e != nil {
			return e
		}
	}
	if e := checkDescription("description", req.Description); e != nil {
		return e
	}
	if e := checkPersonDetails(sub, req.SubjectDetails); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := p.ctx()
	details := req.SubjectDetails
	rec := &permRecord{id: newUUID(), kind: pkSubunit, ctx: unit, subject: sub, scope: "CredentialsManage",
		author: s.author(p), authorCtx: c, description: req.Description, personDetails: &details, subunitName: req.SubunitName}
	result := permOpOK
	switch {
	case unit.Type == "InternalId" && contextNIP(unit) != c.Value:
		result = permOpFailed(410, "Identyfikator wewnętrzny "+unit.Value+" nie należy do podmiotu "+c.Value+".")
	case unit.Type == "Nip":
		parent := s.st.subjects[c.Value]
		if parent == nil || (parent.typ != ksef.SubjectVatGroup && parent.typ != ksef.SubjectJST) {
			result = permOpFailed(430, "Podmiot kontekstu nie ma roli VatGroupUnit ani LocalGovernmentUnit.")
		} else if !slices.Contains(parent.subunits, unit.Value) {
			result = permOpFailed(410, "Podmiot "+unit.Value+" nie jest podmiotem podrzędnym podmiotu "+c.Value+".")
		}
	}
	s.finishGrant(w, p, result, []*permRecord{rec})
	return nil
}

// handleGrantEUAdmin serves POST /permissions/eu-entities/administration/grants.
func (s *Simulator) handleGrantEUAdmin(w http.ResponseWriter, r *http.Request) *apiError {
	p, req, e := grantRequest[ksef.EuEntityAdministrationPermissionsGrantRequest](s, r, credentialsPerms, "Nip")
	if e != nil {
		return e
	}
	sub, e := checkSubjectID("subjectIdentifier", req.SubjectIdentifier, ident.TypeFingerprint)
	if e != nil {
		return e
	}
	if _, e := checkSubjectID("contextIdentifier", req.ContextIdentifier, ident.TypeNipVatUe); e != nil {
		return e
	}
	if e := checkDescription("description", req.Description); e != nil {
		return e
	}
	if e := checkDescription("euEntityName", req.EuEntityName); e != nil {
		return e
	}
	if e := checkEUDetails(req.SubjectDetails); e != nil {
		return e
	}
	if req.EuEntityDetails.FullName == "" || req.EuEntityDetails.Address == "" {
		return validation("euEntityDetails: wymagane fullName i address.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := p.ctx()
	eu := ctxID{Type: "NipVatUe", Value: req.ContextIdentifier.Value}
	details := req.SubjectDetails
	recs := perScope(euAdminScopes, permRecord{kind: pkEUAdmin, ctx: eu, subject: sub,
		author: s.author(p), authorCtx: c, description: req.Description, euDetails: &details})
	result := permOpOK
	if contextNIP(eu) != c.Value {
		result = permOpFailed(410, "Kontekst złożony "+eu.Value+" nie zawiera NIP podmiotu kontekstu "+c.Value+".")
	} else {
		result = s.rejectDuplicates(recs, result)
	}
	if result.Code == 200 {
		s.perms().euEntities[eu.Value] = &euEntity{name: req.EuEntityName, details: req.EuEntityDetails}
	}
	s.startOp(w, p, result, recs, nil)
	return nil
}

// handleGrantEURep serves POST /permissions/eu-entities/grants.
func (s *Simulator) handleGrantEURep(w http.ResponseWriter, r *http.Request) *apiError {
	p, req, e := grantRequest[ksef.EuEntityPermissionsGrantRequest](s, r, []string{"VatUeManage"}, "NipVatUe")
	if e != nil {
		return e
	}
	sub, e := checkSubjectID("subjectIdentifier", req.SubjectIdentifier, ident.TypeFingerprint)
	if e != nil {
		return e
	}
	list, e := scopes(req.Permissions, euRepScopes...)
	if e != nil {
		return e
	}
	if e := checkDescription("description", req.Description); e != nil {
		return e
	}
	if e := checkEUDetails(req.SubjectDetails); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := p.ctx()
	details := req.SubjectDetails
	recs := perScope(list, permRecord{kind: pkEURep, ctx: c, subject: sub,
		author: s.author(p), authorCtx: c, description: req.Description, euDetails: &details})
	s.finishGrant(w, p, permOpOK, recs)
	return nil
}
