package ksef

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/ksef2/ksef/ident"
)

// PermissionsService grants, revokes and lists KSeF permissions of the
// context the client is logged in to. Grants and revocations are
// asynchronous: they return an operation reference number whose outcome
// [PermissionsService.Wait] reports; a grant takes effect only once its
// operation succeeded (status 200), and an access token carries the
// permissions of the moment it was issued (a refreshed token sees the
// change).
type PermissionsService service

// ErrPermissionOperationFailed is matched (errors.Is) by the
// *[StatusError] of a permission operation that ended with a status
// other than 200.
var ErrPermissionOperationFailed = errors.New("ksef: permission operation failed")

// Permission operation status codes (GET /permissions/operations/{ref}).
const (
	PermissionOpInProgress        = 100 // accepted, in progress
	PermissionOpSuccess           = 200 // succeeded
	PermissionOpFailed            = 400 // failed
	PermissionOpWrongRelation     = 410 // identifiers mismatched or in a wrong relation
	PermissionOpNoCredentials     = 420 // the credentials used may not do this
	PermissionOpContextRole       = 430 // the context lacks the required role or permissions
	PermissionOpRelationForbidden = 440 // not allowed for these identifier relations
	PermissionOpIdentifierInvalid = 450 // not allowed for this identifier or its type
	PermissionOpUnknownError      = 500 // unknown error
	PermissionOpCancelled         = 550 // cancelled by the system; try again later
)

func init() {
	for _, code := range []int{PermissionOpFailed, PermissionOpWrongRelation, PermissionOpNoCredentials,
		PermissionOpContextRole, PermissionOpRelationForbidden, PermissionOpIdentifierInvalid,
		PermissionOpUnknownError, PermissionOpCancelled} {
		registerStatusSentinel("permission", code, ErrPermissionOperationFailed)
	}
}

// Typed subject details: each constructor builds one variant the spec
// allows, with its discriminator set.

// PersonByIdentifier describes a person identified by NIP or PESEL
// (subject identifier of type Nip or Pesel).
func PersonByIdentifier(firstName, lastName string) PersonPermissionSubjectDetails {
	return PersonPermissionSubjectDetails{
		SubjectDetailsType: PersonPermissionSubjectDetailsTypePersonByIdentifier,
		PersonByID:         &PersonDetails{FirstName: firstName, LastName: lastName},
	}
}

// PersonByFingerprintWithIdentifier describes a person identified by a
// certificate fingerprint whose certificate carries no NIP or PESEL but
// who has one (id, of type Nip or Pesel).
func PersonByFingerprintWithIdentifier(firstName, lastName string, id PersonIdentifier) PersonPermissionSubjectDetails {
	return PersonPermissionSubjectDetails{
		SubjectDetailsType: PersonPermissionSubjectDetailsTypePersonByFingerprintWithIdentifier,
		PersonByFpWithID:   &PersonByFingerprintWithIdentifierDetails{FirstName: firstName, LastName: lastName, Identifier: id},
	}
}

// PersonByFingerprintWithoutIdentifier describes a person identified by a
// certificate fingerprint who has neither NIP nor PESEL; birthDate is
// "YYYY-MM-DD".
func PersonByFingerprintWithoutIdentifier(firstName, lastName, birthDate string, doc IdDocument) PersonPermissionSubjectDetails {
	return PersonPermissionSubjectDetails{
		SubjectDetailsType: PersonPermissionSubjectDetailsTypePersonByFingerprintWithoutIdentifier,
		PersonByFpNoID:     &PersonByFingerprintWithoutIdentifierDetails{FirstName: firstName, LastName: lastName, BirthDate: birthDate, IDDocument: doc},
	}
}

// EUPersonByFingerprintWithIdentifier is [PersonByFingerprintWithIdentifier]
// for the EU-entity grants.
func EUPersonByFingerprintWithIdentifier(firstName, lastName string, id PersonIdentifier) EuEntityPermissionSubjectDetails {
	return EuEntityPermissionSubjectDetails{
		SubjectDetailsType: EuEntityPermissionSubjectDetailsTypePersonByFingerprintWithIdentifier,
		PersonByFpWithID:   &PersonByFingerprintWithIdentifierDetails{FirstName: firstName, LastName: lastName, Identifier: id},
	}
}

