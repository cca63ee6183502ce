package ksef

import (
	"context"
	"iter"
	"net/url"
	"slices"
	"strconv"
)

// This file holds the eight permission queries of [PermissionsService]:
// page methods and iterators.

// PermissionsPageParams selects one page of a permission query.
type PermissionsPageParams struct {
	// PageOffset is the 0-based page number.
	PageOffset int
	// PageSize is the page size (10-100; 0 = server default, 10).
	PageSize int
}

// pageQuery returns the pageOffset/pageSize query of p.
func pageQuery(m string, p *PermissionsPageParams) (url.Values, error) {
	if p == nil {
		return nil, nil
	}
	if p.PageOffset < 0 {
		return nil, permErr(m, "page offset must not be negative, got %d", p.PageOffset)
	}
	if p.PageSize != 0 && (p.PageSize < 10 || p.PageSize > 100) {
		return nil, permErr(m, "page size must be 10-100, got %d", p.PageSize)
	}
	q := url.Values{}
	if p.PageOffset > 0 {
		q.Set("pageOffset", strconv.Itoa(p.PageOffset))
	}
	if p.PageSize > 0 {
		q.Set("pageSize", strconv.Itoa(p.PageSize))
	}
	if len(q) == 0 {
		return nil, nil
	}
	return q, nil
}

// query fetches one page of a POST query operation.
func queryPage[T any](ctx context.Context, c *Client, m string, op Operation, body any, p *PermissionsPageParams) (*T, error) {
	q, err := pageQuery(m, p)
	if err != nil {
		return nil, err
	}
	r := &request{op: op, query: q, body: body}
	return call[T](ctx, c, r)
}

// allPages iterates over every page from p's offset with p's size.
func allPages[T any](ctx context.Context, p *PermissionsPageParams, fetch func(ctx context.Context, p *PermissionsPageParams) ([]T, bool, error)) iter.Seq2[T, error] {
	var pp PermissionsPageParams
	if p != nil {
		pp = *p
	}
	return pagesByOffset(ctx, pp.PageOffset, func(ctx context.Context, offset int) ([]T, bool, error) {
		page := pp
		page.PageOffset = offset
		return fetch(ctx, &page)
	})
}

// orEmpty returns req, or a new empty request when req is nil (the query
// operations need a JSON body).
func orEmpty[T any](req *T) *T {
	if req == nil {
		return new(T)
	}
	return req
}

// QueryPersonal returns one page of the caller's own permissions in the
// current context (direct, from a parent entity, indirect, and those
// granted to the entity the caller owns).
//
// KSeF API: POST /permissions/query/personal/grants
func (s *PermissionsService) QueryPersonal(ctx context.Context, req *PersonalPermissionsQueryRequest, p *PermissionsPageParams) (*QueryPersonalPermissionsResponse, error) {
	return queryPage[QueryPersonalPermissionsResponse](ctx, s.c, "QueryPersonal", OpPermissionsQueryPersonal, orEmpty(req), p)
}

// QueryPersonalAll iterates over every result of
// [PermissionsService.QueryPersonal]. On error it yields it once and stops.
func (s *PermissionsService) QueryPersonalAll(ctx context.Context, req *PersonalPermissionsQueryRequest, p *PermissionsPageParams) iter.Seq2[PersonalPermission, error] {
	req = clonePersonalQuery(req)
	return allPages(ctx, p, func(ctx context.Context, p *PermissionsPageParams) ([]PersonalPermission, bool, error) {
		r, err := s.QueryPersonal(ctx, req, p)
		if err != nil {
			return nil, false, err
		}
		return r.Permissions, r.HasMore, nil
	})
}

func clonePersonalQuery(req *PersonalPermissionsQueryRequest) *PersonalPermissionsQueryRequest {
	if req == nil {
		return nil
	}
	c := *req
	c.PermissionTypes = slices.Clone(req.PermissionTypes)
	return &c
}

// QueryPersons returns one page of the permissions to work in KSeF held
// by persons and entities: with QueryType PermissionsInCurrentContext
// those in force in the current context, with
// PermissionsGrantedInCurrentContext those the caller granted. Needs
// CredentialsManage, CredentialsRead or SubunitManage.
//
// KSeF API: POST /permissions/query/persons/grants
func (s *PermissionsService) QueryPersons(ctx context.Context, req *PersonPermissionsQueryRequest, p *PermissionsPageParams) (*QueryPersonPermissionsResponse, error) {
	if req == nil || req.QueryType == "" {
		return nil, permErr("QueryPersons", "queryType is required")
	}
	return queryPage[QueryPersonPermissionsResponse](ctx, s.c, "QueryPersons", OpPermissionsQueryPersons, req, p)
}

