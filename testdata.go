package ksef

import (
	"context"
	"errors"
	"reflect"
)

// TestDataService sets up data on the TEST environment (and the local
// simulator): subjects, persons, permissions and context blocks. These
// operations do not exist on DEMO or production.
type TestDataService service

func (s *TestDataService) post(ctx context.Context, op Operation, body any) error {
	if body == nil || reflect.ValueOf(body).IsNil() {
		return errors.New("ksef: TestData " + op.Info().Path + ": nil request")
	}
	_, err := s.c.do(ctx, &request{op: op, body: body})
	return err
}

// CreateSubject creates a test subject (VAT group, JST or enforcement
// authority) with optional subunits. Code 30001 means it already exists.
//
// KSeF API: POST /testdata/subject
func (s *TestDataService) CreateSubject(ctx context.Context, req *SubjectCreateRequest) error {
	return s.post(ctx, OpTestDataSubjectCreate, req)
}

// RemoveSubject removes a test subject.
//
// KSeF API: POST /testdata/subject/remove
func (s *TestDataService) RemoveSubject(ctx context.Context, req *SubjectRemoveRequest) error {
	return s.post(ctx, OpTestDataSubjectRemove, req)
}

// CreatePerson creates a natural person (NIP + PESEL) with owner rights.
// Code 30001 means it already exists.
//
// KSeF API: POST /testdata/person
func (s *TestDataService) CreatePerson(ctx context.Context, req *PersonCreateRequest) error {
	return s.post(ctx, OpTestDataPersonCreate, req)
}

// RemovePerson removes a test person.
//
// KSeF API: POST /testdata/person/remove
func (s *TestDataService) RemovePerson(ctx context.Context, req *PersonRemoveRequest) error {
	return s.post(ctx, OpTestDataPersonRemove, req)
}

// GrantPermissions grants permissions directly, as a ZAW-FA filing would.
//
// KSeF API: POST /testdata/permissions
func (s *TestDataService) GrantPermissions(ctx context.Context, req *TestDataPermissionsGrantRequest) error {
	return s.post(ctx, OpTestDataPermissionsGrant, req)
}

// RevokePermissions revokes permissions granted with GrantPermissions.
//
// KSeF API: POST /testdata/permissions/revoke
func (s *TestDataService) RevokePermissions(ctx context.Context, req *TestDataPermissionsRevokeRequest) error {
	return s.post(ctx, OpTestDataPermissionsRevoke, req)
}

// BlockContext blocks authentication in a context (it then ends with
// status 480).
//
// KSeF API: POST /testdata/context/block
func (s *TestDataService) BlockContext(ctx context.Context, req *BlockContextAuthenticationRequest) error {
	return s.post(ctx, OpTestDataContextBlock, req)
}

// UnblockContext unblocks authentication in a context.
//
// KSeF API: POST /testdata/context/unblock
func (s *TestDataService) UnblockContext(ctx context.Context, req *UnblockContextAuthenticationRequest) error {
	return s.post(ctx, OpTestDataContextUnblock, req)
}