// EUPersonByFingerprintWithoutIdentifier is
// [PersonByFingerprintWithoutIdentifier] for the EU-entity grants.
func EUPersonByFingerprintWithoutIdentifier(firstName, lastName, birthDate string, doc IdDocument) EuEntityPermissionSubjectDetails {
	return EuEntityPermissionSubjectDetails{
		SubjectDetailsType: EuEntityPermissionSubjectDetailsTypePersonByFingerprintWithoutIdentifier,
		PersonByFpNoID:     &PersonByFingerprintWithoutIdentifierDetails{FirstName: firstName, LastName: lastName, BirthDate: birthDate, IDDocument: doc},
	}
}

// EUEntityByFingerprint describes an entity identified by the fingerprint
// of its seal certificate, for the EU-entity grants.
func EUEntityByFingerprint(fullName, address string) EuEntityPermissionSubjectDetails {
	return EuEntityPermissionSubjectDetails{
		SubjectDetailsType: EuEntityPermissionSubjectDetailsTypeEntityByFingerprint,
		EntityByFp:         &EntityByFingerprintDetails{FullName: fullName, Address: address},
	}
}

// permErr formats a local validation error of method m.
func permErr(m, format string, args ...any) error {
	return fmt.Errorf("ksef: Permissions.%s: %s", m, fmt.Sprintf(format, args...))
}

// checkSubject validates a subject identifier against the types allowed.
func checkSubject(m, field string, id ident.Identifier, allowed ...ident.Type) error {
	if !slices.Contains(allowed, id.Type) {
		return permErr(m, "%s.type %q not allowed (allowed: %v)", field, id.Type, allowed)
	}
	if id.Type == ident.TypeFingerprint {
		if len(id.Value) != 64 || !isHexString(id.Value) {
			return permErr(m, "%s: a fingerprint is 64 hex digits (SHA-256)", field)
		}
		return nil
	}
	if err := ident.Validate(id.Type, id.Value); err != nil {
		return permErr(m, "%s: %v", field, err)
	}
	return nil
}

func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// checkPermDescription checks the 5-256 characters of a description.
func checkPermDescription(m, field, d string) error {
	if n := utf8.RuneCountInString(d); n < 5 || n > 256 {
		return permErr(m, "%s must have 5-256 characters, has %d", field, n)
	}
	return nil
}

// checkPersonDetails checks that the person details variant is filled in
// and matches the subject identifier's type.
func checkPersonDetails(m string, subject ident.Identifier, d PersonPermissionSubjectDetails) error {
	switch d.SubjectDetailsType {
	case PersonPermissionSubjectDetailsTypePersonByIdentifier:
		if d.PersonByID == nil {
			return permErr(m, "subjectDetails: personById missing")
		}
		if subject.Type == ident.TypeFingerprint {
			return permErr(m, "subjectDetails: PersonByIdentifier needs a Nip or Pesel subject")
		}
	case PersonPermissionSubjectDetailsTypePersonByFingerprintWithIdentifier:
		if d.PersonByFpWithID == nil {
			return permErr(m, "subjectDetails: personByFpWithId missing")
		}
		if subject.Type != ident.TypeFingerprint {
			return permErr(m, "subjectDetails: %s needs a Fingerprint subject", d.SubjectDetailsType)
		}
	case PersonPermissionSubjectDetailsTypePersonByFingerprintWithoutIdentifier:
		if d.PersonByFpNoID == nil {
			return permErr(m, "subjectDetails: personByFpNoId missing")
		}
		if subject.Type != ident.TypeFingerprint {
			return permErr(m, "subjectDetails: %s needs a Fingerprint subject", d.SubjectDetailsType)
		}
	default:
		return permErr(m, "subjectDetails: unknown subjectDetailsType %q", d.SubjectDetailsType)
	}
	return nil
}

// checkEUDetails checks that the EU subject details variant is filled in.
func checkEUDetails(m string, d EuEntityPermissionSubjectDetails) error {
	switch d.SubjectDetailsType {
	case EuEntityPermissionSubjectDetailsTypePersonByFingerprintWithIdentifier:
		if d.PersonByFpWithID != nil {
			return nil
		}
	case EuEntityPermissionSubjectDetailsTypePersonByFingerprintWithoutIdentifier:
		if d.PersonByFpNoID != nil {
			return nil
		}
	case EuEntityPermissionSubjectDetailsTypeEntityByFingerprint:
		if d.EntityByFp != nil {
			return nil
		}
	default:
		return permErr(m, "subjectDetails: unknown subjectDetailsType %q", d.SubjectDetailsType)
	}
	return permErr(m, "subjectDetails: the details of %s are missing", d.SubjectDetailsType)
}

