package ksefsim

import (
	"net/http"
	"slices"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
)

// KindPermission is the kind of the reference number of a permission grant
// or revoke operation.
const KindPermission = "EG"

// permissionOpRetention is how long KSeF keeps the status of a permission
// operation (afterwards GET /permissions/operations/{ref} answers 410).
const permissionOpRetention = 30 * 24 * time.Hour

// permKind is the family of a permission record: which grant operation
// made it, which revoke operation removes it and which queries list it.
type permKind int

const (
	pkPerson        permKind = iota // POST /permissions/persons/grants
	pkEntity                        // POST /permissions/entities/grants
	pkAuthorization                 // POST /permissions/authorizations/grants
	pkIndirect                      // POST /permissions/indirect/grants
	pkSubunit                       // POST /permissions/subunits/grants
	pkEUAdmin                       // POST /permissions/eu-entities/administration/grants
	pkEURep                         // POST /permissions/eu-entities/grants
)

// permRecord is one permission (one scope) granted by a permission
// operation. It takes effect at activeAt (when its operation ends with
// 200) and stops at revokedAt (when a revoke operation ends), if set.
type permRecord struct {
	id          string
	kind        permKind
	ctx         ctxID     // the context the permission acts in (the granting entity for entity and authorization grants)
	subject     subjectID // who holds it: Nip, Pesel, Fingerprint (PeppolId for authorizations)
	scope       string
	canDelegate bool
	target      *ctxID // indirect grants: the client (Nip, InternalId) or Type AllPartners
	author      subjectID
	authorCtx   ctxID // the context the grant was made in
	description string
	start       time.Time
	activeAt    time.Time
	revokedAt   time.Time
	revokeRef   string // the successful revoke operation

	personDetails *ksef.PersonPermissionSubjectDetails
	euDetails     *ksef.EuEntityPermissionSubjectDetails
	entityName    string // entity and authorization grants
	subunitName   string
}

// active reports whether r is in force at now.
func (r *permRecord) active(now time.Time) bool {
	return !now.Before(r.activeAt) && (r.revokedAt.IsZero() || now.Before(r.revokedAt))
}

// pending reports whether r is granted and not revoked (even if its
// operation has not ended yet): a second grant of it is a duplicate.
func (r *permRecord) pending() bool { return r.revokedAt.IsZero() }

// permOp is a permission grant or revoke operation.
type permOp struct {
	ref     string
	ctx     ctxID // the context the operation was requested in
	created time.Time
	readyAt time.Time
	result  ksef.StatusInfo
}

// euEntity is an EU entity registered by an administrator grant.
type euEntity struct {
	name    string
	details ksef.EuEntityDetails
}

// attachmentConsent is the attachment opt-in of a NIP.
type attachmentConsent struct {
	allowed bool
	revoked *time.Time
}

// permStore is the simulator's memory of permission records, permission
// operations and attachment consents; guarded by Simulator.mu.
type permStore struct {
	now         func() time.Time
	records     []*permRecord
	byID        map[string]*permRecord
	ops         map[string]*permOp
	euEntities  map[string]*euEntity // by NipVatUe value
	attachments map[string]*attachmentConsent
}

// perms returns the permission store, creating it on first use. Callers
// hold s.mu.
func (s *Simulator) perms() *permStore {
	if s.st.permSt == nil {
		s.st.permSt = &permStore{
			now:         s.now,
			byID:        map[string]*permRecord{},
			ops:         map[string]*permOp{},
			euEntities:  map[string]*euEntity{},
			attachments: map[string]*attachmentConsent{},
		}
	}
	return s.st.permSt
}

// held returns the permissions sub holds in context c through permission
// records in force: direct grants (persons, entities, subunit and EU
// administrators, EU representatives) and indirect grants whose chain
// (a delegable entity grant of the client to the intermediary) holds.
func (ps *permStore) held(c ctxID, sub subjectID) []string {
	now := ps.now()
	var out []string
	for _, r := range ps.records {
		if !r.active(now) || r.subject != sub {
			continue
		}
		switch r.kind {
		case pkPerson, pkEntity, pkSubunit, pkEUAdmin, pkEURep:
			if r.ctx == c {
				out = append(out, r.scope)
			}
		case pkIndirect:
			if ps.indirectApplies(r, c, now) {
				out = append(out, r.scope)
			}
		}
	}
	return out
}