// QueryPersonsAll iterates over every result of
// [PermissionsService.QueryPersons]. On error it yields it once and stops.
func (s *PermissionsService) QueryPersonsAll(ctx context.Context, req *PersonPermissionsQueryRequest, p *PermissionsPageParams) iter.Seq2[PersonPermission, error] {
	if req != nil {
		c := *req
		c.PermissionTypes = slices.Clone(req.PermissionTypes)
		req = &c
	}
	return allPages(ctx, p, func(ctx context.Context, p *PermissionsPageParams) ([]PersonPermission, bool, error) {
		r, err := s.QueryPersons(ctx, req, p)
		if err != nil {
			return nil, false, err
		}
		return r.Permissions, r.HasMore, nil
	})
}

// QuerySubunits returns one page of the administrator permissions of
// subunits and subordinate entities granted from the current context.
// Needs CredentialsManage, CredentialsRead or SubunitManage.
//
// KSeF API: POST /permissions/query/subunits/grants
func (s *PermissionsService) QuerySubunits(ctx context.Context, req *SubunitPermissionsQueryRequest, p *PermissionsPageParams) (*QuerySubunitPermissionsResponse, error) {
	return queryPage[QuerySubunitPermissionsResponse](ctx, s.c, "QuerySubunits", OpPermissionsQuerySubunits, orEmpty(req), p)
}

// QuerySubunitsAll iterates over every result of
// [PermissionsService.QuerySubunits]. On error it yields it once and stops.
func (s *PermissionsService) QuerySubunitsAll(ctx context.Context, req *SubunitPermissionsQueryRequest, p *PermissionsPageParams) iter.Seq2[SubunitPermission, error] {
	return allPages(ctx, p, func(ctx context.Context, p *PermissionsPageParams) ([]SubunitPermission, bool, error) {
		r, err := s.QuerySubunits(ctx, req, p)
		if err != nil {
			return nil, false, err
		}
		return r.Permissions, r.HasMore, nil
	})
}

// QueryEntities returns one page of the invoice permissions other entities
// granted to the current context's entity. Needs CredentialsManage or
// CredentialsRead.
//
// KSeF API: POST /permissions/query/entities/grants
func (s *PermissionsService) QueryEntities(ctx context.Context, req *EntityPermissionsQueryRequest, p *PermissionsPageParams) (*QueryEntityPermissionsResponse, error) {
	return queryPage[QueryEntityPermissionsResponse](ctx, s.c, "QueryEntities", OpPermissionsQueryEntities, orEmpty(req), p)
}

// QueryEntitiesAll iterates over every result of
// [PermissionsService.QueryEntities]. On error it yields it once and stops.
func (s *PermissionsService) QueryEntitiesAll(ctx context.Context, req *EntityPermissionsQueryRequest, p *PermissionsPageParams) iter.Seq2[EntityPermissionItem, error] {
	return allPages(ctx, p, func(ctx context.Context, p *PermissionsPageParams) ([]EntityPermissionItem, bool, error) {
		r, err := s.QueryEntities(ctx, req, p)
		if err != nil {
			return nil, false, err
		}
		return r.Permissions, r.HasMore, nil
	})
}

// QueryEntityRoles returns one page of the roles of the current context's
// entity (CourtBailiff, EnforcementAuthority, VatGroupUnit, ...). Needs
// CredentialsManage or CredentialsRead.
//
// KSeF API: GET /permissions/query/entities/roles
func (s *PermissionsService) QueryEntityRoles(ctx context.Context, p *PermissionsPageParams) (*QueryEntityRolesResponse, error) {
	q, err := pageQuery("QueryEntityRoles", p)
	if err != nil {
		return nil, err
	}
	return call[QueryEntityRolesResponse](ctx, s.c, &request{op: OpPermissionsQueryEntityRoles, query: q})
}

// QueryEntityRolesAll iterates over every result of
// [PermissionsService.QueryEntityRoles]. On error it yields it once and
// stops.
func (s *PermissionsService) QueryEntityRolesAll(ctx context.Context, p *PermissionsPageParams) iter.Seq2[EntityRole, error] {
	return allPages(ctx, p, func(ctx context.Context, p *PermissionsPageParams) ([]EntityRole, bool, error) {
		r, err := s.QueryEntityRoles(ctx, p)
		if err != nil {
			return nil, false, err
		}
		return r.Roles, r.HasMore, nil
	})
}

