package ksef

import "time"

// This file holds the JSON wire types of the TEST-environment-only
// /testdata operations used to set up subjects, persons, permissions and
// context blocks.

// SubjectType is the kind of test subject created by POST /testdata/subject.
type SubjectType string

// Test subject types.
const (
	SubjectEnforcementAuthority SubjectType = "EnforcementAuthority"
	SubjectVatGroup             SubjectType = "VatGroup"
	SubjectJST                  SubjectType = "JST"
)

// Subunit is a subunit of a test subject (a VAT group member or a JST unit).
type Subunit struct {
	// SubjectNip is the NIP of the subunit.
	SubjectNip string `json:"subjectNip"`
	// Description is a description of 5 to 256 characters.
	Description string `json:"description"`
}

// SubjectCreateRequest is the body of POST /testdata/subject.
type SubjectCreateRequest struct {
	// SubjectNip is the NIP of the subject.
	SubjectNip string `json:"subjectNip"`
	// SubjectType is the kind of subject.
	SubjectType SubjectType `json:"subjectType"`
	// Subunits are optional subunits.
	Subunits []Subunit `json:"subunits,omitempty"`
	// Description is a description of 5 to 256 characters.
	Description string `json:"description"`
	// CreatedDate optionally back-dates the subject.
	CreatedDate *time.Time `json:"createdDate,omitempty"`
}

// SubjectRemoveRequest is the body of POST /testdata/subject/remove.
type SubjectRemoveRequest struct {
	// SubjectNip is the NIP of the subject to remove.
	SubjectNip string `json:"subjectNip"`
}

// PersonCreateRequest is the body of POST /testdata/person.
type PersonCreateRequest struct {
	// Nip is the NIP of the person.
	Nip string `json:"nip"`
	// Pesel is the PESEL of the person.
	Pesel string `json:"pesel"`
	// IsBailiff makes the person a bailiff (EnforcementOperations).
	IsBailiff bool `json:"isBailiff"`
	// Description is a description of 5 to 256 characters.
	Description string `json:"description"`
	// IsDeceased marks the person as deceased (authentication then ends
	// with status 470).
	IsDeceased bool `json:"isDeceased,omitempty"`
	// CreatedDate optionally back-dates the person.
	CreatedDate *time.Time `json:"createdDate,omitempty"`
}

// PersonRemoveRequest is the body of POST /testdata/person/remove.
type PersonRemoveRequest struct {
	// Nip is the NIP of the person to remove.
	Nip string `json:"nip"`
}

// TestDataContextIdentifierType is the context type of test-data grants.
type TestDataContextIdentifierType string

// Test-data context identifier types.
const (
	TestDataContextNip TestDataContextIdentifierType = "Nip"
)

// TestDataContextIdentifier is the context of a test-data permission grant.
type TestDataContextIdentifier struct {
	// Type is the identifier type (always Nip).
	Type TestDataContextIdentifierType `json:"type"`
	// Value is the NIP.
	Value string `json:"value"`
}

// TestDataAuthorizedIdentifierType is the kind of identifier receiving
// test-data permissions.
type TestDataAuthorizedIdentifierType string

// Test-data authorized identifier types.
const (
	TestDataAuthorizedNip         TestDataAuthorizedIdentifierType = "Nip"
	TestDataAuthorizedPesel       TestDataAuthorizedIdentifierType = "Pesel"
	TestDataAuthorizedFingerprint TestDataAuthorizedIdentifierType = "Fingerprint"
)

// TestDataAuthorizedIdentifier identifies who receives test-data permissions.
type TestDataAuthorizedIdentifier struct {
	// Type is the identifier type.
	Type TestDataAuthorizedIdentifierType `json:"type"`
	// Value is the NIP, PESEL or certificate fingerprint.
	Value string `json:"value"`
}

// TestDataPermissionType is a permission grantable through test data.
type TestDataPermissionType string