// indirectApplies reports whether the indirect grant r gives its holder
// its scope in client context c: c is its target (or any client, for a
// general grant) and the client granted the intermediary a delegable
// entity permission of that scope that is in force.
func (ps *permStore) indirectApplies(r *permRecord, c ctxID, now time.Time) bool {
	if r.target != nil && r.target.Type != string(ident.TypeAllPartners) && *r.target != c {
		return false
	}
	return ps.delegable(c, contextNIP(r.authorCtx), r.scope, now)
}

// delegable reports whether client context c granted the entity nip the
// entity permission scope with canDelegate (any scope when scope is "").
func (ps *permStore) delegable(c ctxID, nip, scope string, now time.Time) bool {
	for _, e := range ps.records {
		if e.kind == pkEntity && e.active(now) && e.canDelegate && e.ctx == c &&
			e.subject == (subjectID{subjNip, nip}) && (scope == "" || e.scope == scope) {
			return true
		}
	}
	return false
}

// add stores new records.
func (ps *permStore) add(rs ...*permRecord) {
	for _, r := range rs {
		ps.records = append(ps.records, r)
		ps.byID[r.id] = r
	}
}

// duplicate returns a record in force or pending that r would duplicate.
func (ps *permStore) duplicate(r *permRecord) *permRecord {
	for _, e := range ps.records {
		if e.pending() && e.kind == r.kind && e.ctx == r.ctx && e.subject == r.subject && e.scope == r.scope &&
			e.authorCtx == r.authorCtx && sameTarget(e.target, r.target) {
			return e
		}
	}
	return nil
}