// grantCheck validates a grant request of method m field by field: it
// keeps the first error, and once one check failed the later ones are
// skipped, so the error is the one the first failing check reports.
type grantCheck struct {
	m   string
	err error
}

func (c *grantCheck) subject(field string, id ident.Identifier, allowed ...ident.Type) {
	if c.err == nil {
		c.err = checkSubject(c.m, field, id, allowed...)
	}
}

func (c *grantCheck) description(field, d string) {
	if c.err == nil {
		c.err = checkPermDescription(c.m, field, d)
	}
}

func (c *grantCheck) personDetails(subject ident.Identifier, d PersonPermissionSubjectDetails) {
	if c.err == nil {
		c.err = checkPersonDetails(c.m, subject, d)
	}
}

func (c *grantCheck) euDetails(d EuEntityPermissionSubjectDetails) {
	if c.err == nil {
		c.err = checkEUDetails(c.m, d)
	}
}

// failIf records the error of format and args when failed holds.
func (c *grantCheck) failIf(failed bool, format string, args ...any) {
	if c.err == nil && failed {
		c.err = permErr(c.m, format, args...)
	}
}

// grant sends one grant request unless checkErr, the result of the local
// checks, is an error.
func (s *PermissionsService) grant(ctx context.Context, op Operation, body any, checkErr error) (*PermissionsOperationResponse, error) {
	if checkErr != nil {
		return nil, checkErr
	}
	return call[PermissionsOperationResponse](ctx, s.c, &request{op: op, body: body})
}

// GrantPersons grants a natural person (subject Nip, Pesel or Fingerprint)
// permissions to work in the current context. EnforcementOperations only
// in a context with the EnforcementAuthority or CourtBailiff role. Needs
// CredentialsManage.
//
// KSeF API: POST /permissions/persons/grants
func (s *PermissionsService) GrantPersons(ctx context.Context, req *PersonPermissionsGrantRequest) (*PermissionsOperationResponse, error) {
	c := grantCheck{m: "GrantPersons"}
	if req == nil {
		return nil, permErr(c.m, "nil request")
	}
	c.subject("subjectIdentifier", req.SubjectIdentifier, ident.TypeNip, ident.TypePesel, ident.TypeFingerprint)
	c.failIf(len(req.Permissions) == 0, "no permissions")
	c.description("description", req.Description)
	c.personDetails(req.SubjectIdentifier, req.SubjectDetails)
	return s.grant(ctx, OpPermissionsGrantPersons, req, c.err)
}

// GrantEntities grants an entity (subject Nip) permissions to handle the
// invoices of the current context (InvoiceRead, InvoiceWrite and, since
// 2.8.1, CollectiveIdentifierManage), each optionally with canDelegate.
// Needs CredentialsManage.
//
// KSeF API: POST /permissions/entities/grants
func (s *PermissionsService) GrantEntities(ctx context.Context, req *EntityPermissionsGrantRequest) (*PermissionsOperationResponse, error) {
	c := grantCheck{m: "GrantEntities"}
	if req == nil {
		return nil, permErr(c.m, "nil request")
	}
	c.subject("subjectIdentifier", req.SubjectIdentifier, ident.TypeNip)
	c.failIf(len(req.Permissions) == 0, "no permissions")
	c.description("description", req.Description)
	c.failIf(req.SubjectDetails.FullName == "", "subjectDetails.fullName missing")
	return s.grant(ctx, OpPermissionsGrantEntities, req, c.err)
}

// GrantAuthorization grants an entity (subject Nip or PeppolId) one entity
// authorization: SelfInvoicing, RRInvoicing, TaxRepresentative or
// PefInvoicing. Needs CredentialsManage.
//
// KSeF API: POST /permissions/authorizations/grants
func (s *PermissionsService) GrantAuthorization(ctx context.Context, req *EntityAuthorizationPermissionsGrantRequest) (*PermissionsOperationResponse, error) {
	c := grantCheck{m: "GrantAuthorization"}
	if req == nil {
		return nil, permErr(c.m, "nil request")
	}
	c.subject("subjectIdentifier", req.SubjectIdentifier, ident.TypeNip, ident.TypePeppolID)
	c.failIf(req.Permission == "", "no permission")
	c.description("description", req.Description)
	c.failIf(req.SubjectDetails.FullName == "", "subjectDetails.fullName missing")
	return s.grant(ctx, OpPermissionsGrantAuthorizations, req, c.err)
}

