package ksefsim

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
)

// Query permissions of the permission query operations.
var (
	queryReadPerms = []string{"CredentialsManage", "CredentialsRead"}
	querySubPerms  = []string{"CredentialsManage", "CredentialsRead", "SubunitManage"}
)

// offsetPage reads pageOffset (>= 0, default 0) and pageSize (10-100,
// default 10) of an offset-paged query.
func offsetPage(r *http.Request) (offset, size int, e *apiError) {
	size = 10
	q := r.URL.Query()
	if v := q.Get("pageOffset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, validation("pageOffset: wymagana liczba nieujemna.")
		}
		offset = n
	}
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 || n > 100 {
			return 0, 0, validation("pageSize: dozwolony zakres 10-100.")
		}
		size = n
	}
	return offset, size, nil
}

// pageOf returns page offset of items with size items per page and
// whether more pages follow.
func pageOf[T any](items []T, offset, size int) ([]T, bool) {
	start := min(offset*size, len(items))
	end := min(start+size, len(items))
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	return out, end < len(items)
}

// sortRecords orders records as KSeF sorts permission queries: startDate
// descending, then id ascending.
func sortRecords(rs []*permRecord) {
	slices.SortStableFunc(rs, func(a, b *permRecord) int {
		if c := b.start.Compare(a.start); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
}

// selectRecords returns the records in force that keep accepts, sorted.
func (ps *permStore) selectRecords(keep func(*permRecord) bool) []*permRecord {
	now := ps.now()
	var out []*permRecord
	for _, r := range ps.records {
		if r.active(now) && keep(r) {
			out = append(out, r)
		}
	}
	sortRecords(out)
	return out
}

func idOf(s subjectID) ident.Identifier {
	return ident.Identifier{Type: ident.Type(s.Type), Value: s.Value}
}

func ctxIdent(c ctxID) *ident.Identifier {
	return &ident.Identifier{Type: ident.Type(c.Type), Value: c.Value}
}

// state returns the state of a record in force: a selective indirect
// grant is Inactive while the client's delegable entity grant to the
// intermediary that it rests on does not hold; everything else is Active.
func (ps *permStore) state(r *permRecord, now time.Time) ksef.PermissionState {
	if r.kind == pkIndirect && r.target != nil && r.target.Type != string(ident.TypeAllPartners) &&
		!ps.delegable(*r.target, contextNIP(r.authorCtx), r.scope, now) {
		return ksef.PermissionStateInactive
	}
	return ksef.PermissionStateActive
}

// personDetailsOut converts the details of a person grant to the query
// form.
func personDetailsOut(d *ksef.PersonPermissionSubjectDetails) *ksef.PermissionsSubjectPersonDetails {
	if d == nil {
		return nil
	}
	out := &ksef.PermissionsSubjectPersonDetails{SubjectDetailsType: ksef.PersonSubjectDetailsType(d.SubjectDetailsType)}
	switch {
	case d.PersonByID != nil:
		out.FirstName, out.LastName = d.PersonByID.FirstName, d.PersonByID.LastName
	case d.PersonByFpWithID != nil:
		out.FirstName, out.LastName = d.PersonByFpWithID.FirstName, d.PersonByFpWithID.LastName
		id := d.PersonByFpWithID.Identifier
		out.PersonIdentifier = &id
	case d.PersonByFpNoID != nil:
		out.FirstName, out.LastName = d.PersonByFpNoID.FirstName, d.PersonByFpNoID.LastName
		out.BirthDate = d.PersonByFpNoID.BirthDate
		doc := d.PersonByFpNoID.IDDocument
		out.IDDocument = &doc
	}
	return out
}

// entityDetailsOut returns the entity details of an entity grant.
func entityDetailsOut(r *permRecord) *ksef.PermissionsSubjectEntityDetails {
	if r.entityName == "" {
		return nil
	}
	return &ksef.PermissionsSubjectEntityDetails{SubjectDetailsType: ksef.EntitySubjectDetailsTypeEntityByIdentifier, FullName: r.entityName}
}

// containsScope reports whether want is empty or holds scope.
func containsScope[T ~string](want []T, scope string) bool {
	return len(want) == 0 || slices.Contains(want, T(scope))
}

// identMatches reports whether the filter f is nil or equals id.
func identMatches(f *ident.Identifier, id ident.Identifier) bool {
	return f == nil || (f.Type == id.Type && strings.EqualFold(f.Value, id.Value))
}

// targetOut returns the target identifier of an indirect grant.
func targetOut(r *permRecord) *ksef.PersonPermissionsTargetIdentifier {
	if r.target == nil {
		return nil
	}
	return &ksef.PersonPermissionsTargetIdentifier{Type: ident.Type(r.target.Type), Value: r.target.Value}
}

func targetMatches(f *ksef.PersonPermissionsTargetIdentifier, r *permRecord) bool {
	if f == nil {
		return true
	}
	return r.target != nil && string(f.Type) == r.target.Type && f.Value == r.target.Value
}

// serveQuery is the frame of the offset-paged permission queries: it
// authenticates the caller (holding one of perms; none: any access token),
// reads pageOffset and pageSize and, unless the operation is a GET, the
// request body, in that order; then lists the items under s.mu and answers
// 200 with the requested page wrapped by answer.
func serveQuery[Req, Item any](s *Simulator, w http.ResponseWriter, r *http.Request, perms []string,
	list func(p *principal, req *Req) ([]Item, *apiError), answer func(page []Item, more bool) any) *apiError {
	p, e := s.requirePermission(r, perms...)
	if e != nil {
		return e
	}
	offset, size, e := offsetPage(r)
	if e != nil {
		return e
	}
	var req Req
	if r.Method != http.MethodGet {
		if e := decodeJSON(r, &req); e != nil {
			return e
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items, e := list(p, &req)
	if e != nil {
		return e
	}
	page, more := pageOf(items, offset, size)
	writeOK(w, http.StatusOK, answer(page, more))
	return nil
}

// handleQueryPersonal serves POST /permissions/query/personal/grants.
func (s *Simulator) handleQueryPersonal(w http.ResponseWriter, r *http.Request) *apiError {
	return serveQuery(s, w, r, nil, s.listPersonal, func(page []ksef.PersonalPermission, more bool) any {
		return ksef.QueryPersonalPermissionsResponse{Permissions: page, HasMore: more}
	})
}

func (s *Simulator) listPersonal(p *principal, req *ksef.PersonalPermissionsQueryRequest) ([]ksef.PersonalPermission, *apiError) {
	c, me := p.ctx(), s.author(p)
	owner := s.st.isOwner(c, me)
	ps := s.perms()
	now := s.now()
	recs := ps.selectRecords(func(x *permRecord) bool {
		switch x.kind {
		case pkPerson, pkSubunit, pkEUAdmin, pkEURep:
			return x.subject == me && x.ctx == c
		case pkIndirect:
			return x.subject == me && (x.authorCtx == c || ps.indirectApplies(x, c, now))
		case pkEntity:
			// Invoice permissions granted to the context's entity, seen
			// by its owner.
			return owner && x.subject == subjectID{subjNip, contextNIP(c)}
		}
		return false
	})
	out := make([]ksef.PersonalPermission, 0, len(recs))
	for _, x := range recs {
		item := ksef.PersonalPermission{
			ID: x.id, PermissionScope: ksef.PersonalPermissionScope(x.scope), Description: x.description,
			PermissionState: ps.state(x, now), StartDate: x.start, CanDelegate: x.canDelegate,
		}
		if x.ctx.Type == "Nip" || x.ctx.Type == "InternalId" {
			item.ContextIdentifier = ctxIdent(x.ctx)
		}
		if x.kind == pkIndirect {
			item.ContextIdentifier = ctxIdent(x.authorCtx)
			if x.target != nil {
				item.TargetIdentifier = &ksef.PersonalPermissionsTargetIdentifier{Type: ident.Type(x.target.Type), Value: x.target.Value}
			}
		}
		if x.subject.Type != "PeppolId" {
			id := idOf(x.subject)
			item.AuthorizedIdentifier = &id
		}
		if x.kind == pkEntity {
			item.SubjectEntityDetails = entityDetailsOut(x)
		} else {
			item.SubjectPersonDetails = personDetailsOut(x.personDetails)
		}
		if req.ContextIdentifier != nil && (item.ContextIdentifier == nil || !identMatches(req.ContextIdentifier, *item.ContextIdentifier)) {
			continue
		}
		if req.TargetIdentifier != nil && (item.TargetIdentifier == nil || item.TargetIdentifier.Type != req.TargetIdentifier.Type || item.TargetIdentifier.Value != req.TargetIdentifier.Value) {
			continue
		}
		if !containsScope(req.PermissionTypes, x.scope) || (req.PermissionState != "" && req.PermissionState != item.PermissionState) {
			continue
		}
		out = append(out, item)
	}
	return out, nil
}

// handleQueryPersons serves POST /permissions/query/persons/grants.
func (s *Simulator) handleQueryPersons(w http.ResponseWriter, r *http.Request) *apiError {
	return serveQuery(s, w, r, querySubPerms, s.listPersons, func(page []ksef.PersonPermission, more bool) any {
		return ksef.QueryPersonPermissionsResponse{Permissions: page, HasMore: more}
	})
}

func (s *Simulator) listPersons(p *principal, req *ksef.PersonPermissionsQueryRequest) ([]ksef.PersonPermission, *apiError) {
	granted := false
	switch req.QueryType {
	case ksef.PersonPermissionsQueryTypePermissionsInCurrentContext:
	case ksef.PersonPermissionsQueryTypePermissionsGrantedInCurrentContext:
		granted = true
	default:
		return nil, validation("queryType: nieznana wartość %q.", req.QueryType)
	}
	c, me := p.ctx(), s.author(p)
	ps, now := s.perms(), s.now()
	recs := ps.selectRecords(func(x *permRecord) bool {
		if granted {
			return x.author == me && x.authorCtx == c && (x.kind == pkPerson || x.kind == pkSubunit || x.kind == pkIndirect)
		}
		switch x.kind {
		case pkPerson, pkEntity, pkSubunit:
			return x.ctx == c
		case pkIndirect:
			return x.authorCtx == c
		}
		return false
	})
	out := make([]ksef.PersonPermission, 0, len(recs))
	for _, x := range recs {
		ctxOf := x.ctx
		if x.kind == pkIndirect {
			ctxOf = x.authorCtx
		}
		item := ksef.PersonPermission{
			ID: x.id, AuthorizedIdentifier: idOf(x.subject), ContextIdentifier: ctxIdent(ctxOf), TargetIdentifier: targetOut(x),
			AuthorIdentifier: ksef.PersonPermissionsAuthorIdentifier{Type: ident.Type(x.author.Type), Value: x.author.Value},
			PermissionScope:  ksef.PersonPermissionScope(x.scope), Description: x.description,
			PermissionState: ps.state(x, now), StartDate: x.start, CanDelegate: x.canDelegate,
		}
		if x.kind == pkEntity {
			item.SubjectEntityDetails = entityDetailsOut(x)
		} else {
			item.SubjectPersonDetails = personDetailsOut(x.personDetails)
		}
		if f := req.AuthorIdentifier; f != nil && (f.Type != item.AuthorIdentifier.Type || !strings.EqualFold(f.Value, item.AuthorIdentifier.Value)) {
			continue
		}
		if !identMatches(req.AuthorizedIdentifier, item.AuthorizedIdentifier) || !identMatches(req.ContextIdentifier, *item.ContextIdentifier) ||
			!targetMatches(req.TargetIdentifier, x) || !containsScope(req.PermissionTypes, x.scope) ||
			(req.PermissionState != "" && req.PermissionState != item.PermissionState) {
			continue
		}
		out = append(out, item)
	}
	return out, nil
}

// handleQuerySubunits serves POST /permissions/query/subunits/grants.
func (s *Simulator) handleQuerySubunits(w http.ResponseWriter, r *http.Request) *apiError {
	return serveQuery(s, w, r, querySubPerms, func(p *principal, req *ksef.SubunitPermissionsQueryRequest) ([]ksef.SubunitPermission, *apiError) {
		c := p.ctx()
		recs := s.perms().selectRecords(func(x *permRecord) bool {
			return x.kind == pkSubunit && x.authorCtx == c && identMatches(req.SubunitIdentifier, *ctxIdent(x.ctx))
		})
		out := make([]ksef.SubunitPermission, 0, len(recs))
		for _, x := range recs {
			out = append(out, ksef.SubunitPermission{
				ID: x.id, AuthorizedIdentifier: idOf(x.subject), SubunitIdentifier: *ctxIdent(x.ctx), AuthorIdentifier: idOf(x.author),
				PermissionScope: ksef.SubunitPermissionScope(x.scope), Description: x.description,
				SubjectPersonDetails: personDetailsOut(x.personDetails), SubunitName: x.subunitName, StartDate: x.start,
			})
		}
		return out, nil
	}, func(page []ksef.SubunitPermission, more bool) any {
		return ksef.QuerySubunitPermissionsResponse{Permissions: page, HasMore: more}
	})
}

// handleQueryEntities serves POST /permissions/query/entities/grants: the
// invoice permissions other entities granted to the context's entity.
func (s *Simulator) handleQueryEntities(w http.ResponseWriter, r *http.Request) *apiError {
	return serveQuery(s, w, r, queryReadPerms, func(p *principal, req *ksef.EntityPermissionsQueryRequest) ([]ksef.EntityPermissionItem, *apiError) {
		me := subjectID{subjNip, contextNIP(p.ctx())}
		recs := s.perms().selectRecords(func(x *permRecord) bool {
			return x.kind == pkEntity && x.subject == me && identMatches(req.ContextIdentifier, *ctxIdent(x.ctx))
		})
		out := make([]ksef.EntityPermissionItem, 0, len(recs))
		for _, x := range recs {
			out = append(out, ksef.EntityPermissionItem{
				ID: x.id, ContextIdentifier: *ctxIdent(x.ctx), PermissionScope: ksef.EntityPermissionItemScope(x.scope),
				Description: x.description, StartDate: x.start, CanDelegate: x.canDelegate,
			})
		}
		return out, nil
	}, func(page []ksef.EntityPermissionItem, more bool) any {
		return ksef.QueryEntityPermissionsResponse{Permissions: page, HasMore: more}
	})
}

// subjectStart is when a test subject or person of nip was created (the
// start date of its roles).
func (st *state) subjectStart(nip string) time.Time {
	if s := st.subjects[nip]; s != nil {
		return s.created
	}
	if p := st.persons[nip]; p != nil {
		return p.created
	}
	for _, s := range st.subjects {
		if slices.Contains(s.subunits, nip) {
			return s.created
		}
	}
	return time.Time{}
}

// handleQueryEntityRoles serves GET /permissions/query/entities/roles (no
// request body).
func (s *Simulator) handleQueryEntityRoles(w http.ResponseWriter, r *http.Request) *apiError {
	return serveQuery(s, w, r, queryReadPerms, func(p *principal, _ *struct{}) ([]ksef.EntityRole, *apiError) {
		c := p.ctx()
		var out []ksef.EntityRole
		for _, role := range s.st.contextRoles(c) {
			item := ksef.EntityRole{Role: role, StartDate: s.st.subjectStart(c.Value)}
			switch role {
			case ksef.EntityRoleTypeVatGroupSubUnit, ksef.EntityRoleTypeLocalGovernmentSubUnit:
				parent := s.st.parentOf(c.Value)
				item.ParentEntityIdentifier = &ident.Identifier{Type: ident.TypeNip, Value: parent.nip}
				item.Description = parent.description
			case ksef.EntityRoleTypeCourtBailiff:
				item.Description = s.st.persons[c.Value].description
			default:
				item.Description = s.st.subjects[c.Value].description
			}
			out = append(out, item)
		}
		return out, nil
	}, func(page []ksef.EntityRole, more bool) any {
		return ksef.QueryEntityRolesResponse{Roles: page, HasMore: more}
	})
}

// handleQuerySubordinateRoles serves POST /permissions/query/subordinate-entities/roles.
func (s *Simulator) handleQuerySubordinateRoles(w http.ResponseWriter, r *http.Request) *apiError {
	return serveQuery(s, w, r, querySubPerms, func(p *principal, req *ksef.SubordinateEntityRolesQueryRequest) ([]ksef.SubordinateEntityRole, *apiError) {
		c := p.ctx()
		var out []ksef.SubordinateEntityRole
		parent := s.st.subjects[contextNIP(c)]
		if parent == nil || c.Type != "Nip" || (parent.typ != ksef.SubjectVatGroup && parent.typ != ksef.SubjectJST) {
			return out, nil
		}
		role := ksef.SubordinateEntityRoleTypeVatGroupSubUnit
		if parent.typ == ksef.SubjectJST {
			role = ksef.SubordinateEntityRoleTypeLocalGovernmentSubUnit
		}
		for _, nip := range parent.subunits {
			id := ident.Identifier{Type: ident.TypeNip, Value: nip}
			if identMatches(req.SubordinateEntityIdentifier, id) {
				out = append(out, ksef.SubordinateEntityRole{SubordinateEntityIdentifier: id, Role: role,
					Description: parent.description, StartDate: parent.created})
			}
		}
		return out, nil
	}, func(page []ksef.SubordinateEntityRole, more bool) any {
		return ksef.QuerySubordinateEntityRolesResponse{Roles: page, HasMore: more}
	})
}

// handleQueryAuthorizations serves POST /permissions/query/authorizations/grants.
func (s *Simulator) handleQueryAuthorizations(w http.ResponseWriter, r *http.Request) *apiError {
	perms := []string{"CredentialsManage", "CredentialsRead", "PefInvoiceWrite"}
	return serveQuery(s, w, r, perms, s.listAuthorizations, func(page []ksef.EntityAuthorizationGrant, more bool) any {
		return ksef.QueryEntityAuthorizationPermissionsResponse{AuthorizationGrants: page, HasMore: more}
	})
}

func (s *Simulator) listAuthorizations(p *principal, req *ksef.EntityAuthorizationPermissionsQueryRequest) ([]ksef.EntityAuthorizationGrant, *apiError) {
	if req.QueryType != ksef.QueryTypeGranted && req.QueryType != ksef.QueryTypeReceived {
		return nil, validation("queryType: nieznana wartość %q.", req.QueryType)
	}
	c := p.ctx()
	recs := s.perms().selectRecords(func(x *permRecord) bool {
		if x.kind != pkAuthorization || !containsScope(req.PermissionTypes, x.scope) {
			return false
		}
		if req.QueryType == ksef.QueryTypeGranted {
			return x.ctx == c && identMatches(req.AuthorizedIdentifier, idOf(x.subject))
		}
		me := subjectID{c.Type, c.Value}
		return x.subject == me && identMatches(req.AuthorizingIdentifier, *ctxIdent(x.ctx))
	})
	out := make([]ksef.EntityAuthorizationGrant, 0, len(recs))
	for _, x := range recs {
		author := idOf(x.author)
		out = append(out, ksef.EntityAuthorizationGrant{
			ID: x.id, AuthorIdentifier: &author, AuthorizedEntityIdentifier: idOf(x.subject),
			AuthorizingEntityIdentifier: *ctxIdent(x.ctx), AuthorizationScope: ksef.InvoicePermissionType(x.scope),
			Description: x.description, StartDate: x.start,
			SubjectEntityDetails: &ksef.PermissionsSubjectEntityByIdentifierDetails{
				SubjectDetailsType: ksef.EntitySubjectByIdentifierDetailsTypeEntityByIdentifier, FullName: x.entityName},
		})
	}
	return out, nil
}

// handleQueryEUEntities serves POST /permissions/query/eu-entities/grants.
func (s *Simulator) handleQueryEUEntities(w http.ResponseWriter, r *http.Request) *apiError {
	perms := []string{"CredentialsManage", "CredentialsRead", "VatUeManage"}
	return serveQuery(s, w, r, perms, s.listEUEntities, func(page []ksef.EuEntityPermission, more bool) any {
		return ksef.QueryEuEntityPermissionsResponse{Permissions: page, HasMore: more}
	})
}

func (s *Simulator) listEUEntities(p *principal, req *ksef.EuEntityPermissionsQueryRequest) ([]ksef.EuEntityPermission, *apiError) {
	c := p.ctx()
	ps := s.perms()
	recs := ps.selectRecords(func(x *permRecord) bool {
		switch {
		case x.kind != pkEUAdmin && x.kind != pkEURep:
			return false
		case c.Type == "Nip" && (x.kind != pkEUAdmin || contextNIP(x.ctx) != c.Value):
			return false
		case c.Type == "NipVatUe" && x.ctx != c:
			return false
		case c.Type != "Nip" && c.Type != "NipVatUe":
			return false
		}
		_, vatUe, _ := strings.Cut(x.ctx.Value, "-")
		return (req.VatUeIdentifier == "" || req.VatUeIdentifier == vatUe) &&
			(req.AuthorizedFingerprintIdentifier == "" || strings.EqualFold(req.AuthorizedFingerprintIdentifier, x.subject.Value)) &&
			containsScope(req.PermissionTypes, x.scope)
	})
	out := make([]ksef.EuEntityPermission, 0, len(recs))
	for _, x := range recs {
		_, vatUe, _ := strings.Cut(x.ctx.Value, "-")
		item := ksef.EuEntityPermission{
			ID: x.id, AuthorIdentifier: idOf(x.author), VatUeIdentifier: vatUe,
			AuthorizedFingerprintIdentifier: x.subject.Value, PermissionScope: ksef.EuEntityPermissionsQueryPermissionType(x.scope),
			Description: x.description, StartDate: x.start,
		}
		if eu := ps.euEntities[x.ctx.Value]; eu != nil {
			item.EuEntityName = eu.name
			item.EuEntityDetails = &ksef.PermissionsEuEntityDetails{FullName: eu.details.FullName, Address: eu.details.Address}
		}
		if d := x.euDetails; d != nil {
			switch {
			case d.EntityByFp != nil:
				item.SubjectEntityDetails = &ksef.PermissionsSubjectEntityByFingerprintDetails{
					SubjectDetailsType: ksef.EntitySubjectByFingerprintDetailsTypeEntityByFingerprint,
					FullName:           d.EntityByFp.FullName, Address: d.EntityByFp.Address}
			case d.PersonByFpWithID != nil:
				id := d.PersonByFpWithID.Identifier
				item.SubjectPersonDetails = &ksef.PermissionsSubjectPersonByFingerprintDetails{
					SubjectDetailsType: ksef.PersonSubjectByFingerprintDetailsTypePersonByFingerprintWithIdentifier,
					FirstName:          d.PersonByFpWithID.FirstName, LastName: d.PersonByFpWithID.LastName, PersonIdentifier: &id}
			case d.PersonByFpNoID != nil:
				doc := d.PersonByFpNoID.IDDocument
				item.SubjectPersonDetails = &ksef.PermissionsSubjectPersonByFingerprintDetails{
					SubjectDetailsType: ksef.PersonSubjectByFingerprintDetailsTypePersonByFingerprintWithoutIdentifier,
					FirstName:          d.PersonByFpNoID.FirstName, LastName: d.PersonByFpNoID.LastName,
					BirthDate: d.PersonByFpNoID.BirthDate, IDDocument: &doc}
			}
		}
		out = append(out, item)
	}
	return out, nil
}