func sameTarget(a, b *ctxID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// Permission operation statuses.
var (
	permOpInProgress = ksef.StatusInfo{Code: 100, Description: "Operacja przyjęta do realizacji"}
	permOpOK         = ksef.StatusInfo{Code: 200, Description: "Operacja zakończona sukcesem"}
)

func permOpFailed(code int32, details ...string) ksef.StatusInfo {
	desc := map[int32]string{
		400: "Operacja zakończona niepowodzeniem",
		410: "Podane identyfikatory są niezgodne lub pozostają w niewłaściwej relacji",
		420: "Użyte poświadczenia nie mają uprawnień do wykonania tej operacji",
		430: "Kontekst identyfikatora nie odpowiada wymaganej roli lub uprawnieniom",
		440: "Operacja niedozwolona dla wskazanych powiązań identyfikatorów",
		450: "Operacja niedozwolona dla wskazanego identyfikatora lub jego typu",
	}[code]
	return ksef.StatusInfo{Code: code, Description: desc, Details: details}
}

// startOp records a permission operation of caller p that ends with
// result after the processing delay, and answers 202 with its reference
// number. On success, records become active and revoked records stop when
// the operation ends. Callers hold s.mu.
func (s *Simulator) startOp(w http.ResponseWriter, p *principal, result ksef.StatusInfo, grant []*permRecord, revoke []*permRecord) {
	s.writeOp(w, s.newOp(p, result, grant, revoke))
}

// writeOp answers 202 with the reference number of op.
func (s *Simulator) writeOp(w http.ResponseWriter, op *permOp) {
	writeOK(w, http.StatusAccepted, ksef.PermissionsOperationResponse{ReferenceNumber: op.ref})
}

// newOp records a permission operation (see startOp). Callers hold s.mu.
func (s *Simulator) newOp(p *principal, result ksef.StatusInfo, grant []*permRecord, revoke []*permRecord) *permOp {
	now := s.now()
	ps := s.perms()
	op := &permOp{ref: newRef(now, KindPermission), ctx: p.ctx(), created: now, readyAt: now.Add(s.cfg.processingDelay), result: result}
	ps.ops[op.ref] = op
	if result.Code == 200 {
		for _, r := range grant {
			r.start = now
			r.activeAt = op.readyAt
		}
		ps.add(grant...)
		for _, r := range revoke {
			r.revokedAt = op.readyAt
			r.revokeRef = op.ref
		}
	}
	return op
}

// requireGrantContext checks that the caller's context is of one of the
// given types (403 context-type-not-allowed otherwise).
func requireGrantContext(p *principal, types ...string) *apiError {
	if c := p.ctx(); !slices.Contains(types, c.Type) {
		return forbidden(ksef.ReasonContextTypeNotAllowed,
			"Operacja nie jest dostępna dla uwierzytelnionego typu kontekstu "+c.Type+".",
			map[string]any{"contextIdentifierType": c.Type})
	}
	return nil
}

// author returns the identity that grants: the authenticated subject (for
// a KSeF token, its author).
func (s *Simulator) author(p *principal) subjectID {
	if p.op.tokenRef != "" {
		if t := s.st.tokens[p.op.tokenRef]; t != nil {
			return t.author
		}
	}
	return normSubject(p.op.subject)
}

// checkSubjectID validates a subject identifier of one of the allowed
// types (400/21405 otherwise) and returns it normalised.
func checkSubjectID(field string, id ident.Identifier, allowed ...ident.Type) (subjectID, *apiError) {
	if !slices.Contains(allowed, id.Type) {
		return subjectID{}, validation("%s.type: niedozwolony typ %q.", field, id.Type)
	}
	switch id.Type {
	case ident.TypeFingerprint:
		if len(id.Value) != 64 || !isHex(id.Value) {
			return subjectID{}, validation("%s.value: odcisk certyfikatu musi mieć 64 znaki szesnastkowe (SHA-256).", field)
		}
	default:
		if err := ident.Validate(id.Type, id.Value); err != nil {
			return subjectID{}, validation("%s.value: %v", field, err)
		}
	}
	return normSubject(subjectID{string(id.Type), id.Value}), nil
}

// checkPersonDetails validates the person details variant of a grant.
func checkPersonDetails(sub subjectID, d ksef.PersonPermissionSubjectDetails) *apiError {
	switch d.SubjectDetailsType {
	case ksef.PersonPermissionSubjectDetailsTypePersonByIdentifier:
		if d.PersonByID == nil {
			return validation("subjectDetails.personById: wymagane dla PersonByIdentifier.")
		}
		if sub.Type == subjFingerprint {
			return validation("subjectDetails.subjectDetailsType: PersonByIdentifier wymaga identyfikatora NIP lub PESEL.")
		}
	case ksef.PersonPermissionSubjectDetailsTypePersonByFingerprintWithIdentifier:
		if d.PersonByFpWithID == nil {
			return validation("subjectDetails.personByFpWithId: wymagane dla PersonByFingerprintWithIdentifier.")
		}
		if sub.Type != subjFingerprint {
			return validation("subjectDetails.subjectDetailsType: %s wymaga odcisku palca certyfikatu.", d.SubjectDetailsType)
		}
	case ksef.PersonPermissionSubjectDetailsTypePersonByFingerprintWithoutIdentifier:
		if d.PersonByFpNoID == nil {
			return validation("subjectDetails.personByFpNoId: wymagane dla PersonByFingerprintWithoutIdentifier.")
		}
		if sub.Type != subjFingerprint {
			return validation("subjectDetails.subjectDetailsType: %s wymaga odcisku palca certyfikatu.", d.SubjectDetailsType)
		}
	default:
		return validation("subjectDetails.subjectDetailsType: nieznany typ %q.", d.SubjectDetailsType)
	}
	return nil
}

// checkEUDetails validates the subject details variant of an EU grant.
func checkEUDetails(d ksef.EuEntityPermissionSubjectDetails) *apiError {
	ok := false
	switch d.SubjectDetailsType {
	case ksef.EuEntityPermissionSubjectDetailsTypePersonByFingerprintWithIdentifier:
		ok = d.PersonByFpWithID != nil
	case ksef.EuEntityPermissionSubjectDetailsTypePersonByFingerprintWithoutIdentifier:
		ok = d.PersonByFpNoID != nil
	case ksef.EuEntityPermissionSubjectDetailsTypeEntityByFingerprint:
		ok = d.EntityByFp != nil
	default:
		return validation("subjectDetails.subjectDetailsType: nieznany typ %q.", d.SubjectDetailsType)
	}
	if !ok {
		return validation("subjectDetails: brak danych dla %s.", d.SubjectDetailsType)
	}
	return nil
}

// scopes validates a list of permission names against allowed: at least
// one, each known, none twice.
func scopes[T ~string](list []T, allowed ...string) ([]string, *apiError) {
	if len(list) == 0 {
		return nil, validation("permissions: wymagane co najmniej jedno uprawnienie.")
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		if !slices.Contains(allowed, string(x)) {
			return nil, validation("permissions: niedozwolone uprawnienie %q.", x)
		}
		if slices.Contains(out, string(x)) {
			return nil, validation("permissions: uprawnienie %q podano więcej niż raz.", x)
		}
		out = append(out, string(x))
	}
	return out, nil
}

// contextRoles returns the roles of the entity of context c.
func (st *state) contextRoles(c ctxID) []ksef.EntityRoleType {
	if c.Type != "Nip" {
		return nil
	}
	var roles []ksef.EntityRoleType
	if p := st.persons[c.Value]; p != nil && p.bailiff {
		roles = append(roles, ksef.EntityRoleTypeCourtBailiff)
	}
	if sub := st.subjects[c.Value]; sub != nil {
		switch sub.typ {
		case ksef.SubjectEnforcementAuthority:
			roles = append(roles, ksef.EntityRoleTypeEnforcementAuthority)
		case ksef.SubjectVatGroup:
			roles = append(roles, ksef.EntityRoleTypeVatGroupUnit)
		case ksef.SubjectJST:
			roles = append(roles, ksef.EntityRoleTypeLocalGovernmentUnit)
		}
	}
	if parent := st.parentOf(c.Value); parent != nil {
		if parent.typ == ksef.SubjectVatGroup {
			roles = append(roles, ksef.EntityRoleTypeVatGroupSubUnit)
		} else if parent.typ == ksef.SubjectJST {
			roles = append(roles, ksef.EntityRoleTypeLocalGovernmentSubUnit)
		}
	}
	return roles
}

// parentOf returns the VAT group or JST that has nip as a subunit.
func (st *state) parentOf(nip string) *testSubject {
	for _, s := range st.subjects {
		if slices.Contains(s.subunits, nip) {
			return s
		}
	}
	return nil
}

// permissionID reads and checks the permissionId path value.
func permissionID(r *http.Request) (string, *apiError) {
	id := r.PathValue("permissionId")
	if len(id) != 36 {
		return "", validation("permissionId: wymagana wartość o długości 36 znaków.")
	}
	return id, nil
}

// revocable reports whether the caller p may revoke r: it acts in the
// caller's context, or was granted from it (indirect, subunit and EU
// administrator grants), and the caller holds the permission that manages
// its family.
func revocable(p *principal, r *permRecord) bool {
	c := p.ctx()
	switch r.kind {
	case pkPerson, pkEntity:
		return r.ctx == c && p.hasAny("CredentialsManage")
	case pkIndirect:
		return r.authorCtx == c && p.hasAny("CredentialsManage")
	case pkSubunit:
		return (r.authorCtx == c && p.hasAny("SubunitManage", "CredentialsManage")) || (r.ctx == c && p.hasAny("CredentialsManage"))
	case pkEUAdmin:
		return r.authorCtx == c && p.hasAny("CredentialsManage")
	case pkEURep:
		return r.ctx == c && p.hasAny("VatUeManage")
	case pkAuthorization:
		return r.ctx == c && p.hasAny("CredentialsManage")
	}
	return false
}

// handleRevokePermission serves DELETE /permissions/common/grants/{permissionId}.
func (s *Simulator) handleRevokePermission(w http.ResponseWriter, r *http.Request) *apiError {
	return s.revoke(w, r, revokePerms, false)
}

// handleRevokeAuthorization serves DELETE /permissions/authorizations/grants/{permissionId}.
func (s *Simulator) handleRevokeAuthorization(w http.ResponseWriter, r *http.Request) *apiError {
	return s.revoke(w, r, credentialsPerms, true)
}

// revoke starts a revoke operation of the permission in the path: 400/21405
// for an unknown id or one of the other family; the operation ends with
// 420 when the caller may not revoke it. Revoking a permission again
// answers with the operation that revoked it (while its status is kept),
// so that a DELETE repeated after a lost answer is harmless.
func (s *Simulator) revoke(w http.ResponseWriter, r *http.Request, perms []string, authorization bool) *apiError {
	p, e := s.requirePermission(r, perms...)
	if e != nil {
		return e
	}
	id, e := permissionID(r)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.perms()
	rec := ps.byID[id]
	if rec != nil && rec.revokeRef != "" && revocable(p, rec) {
		if op := ps.ops[rec.revokeRef]; op != nil && s.now().Sub(op.created) <= permissionOpRetention {
			s.writeOp(w, op)
			return nil
		}
	}
	if rec == nil || !rec.pending() || (rec.kind == pkAuthorization) != authorization {
		return validation("Uprawnienie o identyfikatorze %s nie zostało znalezione.", id)
	}
	result := permOpOK
	if !revocable(p, rec) {
		result = permOpFailed(420, "Uprawnienie "+id+" nie może zostać odebrane w bieżącym kontekście.")
	}
	s.startOp(w, p, result, nil, []*permRecord{rec})
	return nil
}

// handlePermissionOperation serves GET /permissions/operations/{referenceNumber}.
func (s *Simulator) handlePermissionOperation(w http.ResponseWriter, r *http.Request) *apiError {
	p, refs, e := s.requireRefs(r, nil, "referenceNumber")
	if e != nil {
		return e
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	op := s.perms().ops[refs[0]]
	if op == nil || op.ctx != p.ctx() {
		return validation("Operacja o numerze referencyjnym %s nie została znaleziona.", refs[0])
	}
	if now.Sub(op.created) > permissionOpRetention {
		return gone("Operacja wygasła i nie jest już dostępna.")
	}
	st := op.result
	if now.Before(op.readyAt) {
		st = permOpInProgress
	}
	writeOK(w, http.StatusOK, ksef.PermissionsOperationStatusResponse{Status: st})
	return nil
}

// handleAttachmentStatus serves GET /permissions/attachments/status.
func (s *Simulator) handleAttachmentStatus(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requirePermission(r, "CredentialsManage", "CredentialsRead")
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.perms().attachments[contextNIP(p.ctx())]
	allowed := a.allowedAt(s.now())
	out := ksef.CheckAttachmentPermissionStatusResponse{IsAttachmentAllowed: &allowed}
	if a != nil && a.revoked != nil {
		t := *a.revoked
		out.RevokedDate = &t
	}
	writeOK(w, http.StatusOK, out)
	return nil
}

// setAttachmentConsent records the attachment opt-in (allowed) or its
// revocation for nip, as POST /testdata/attachment and
// /testdata/attachment/revoke do; GET /permissions/attachments/status
// reports it. Callers hold s.mu.
func (s *Simulator) setAttachmentConsent(nip string, allowed bool) {
	a := &attachmentConsent{allowed: allowed}
	if !allowed {
		t := s.now()
		a.revoked = &t
	}
	s.perms().attachments[nip] = a
}

// AttachmentsAllowed reports whether the NIP may send invoices with
// attachments.
func (s *Simulator) AttachmentsAllowed(nip string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perms().attachments[nip].allowedAt(s.now())
}

// allowedAt reports whether the consent allows attachments at now: given
// and not revoked, or revoked with an end date still ahead
// (expectedEndDate of POST /testdata/attachment/revoke).
func (a *attachmentConsent) allowedAt(now time.Time) bool {
	return a != nil && a.allowed && (a.revoked == nil || now.Before(*a.revoked))
}

// SetAttachmentsAllowed sets the attachment opt-in of a NIP (what POST
// /testdata/attachment and /testdata/attachment/revoke do).
func (s *Simulator) SetAttachmentsAllowed(nip string, allowed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setAttachmentConsent(nip, allowed)
}

// authorizedIssuer reports whether the context of sess may issue invoices
// of the seller sellerNIP (Podmiot1) through an entity authorization in
// force that the seller granted to the context's NIP: SelfInvoicing or
// TaxRepresentative for FA forms, RRInvoicing for FA_RR. Callers hold s.mu.
func (s *Simulator) authorizedIssuer(sess *onlineSession, sellerNIP string) bool {
	if s.st.permSt == nil || sess.ctx.Type != "Nip" {
		return false
	}
	scopes := []string{"SelfInvoicing", "TaxRepresentative"}
	if sess.form.code.Value == "FA_RR" {
		scopes = []string{"RRInvoicing"}
	}
	now := s.now()
	for _, r := range s.st.permSt.records {
		if r.kind == pkAuthorization && r.active(now) && r.ctx == (ctxID{"Nip", sellerNIP}) &&
			r.subject == (subjectID{subjNip, sess.ctx.Value}) && slices.Contains(scopes, r.scope) {
			return true
		}
	}
	return false
}