// Test-data permission types.
const (
	TestDataPermInvoiceRead                TestDataPermissionType = "InvoiceRead"
	TestDataPermInvoiceWrite               TestDataPermissionType = "InvoiceWrite"
	TestDataPermIntrospection              TestDataPermissionType = "Introspection"
	TestDataPermCredentialsRead            TestDataPermissionType = "CredentialsRead"
	TestDataPermCredentialsManage          TestDataPermissionType = "CredentialsManage"
	TestDataPermEnforcementOperations      TestDataPermissionType = "EnforcementOperations"
	TestDataPermSubunitManage              TestDataPermissionType = "SubunitManage"
	TestDataPermCollectiveIdentifierManage TestDataPermissionType = "CollectiveIdentifierManage"
)

// TestDataPermission is one permission of a test-data grant.
type TestDataPermission struct {
	// Description is a description of 5 to 256 characters.
	Description string `json:"description"`
	// PermissionType is the permission.
	PermissionType TestDataPermissionType `json:"permissionType"`
}

// TestDataPermissionsGrantRequest is the body of POST /testdata/permissions.
type TestDataPermissionsGrantRequest struct {
	// ContextIdentifier is the context the permissions apply to.
	ContextIdentifier TestDataContextIdentifier `json:"contextIdentifier"`
	// AuthorizedIdentifier receives the permissions.
	AuthorizedIdentifier TestDataAuthorizedIdentifier `json:"authorizedIdentifier"`
	// Permissions are the permissions granted.
	Permissions []TestDataPermission `json:"permissions"`
}

// TestDataPermissionsRevokeRequest is the body of
// POST /testdata/permissions/revoke.
type TestDataPermissionsRevokeRequest struct {
	// ContextIdentifier is the context the permissions apply to.
	ContextIdentifier TestDataContextIdentifier `json:"contextIdentifier"`
	// AuthorizedIdentifier loses its test-data permissions.
	AuthorizedIdentifier TestDataAuthorizedIdentifier `json:"authorizedIdentifier"`
}

// TestDataAuthenticationContextIdentifierType is the kind of context blocked
// or unblocked through test data.
type TestDataAuthenticationContextIdentifierType string

// Test-data authentication context identifier types.
const (
	TestDataAuthContextNip        TestDataAuthenticationContextIdentifierType = "Nip"
	TestDataAuthContextInternalID TestDataAuthenticationContextIdentifierType = "InternalId"
	TestDataAuthContextNipVatUe   TestDataAuthenticationContextIdentifierType = "NipVatUe"
	TestDataAuthContextPeppolID   TestDataAuthenticationContextIdentifierType = "PeppolId"
)

// TestDataAuthenticationContextIdentifier is a context to block or unblock.
type TestDataAuthenticationContextIdentifier struct {
	// Value is the identifier.
	Value string `json:"value"`
	// Type is the identifier type.
	Type TestDataAuthenticationContextIdentifierType `json:"type"`
}

// BlockContextAuthenticationRequest is the body of POST /testdata/context/block.
type BlockContextAuthenticationRequest struct {
	// ContextIdentifier is the context whose authentication is blocked
	// (authentication then ends with status 480).
	ContextIdentifier *TestDataAuthenticationContextIdentifier `json:"contextIdentifier,omitempty"`
}

// UnblockContextAuthenticationRequest is the body of
// POST /testdata/context/unblock.
type UnblockContextAuthenticationRequest struct {
	// ContextIdentifier is the context to unblock.
	ContextIdentifier *TestDataAuthenticationContextIdentifier `json:"contextIdentifier,omitempty"`
}

// AttachmentPermissionGrantRequest is the body of POST /testdata/attachment.
type AttachmentPermissionGrantRequest struct {
	// Nip is the NIP allowed to send invoices with attachments.
	Nip string `json:"nip"`
}

// AttachmentPermissionRevokeRequest is the body of
// POST /testdata/attachment/revoke.
type AttachmentPermissionRevokeRequest struct {
	// Nip is the NIP losing the attachment capability.
	Nip string `json:"nip"`
	// ExpectedEndDate is an optional date ("2006-01-02") the capability ends.
	ExpectedEndDate string `json:"expectedEndDate,omitempty"`
}