// GrantIndirect lets a person (subject Nip, Pesel or Fingerprint) of the
// current context, an intermediary, handle the invoices of its clients:
// one client (TargetIdentifier Nip or InternalId; the client must have
// granted the intermediary a delegable entity permission) or all of them
// (TargetIdentifier nil or AllPartners). Needs CredentialsManage.
//
// KSeF API: POST /permissions/indirect/grants
func (s *PermissionsService) GrantIndirect(ctx context.Context, req *IndirectPermissionsGrantRequest) (*PermissionsOperationResponse, error) {
	c := grantCheck{m: "GrantIndirect"}
	if req == nil {
		return nil, permErr(c.m, "nil request")
	}
	c.subject("subjectIdentifier", req.SubjectIdentifier, ident.TypeNip, ident.TypePesel, ident.TypeFingerprint)
	if t := req.TargetIdentifier; t != nil && t.Type != ident.TypeAllPartners {
		c.subject("targetIdentifier", ident.Identifier{Type: t.Type, Value: t.Value}, ident.TypeNip, ident.TypeInternalID)
	}
	c.failIf(len(req.Permissions) == 0, "no permissions")
	c.description("description", req.Description)
	c.personDetails(req.SubjectIdentifier, req.SubjectDetails)
	return s.grant(ctx, OpPermissionsGrantIndirect, req, c.err)
}

// GrantSubunitAdmin makes a person or entity (subject Nip, Pesel or
// Fingerprint) administrator (CredentialsManage) of a subunit: an internal
// identifier "{nip}-{5 digits}" of the current context's NIP whose last
// digit is the check digit (SubunitName required), or the NIP of a
// subordinate entity of a VAT group or local-government unit. Needs
// SubunitManage.
//
// KSeF API: POST /permissions/subunits/grants
func (s *PermissionsService) GrantSubunitAdmin(ctx context.Context, req *SubunitPermissionsGrantRequest) (*PermissionsOperationResponse, error) {
	c := grantCheck{m: "GrantSubunitAdmin"}
	if req == nil {
		return nil, permErr(c.m, "nil request")
	}
	c.subject("subjectIdentifier", req.SubjectIdentifier, ident.TypeNip, ident.TypePesel, ident.TypeFingerprint)
	c.subject("contextIdentifier", req.ContextIdentifier, ident.TypeInternalID, ident.TypeNip)
	if req.ContextIdentifier.Type == ident.TypeInternalID {
		c.failIf(!ident.InternalID(req.ContextIdentifier.Value).HasValidCheckDigit(),
			"contextIdentifier: internal identifier %q has a wrong check digit", req.ContextIdentifier.Value)
		c.failIf(req.SubunitName == "", "subunitName is required for an internal identifier")
	}
	if req.SubunitName != "" {
		c.description("subunitName", req.SubunitName)
	}
	c.description("description", req.Description)
	c.personDetails(req.SubjectIdentifier, req.SubjectDetails)
	return s.grant(ctx, OpPermissionsGrantSubunits, req, c.err)
}

// GrantEUEntityAdmin makes the holder of a certificate (subject
// Fingerprint) administrator of an EU entity in the composite context
// NipVatUe "{current NIP}-{VAT UE number}"; the administrator gets
// VatUeManage, InvoiceWrite, InvoiceRead and Introspection there. Needs
// CredentialsManage.
//
// KSeF API: POST /permissions/eu-entities/administration/grants
func (s *PermissionsService) GrantEUEntityAdmin(ctx context.Context, req *EuEntityAdministrationPermissionsGrantRequest) (*PermissionsOperationResponse, error) {
	c := grantCheck{m: "GrantEUEntityAdmin"}
	if req == nil {
		return nil, permErr(c.m, "nil request")
	}
	c.subject("subjectIdentifier", req.SubjectIdentifier, ident.TypeFingerprint)
	c.subject("contextIdentifier", req.ContextIdentifier, ident.TypeNipVatUe)
	c.description("description", req.Description)
	c.description("euEntityName", req.EuEntityName)
	c.euDetails(req.SubjectDetails)
	return s.grant(ctx, OpPermissionsGrantEUEntityAdministration, req, c.err)
}