// QuerySubordinateEntityRoles returns one page of the subordinate entities
// (VAT-group members, subordinate local-government units) of the current
// context's entity. Needs CredentialsManage, CredentialsRead or
// SubunitManage.
//
// KSeF API: POST /permissions/query/subordinate-entities/roles
func (s *PermissionsService) QuerySubordinateEntityRoles(ctx context.Context, req *SubordinateEntityRolesQueryRequest, p *PermissionsPageParams) (*QuerySubordinateEntityRolesResponse, error) {
	return queryPage[QuerySubordinateEntityRolesResponse](ctx, s.c, "QuerySubordinateEntityRoles", OpPermissionsQuerySubordinateEntityRoles, orEmpty(req), p)
}

// QuerySubordinateEntityRolesAll iterates over every result of
// [PermissionsService.QuerySubordinateEntityRoles]. On error it yields it
// once and stops.
func (s *PermissionsService) QuerySubordinateEntityRolesAll(ctx context.Context, req *SubordinateEntityRolesQueryRequest, p *PermissionsPageParams) iter.Seq2[SubordinateEntityRole, error] {
	return allPages(ctx, p, func(ctx context.Context, p *PermissionsPageParams) ([]SubordinateEntityRole, bool, error) {
		r, err := s.QuerySubordinateEntityRoles(ctx, req, p)
		if err != nil {
			return nil, false, err
		}
		return r.Roles, r.HasMore, nil
	})
}

// QueryAuthorizations returns one page of the entity authorizations the
// current context's entity received (QueryType Received) or granted
// (Granted). Needs CredentialsManage, CredentialsRead or PefInvoiceWrite.
//
// KSeF API: POST /permissions/query/authorizations/grants
func (s *PermissionsService) QueryAuthorizations(ctx context.Context, req *EntityAuthorizationPermissionsQueryRequest, p *PermissionsPageParams) (*QueryEntityAuthorizationPermissionsResponse, error) {
	if req == nil || req.QueryType == "" {
		return nil, permErr("QueryAuthorizations", "queryType is required")
	}
	return queryPage[QueryEntityAuthorizationPermissionsResponse](ctx, s.c, "QueryAuthorizations", OpPermissionsQueryAuthorizations, req, p)
}

// QueryAuthorizationsAll iterates over every result of
// [PermissionsService.QueryAuthorizations]. On error it yields it once and
// stops.
func (s *PermissionsService) QueryAuthorizationsAll(ctx context.Context, req *EntityAuthorizationPermissionsQueryRequest, p *PermissionsPageParams) iter.Seq2[EntityAuthorizationGrant, error] {
	if req != nil {
		c := *req
		c.PermissionTypes = slices.Clone(req.PermissionTypes)
		req = &c
	}
	return allPages(ctx, p, func(ctx context.Context, p *PermissionsPageParams) ([]EntityAuthorizationGrant, bool, error) {
		r, err := s.QueryAuthorizations(ctx, req, p)
		if err != nil {
			return nil, false, err
		}
		return r.AuthorizationGrants, r.HasMore, nil
	})
}

// QueryEUEntities returns one page of the permissions of EU-entity
// administrators and representatives: from a Nip context those of the
// EU entities linked to it, from a NipVatUe context all of that context.
// Needs CredentialsManage, CredentialsRead or VatUeManage.
//
// KSeF API: POST /permissions/query/eu-entities/grants
func (s *PermissionsService) QueryEUEntities(ctx context.Context, req *EuEntityPermissionsQueryRequest, p *PermissionsPageParams) (*QueryEuEntityPermissionsResponse, error) {
	return queryPage[QueryEuEntityPermissionsResponse](ctx, s.c, "QueryEUEntities", OpPermissionsQueryEUEntities, orEmpty(req), p)
}

// QueryEUEntitiesAll iterates over every result of
// [PermissionsService.QueryEUEntities]. On error it yields it once and
// stops.
func (s *PermissionsService) QueryEUEntitiesAll(ctx context.Context, req *EuEntityPermissionsQueryRequest, p *PermissionsPageParams) iter.Seq2[EuEntityPermission, error] {
	if req != nil {
		c := *req
		c.PermissionTypes = slices.Clone(req.PermissionTypes)
		req = &c
	}
	return allPages(ctx, p, func(ctx context.Context, p *PermissionsPageParams) ([]EuEntityPermission, bool, error) {
		r, err := s.QueryEUEntities(ctx, req, p)
		if err != nil {
			return nil, false, err
		}
		return r.Permissions, r.HasMore, nil
	})
}