// GrantEUEntityRepresentative grants the holder of a certificate (subject
// Fingerprint) InvoiceRead and/or InvoiceWrite in the current NipVatUe
// context. Needs VatUeManage.
//
// KSeF API: POST /permissions/eu-entities/grants
func (s *PermissionsService) GrantEUEntityRepresentative(ctx context.Context, req *EuEntityPermissionsGrantRequest) (*PermissionsOperationResponse, error) {
	c := grantCheck{m: "GrantEUEntityRepresentative"}
	if req == nil {
		return nil, permErr(c.m, "nil request")
	}
	c.subject("subjectIdentifier", req.SubjectIdentifier, ident.TypeFingerprint)
	c.failIf(len(req.Permissions) == 0, "no permissions")
	c.description("description", req.Description)
	c.euDetails(req.SubjectDetails)
	return s.grant(ctx, OpPermissionsGrantEUEntities, req, c.err)
}

// checkPermissionID validates a permission identifier (36 characters).
func checkPermissionID(m, id string) error {
	if len(id) != 36 {
		return permErr(m, "permission id must have 36 characters, has %d", len(id))
	}
	return nil
}

// Revoke revokes a permission (person, entity, indirect, subunit or
// EU-entity) by the id a query returned. Needs CredentialsManage,
// VatUeManage or SubunitManage.
//
// KSeF API: DELETE /permissions/common/grants/{permissionId}
func (s *PermissionsService) Revoke(ctx context.Context, permissionID string) (*PermissionsOperationResponse, error) {
	if err := checkPermissionID("Revoke", permissionID); err != nil {
		return nil, err
	}
	return call[PermissionsOperationResponse](ctx, s.c, &request{op: OpPermissionRevoke, pathArgs: []string{permissionID}})
}

// RevokeAuthorization revokes an entity authorization (SelfInvoicing,
// RRInvoicing, TaxRepresentative, PefInvoicing) by the id
// [PermissionsService.QueryAuthorizations] returned. Needs
// CredentialsManage.
//
// KSeF API: DELETE /permissions/authorizations/grants/{permissionId}
func (s *PermissionsService) RevokeAuthorization(ctx context.Context, permissionID string) (*PermissionsOperationResponse, error) {
	if err := checkPermissionID("RevokeAuthorization", permissionID); err != nil {
		return nil, err
	}
	return call[PermissionsOperationResponse](ctx, s.c, &request{op: OpPermissionRevokeAuthorization, pathArgs: []string{permissionID}})
}

// OperationStatus returns the status of a grant or revoke operation
// (kept by KSeF for 30 days, then 410 Gone).
//
// KSeF API: GET /permissions/operations/{referenceNumber}
func (s *PermissionsService) OperationStatus(ctx context.Context, referenceNumber string) (*PermissionsOperationStatusResponse, error) {
	if len(referenceNumber) != 36 {
		return nil, permErr("OperationStatus", "reference number must have 36 characters, has %d", len(referenceNumber))
	}
	return call[PermissionsOperationStatusResponse](ctx, s.c, &request{op: OpPermissionOperationStatus, pathArgs: []string{referenceNumber}})
}

// Wait polls a grant or revoke operation until it leaves status 100. It
// returns the status on 200 and otherwise the status with a *[StatusError]
// (Operation "permission") matching [ErrPermissionOperationFailed]. The
// wait is bounded by opts.Timeout (default [DefaultWaitTimeout], then a
// *[WaitTimeoutError]) and by ctx.
func (s *PermissionsService) Wait(ctx context.Context, referenceNumber string, opts *WaitOptions) (*PermissionsOperationStatusResponse, error) {
	var last *PermissionsOperationStatusResponse
	err := poll(ctx, "permission operation "+referenceNumber, opts, s.c.cfg.retry.MaxDelay, func(ctx context.Context) (bool, string, error) {
		st, err := s.OperationStatus(ctx, referenceNumber)
		if err != nil {
			return false, "", err
		}
		last = st
		return st.Status.Code != PermissionOpInProgress, strconv.Itoa(int(st.Status.Code)), nil
	})
	if err != nil {
		return nil, err
	}
	if last.Status.Code != PermissionOpSuccess {
		return last, newStatusError("permission", referenceNumber, last.Status)
	}
	return last, nil
}

// AttachmentStatus reports whether the current context may send invoices
// with attachments (Zalacznik). Needs CredentialsManage or
// CredentialsRead.
//
// KSeF API: GET /permissions/attachments/status
func (s *PermissionsService) AttachmentStatus(ctx context.Context) (*CheckAttachmentPermissionStatusResponse, error) {
	return call[CheckAttachmentPermissionStatusResponse](ctx, s.c, &request{op: OpPermissionAttachmentStatus})
}
